"""The fast lane: the requests CI sends most, answered without FastAPI's per-request machinery.

POST .../commits/{commitId}/builds and GET /rest/build-status/.../commits/stats/{commitId} carry most of
a CI server's load; POST and GET .../reports/{key}/annotations carry the most data (linters send 1000 at a
time); POST .../commits/{commitId}/deployments comes with every deployment pipeline run. bench/ measured
a bare FastAPI route at ~0.55 of the raw-ASGI baseline before any auth or SQL, so these answer here when
everything about the request is ordinary: a credential and a repository grant the caches already hold
(auth/credentials.py, auth/access.py), a valid commit id, a body the route's own schema accepts, no query
parameters. The lane calls the same service functions as the routes, on a direct driver connection
(db/direct.py).

Anything else (a first request, bad input, a refusal, an error of any kind) is handed to the full app
with the body replayed, so every error, header and status comes from the one place that defines them.
The lane writes nothing it then hands on: what fails is rolled back first. The one exception is a
PostgreSQL COMMIT that fails: whether it was stored is unknown, so the lane answers 500 itself.
"""

from __future__ import annotations

import re

from cairn.auth import permissions as perms
from cairn.auth.deps import RepositoryAccess
from cairn.builds import service as builds
from cairn.builds.schemas import BuildStatusSetRequest
from cairn.db.direct import CommitFailed, direct_connection, in_transaction
from cairn.db.outage import unavailable
from cairn.deployments import service as deployments
from cairn.deployments.schemas import DeploymentSetRequest
from cairn.insights import service as insights
from cairn.insights.schemas import AnnotationsRequest
from cairn.kit.entities import repository_json
from cairn.kit.json import JSONResponse
from cairn.kit.schema import may_hold_nul
from cairn.system import logs

_REPO = r"/projects/([^/]+)/repos/([^/]+)/commits/([0-9a-fA-F]{40})"
_BUILDS = re.compile(r"/rest/api/(?:1\.0|latest)" + _REPO + "/builds")
_DEPLOYMENTS = re.compile(r"/rest/api/(?:1\.0|latest)" + _REPO + "/deployments")
_ANNOTATIONS = re.compile(r"/rest/insights/(?:1\.0|latest)" + _REPO + "/reports/([^/]+)/annotations")
_STATS = re.compile(r"/rest/build-status/(?:1\.0|latest)/commits/stats/([0-9a-fA-F]{40})")
_TEMPLATE = "/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}"
ROUTES = {"builds": f"/rest/api/latest{_TEMPLATE}/builds", "deployments": f"/rest/api/latest{_TEMPLATE}/deployments",
          "annotations": f"/rest/insights/latest{_TEMPLATE}/reports/{{key}}/annotations",
          "stats": "/rest/build-status/latest/commits/stats/{commitId}"}


def _header(scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


async def _read_body(receive) -> tuple[bytes, list]:
    """The whole body, and the messages it came in (to replay them to the full app)."""
    messages, chunks = [], []
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return b"".join(chunks), messages
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks), messages


def _replaying(messages: list, receive):
    async def replay():
        return messages.pop(0) if messages else await receive()
    return replay


class FastLane:
    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope.get("query_string"):
            return await self.app(scope, receive, send)
        path = scope["path"][len(scope.get("root_path", "")):] if scope.get("root_path") else scope["path"]
        method = scope["method"]
        if method == "POST" and (match := _BUILDS.fullmatch(path)):
            scope["cairn.route"] = ROUTES["builds"]  # the metrics' label, as the full app's route would give it
            return await self._write(scope, receive, send, self._post_build, *match.groups())
        if method == "POST" and (match := _ANNOTATIONS.fullmatch(path)):
            scope["cairn.route"] = ROUTES["annotations"]
            return await self._write(scope, receive, send, self._post_annotations, *match.groups())
        if method == "POST" and (match := _DEPLOYMENTS.fullmatch(path)):
            scope["cairn.route"] = ROUTES["deployments"]
            return await self._write(scope, receive, send, self._post_deployment, *match.groups())
        if method == "GET" and (match := _STATS.fullmatch(path)):
            scope["cairn.route"] = ROUTES["stats"]
            return await self._stats(scope, receive, send, match.group(1))
        if method == "GET" and (match := _ANNOTATIONS.fullmatch(path)):
            scope["cairn.route"] = ROUTES["annotations"]
            return await self._report_annotations(scope, receive, send, *match.groups())
        return await self.app(scope, receive, send)

    def _principal(self, scope):
        """The signed-in caller whose credential is cached, once the rate limiter lets the request through
        (the full app then does not count it again; a refused one is answered 429 by the full app)."""
        principal = scope["app"].state.authenticator.cached(_header(scope, b"authorization"))
        if principal is None or principal.anonymous:
            return None
        wait = scope["app"].state.limiter.retry_after(principal.user_id, None)
        scope.setdefault("state", {})["rate_checked"] = wait or 0
        return None if wait else principal

    def _reader(self, scope, project_key: str, slug: str) -> RepositoryAccess | None:
        """The signed-in caller's cached access to the repository, when it reaches REPO_READ."""
        principal = self._principal(scope)
        access = principal and scope["app"].state.access.get(principal, project_key, slug)
        return RepositoryAccess(access[0], access[1], principal) if access and access[1] >= perms.READ else None

    async def _write(self, scope, receive, send, write, project_key: str, slug: str, commit_id: str, *rest):
        """A write whose route declares RepoReadSignedIn (a signed-in caller with read access), answered 204,
        or 200 with what `write` returns."""
        body, messages = await _read_body(receive)
        access = self._reader(scope, project_key, slug)
        if access and not may_hold_nul(body):  # the full app names where the NUL is
            try:
                answer = await write(scope["app"].state, access, commit_id.lower(), *rest, body=body)
            except CommitFailed:  # stored or not, nobody can tell: a replay could store it twice
                request_id = scope.get("state", {}).get("request_id")
                logs.ERRORS.exception("COMMIT failed in the fast lane: %s %s [request %s]", scope["method"],
                                      scope["path"], request_id, extra={"request_id": request_id})
                return await unavailable()(scope, receive, send)  # not acknowledged: the client may try again
            except Exception:  # a rejected body, a refusal or a failed statement: the full app answers it
                pass
            else:
                scope.setdefault("state", {})["principal"] = access.principal  # X-AUSERNAME / X-AUSERID
                if answer is not None:
                    return await JSONResponse(answer)(scope, receive, send)
                await send({"type": "http.response.start", "status": 204, "headers": []})
                return await send({"type": "http.response.body", "body": b""})
        await self.app(scope, _replaying(messages, receive), send)

    @staticmethod
    async def _post_build(state, access: RepositoryAccess, commit_id: str, body: bytes) -> None:
        request = BuildStatusSetRequest.model_validate_json(body)
        async with direct_connection(state.engine, write=True) as conn:
            await builds.set_status(conn, access.repository.id, commit_id, request)

    @staticmethod
    async def _post_annotations(state, access: RepositoryAccess, commit_id: str, key: str, body: bytes) -> None:
        annotations = AnnotationsRequest.model_validate_json(body).annotations
        cap = state.settings.insights_max_annotations
        await in_transaction(state.engine, lambda conn: insights.add_annotations(conn, access, commit_id, key,
                                                                                 annotations, cap))

    @staticmethod
    async def _post_deployment(state, access: RepositoryAccess, commit_id: str, body: bytes) -> dict:
        request = DeploymentSetRequest.model_validate_json(body)
        repository = repository_json(access.repository, state.settings.public_base_url)
        return await in_transaction(state.engine, lambda conn: deployments.put_deployment(
            conn, access.repository.id, commit_id, request, repository))

    async def _report_annotations(self, scope, receive, send, project_key: str, slug: str, commit_id: str,
                                  key: str):
        """GET .../reports/{key}/annotations (its route declares RepoRead) for a signed-in caller with read access."""
        access = self._reader(scope, project_key, slug)
        if access:
            try:
                async with direct_connection(scope["app"].state.engine, write=False) as conn:
                    answer = await insights.report_annotations(conn, access.repository.id, commit_id.lower(), key)
            except Exception:  # a missing report or a failed statement: the full app answers it
                pass
            else:
                scope.setdefault("state", {})["principal"] = access.principal
                return await JSONResponse(answer)(scope, receive, send)
        await self.app(scope, receive, send)

    async def _stats(self, scope, receive, send, commit_id: str):
        principal = self._principal(scope)
        if principal is not None:
            try:
                async with direct_connection(scope["app"].state.engine, write=False) as conn:
                    stats = await builds.stats(conn, principal, commit_id.lower(), False)
            except Exception:  # the full app answers it
                pass
            else:
                scope.setdefault("state", {})["principal"] = principal
                return await JSONResponse(stats)(scope, receive, send)
        await self.app(scope, receive, send)
