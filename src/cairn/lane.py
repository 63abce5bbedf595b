"""The fast lane: the requests CI sends most, answered without FastAPI's per-request machinery.

POST .../commits/{commitId}/builds and GET /rest/build-status/.../commits/stats/{commitId} carry most of
a CI server's load; POST and GET .../reports/{key}/annotations carry the most data (linters send 1000 at a
time); POST .../commits/{commitId}/deployments comes with every deployment pipeline run, and dashboards poll
GET .../environments (what is deployed where). bench/ measured a bare FastAPI route at ~0.55 of the raw-ASGI
baseline before any auth or SQL, so these answer here when everything about the request is ordinary: a
credential and a repository grant the caches already hold (auth/credentials.py, auth/access.py), a valid
commit id, a body the route's own schema accepts, no query parameters but a listing's start and limit. The
lane calls the same service functions as the routes, on a direct driver connection (db/direct.py). Which
routes it answers, and with which of its methods, each route declares (cairn.kit.routing.fast_path); the lane
matches them by the route's own path.

Anything else (a first request, bad input, a refusal, an error of any kind) is handed to the full app
with the body replayed, so every error, header and status comes from the one place that defines them.
The lane writes nothing it then hands on: what fails is rolled back first. The one exception is a
PostgreSQL COMMIT that fails: whether it was stored is unknown, so it is answered 503 (db/outage.py).
"""

from __future__ import annotations

import asyncio
import re
from urllib.parse import parse_qsl

from starlette.routing import compile_path

from cairn.auth import permissions as perms
from cairn.auth.deps import RepositoryAccess, repository_access
from cairn.builds import service as builds
from cairn.builds.schemas import BuildStatusSetRequest
from cairn.db.direct import CommitFailed, direct_connection, in_transaction
from cairn.db.outage import CommitOutcomeUnknown
from cairn.db.uow import unit_of_work
from cairn.deployments import service as deployments
from cairn.deployments.schemas import DeploymentSetRequest
from cairn.errors import CairnError
from cairn.insights import service as insights
from cairn.insights.schemas import AnnotationsRequest
from cairn.kit.entities import repository_json
from cairn.kit.json import send_json
from cairn.kit.paging import PageRequest, page, page_request
from cairn.kit.routing import FAST_PATH
from cairn.kit.schema import may_hold_nul

_SHA = re.compile(r"[0-9a-fA-F]{40}")  # a full commit id: anything shorter the full app resolves or refuses


def _full_commit_id_or_none(commit_id: str | None) -> bool:
    return commit_id is None or _SHA.fullmatch(commit_id) is not None


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


def _paging(scope) -> PageRequest | None:
    """start and limit from the query string, read as the full app reads them; None when it holds anything else
    (another or a repeated parameter, a value the full app refuses)."""
    query = scope.get("query_string")
    if not query:
        return PageRequest()
    given = parse_qsl(query.decode("latin-1"), keep_blank_values=True)  # as Starlette's QueryParams
    if len({name for name, _ in given}) != len(given) or not {name for name, _ in given} <= {"start", "limit"}:
        return None
    try:
        return page_request(**dict(given))
    except CairnError:
        return None


def _reads_paging(handler):
    """Mark a handler that reads start and limit itself: the lane hands it requests with a query string."""
    handler.reads_paging = True
    return handler


def _replaying(messages: list, receive):
    async def replay():
        return messages.pop(0) if messages else await receive()
    return replay


class FastLane:
    """Answers the routes whose endpoints declare a fast path (cairn.kit.routing.fast_path) with the method of
    this class they name, matching each by the route's own path: the route table is the one list of paths."""

    def __init__(self, app, routes):
        """`routes`: the route table, as (methods, full path, route) (cairn.api.route_table)."""
        self.app = app
        self._warming: dict[tuple, asyncio.Future] = {}  # (credential, project, slug): see _after_warming
        self._refreshing: set[asyncio.Task] = set()
        self._routes: dict[str, list] = {}
        for methods, path, route in routes:
            handler = getattr(route.endpoint, FAST_PATH, None)
            if handler is not None:
                for method in methods.split(","):
                    self._routes.setdefault(method, []).append((compile_path(path)[0], path, getattr(self, handler)))

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        path = scope["path"][len(scope.get("root_path", "")):] if scope.get("root_path") else scope["path"]
        found = self.route_for(scope["method"], path)
        if found is None or (scope.get("query_string") and not getattr(found[1], "reads_paging", False)):
            return await self.app(scope, receive, send)
        template, handler, params = found
        scope["cairn.route"] = template  # the metrics' label, as the full app's route would give it
        return await handler(scope, receive, send, *params)

    def route_for(self, method: str, path: str):
        """(the route's path, the handler, the path's parameters in order) of the fast-path route the request is
        for; None for any other request."""
        for path_regex, template, handler in self._routes.get(method, ()):
            if (match := path_regex.match(path)) and _full_commit_id_or_none(match.groupdict().get("commitId")):
                return template, handler, match.groups()
        return None

    async def _principal(self, scope, project_key: str | None = None, slug: str | None = None):
        """The signed-in caller whose credential (and access to the repository, when one is named) the caches hold,
        with that access, once the rate limiter lets the request through (the full app then does not count it
        again; a refused one is answered 429 by the full app). None: the full app answers."""
        state = scope["app"].state
        found = self._cached(state, scope, project_key, slug)
        if found is None:
            found = await self._after_warming(state, scope, project_key, slug)
            if found is None:
                return None
        principal = found[0]
        checked = scope.setdefault("state", {})
        if "rate_checked" not in checked:
            checked["rate_checked"] = state.limiter.retry_after(principal.user_id, None) or 0
        return None if checked["rate_checked"] else found

    def _cached(self, state, scope, project_key: str | None, slug: str | None):
        """(the principal, its (repository, level) or None when no repository is named), or None when a cache
        must be filled first (auth/credentials.py, auth/access.py). An entry past most of its TTL is checked again
        in the background (_refresh)."""
        authorization = _header(scope, b"authorization")
        principal, due = state.authenticator.cached(authorization)
        if principal is None or principal.anonymous:
            return None
        access = None
        if project_key is not None:
            access, access_due = state.access.get(principal, project_key, slug)
            if access is None:
                return None
            due = due or access_due
        if due:
            task = asyncio.get_running_loop().create_task(self._refresh(state, authorization, project_key, slug))
            self._refreshing.add(task)  # (the loop keeps only a weak reference to a task)
            task.add_done_callback(self._refreshing.discard)
        return principal, access

    @staticmethod
    async def _refresh(state, authorization: str, project_key: str | None, slug: str | None) -> None:
        """Check a credential and its grant again as the full app does, filling the caches, while their entries
        serve on (one found refused is forgotten at once). Before, the request that found them due took the full
        app, and another request with them waited on it: under load on a busy event loop ~0.5 s, every 4 s
        (bench/ listing p99 over 150 ms)."""
        try:
            async with unit_of_work(state.engine, write=False) as conn:
                try:
                    principal = await state.authenticator.authenticate(conn, authorization)
                except CairnError:  # refused now: the next request with it goes to the full app, which says why
                    state.authenticator.drop(authorization)
                    return
                if project_key is not None and not principal.anonymous:
                    try:
                        access = await repository_access(conn, principal, project_key, slug)
                    except CairnError:
                        state.access.drop(principal, project_key, slug)
                        return
                    state.access.put(principal, project_key, slug, access.repository, access.level)
        except Exception:  # the database is away: the entries serve on until they expire
            pass

    async def _after_warming(self, state, scope, project_key: str | None, slug: str | None):
        """A cold cache (a first request, or one after a pause longer than CAIRN_AUTH_CACHE_SECONDS): one request
        per credential and repository goes to the full app, which fills the caches; the others wait for it, then
        take the lane (what _cached then finds). Before, all of them went to the full app together: the listing's
        p99 after a pause was 60-160 ms (bench/). Only a credential verified before waits (a wrong password never
        was: concurrent ones share one check in the full app, auth/credentials.py), and only once."""
        authorization = _header(scope, b"authorization")
        if not authorization or not state.authenticator.known(authorization):
            return None
        key = (authorization, project_key, slug)
        warming = self._warming.get(key)
        if warming is None:
            self._warming[key] = asyncio.get_running_loop().create_future()
            scope["cairn.warming"] = key  # _full resolves the future once the full app has answered
            return None
        await asyncio.wait([warming])  # (a waiter cancelled leaves the future to the others)
        return self._cached(state, scope, project_key, slug)

    async def _full(self, scope, receive, send):
        """The full app answers (and, when this request warms the caches, wakes those waiting for it)."""
        try:
            await self.app(scope, receive, send)
        finally:
            key = scope.pop("cairn.warming", None)
            if key is not None:
                self._warming.pop(key).set_result(None)

    async def _reader(self, scope, project_key: str, slug: str) -> RepositoryAccess | None:
        """The signed-in caller's cached access to the repository, when it reaches REPO_READ."""
        found = await self._principal(scope, project_key, slug)
        if found is None or found[1][1] < perms.READ:
            return None
        return RepositoryAccess(found[1][0], found[1][1], found[0])

    async def _write(self, scope, receive, send, write, project_key: str, slug: str, commit_id: str, *rest):
        """A write whose route declares RepoReadSignedIn (a signed-in caller with read access), answered 204,
        or 200 with what `write` returns."""
        body, messages = await _read_body(receive)
        access = await self._reader(scope, project_key, slug)
        if access and not may_hold_nul(body):  # the full app names where the NUL is
            try:
                answer = await write(scope["app"].state, access, commit_id.lower(), *rest, body=body)
            except CommitFailed as error:  # stored or not, nobody can tell: a replay could store it twice
                raise CommitOutcomeUnknown from error  # db/outage.py answers 503, and logs it in one line
            except Exception:  # a rejected body, a refusal or a failed statement: the full app answers it
                pass
            else:
                scope.setdefault("state", {})["principal"] = access.principal  # X-AUSERNAME / X-AUSERID
                if answer is not None:
                    return await send_json(send, answer)
                await send({"type": "http.response.start", "status": 204, "headers": []})
                return await send({"type": "http.response.body", "body": b""})
        await self._full(scope, _replaying(messages, receive), send)

    async def post_build(self, scope, receive, send, *params):
        await self._write(scope, receive, send, self._post_build, *params)

    async def post_annotations(self, scope, receive, send, *params):
        await self._write(scope, receive, send, self._post_annotations, *params)

    async def post_deployment(self, scope, receive, send, *params):
        await self._write(scope, receive, send, self._post_deployment, *params)

    @staticmethod
    async def _post_build(state, access: RepositoryAccess, commit_id: str, body: bytes) -> None:
        request = BuildStatusSetRequest.model_validate_json(body)
        await in_transaction(state.engine, lambda conn: builds.set_status(
            conn, access, state.settings.public_base_url, commit_id, request), one_statement="pipelined")

    @staticmethod
    async def _post_annotations(state, access: RepositoryAccess, commit_id: str, key: str, body: bytes) -> None:
        annotations = AnnotationsRequest.model_validate_json(body).annotations
        cap = state.settings.insights_max_annotations
        await in_transaction(state.engine, lambda conn: insights.add_annotations(
            conn, access, state.settings.public_base_url, commit_id, key, annotations, cap))

    @staticmethod
    async def _post_deployment(state, access: RepositoryAccess, commit_id: str, body: bytes) -> dict:
        request = DeploymentSetRequest.model_validate_json(body)
        return await in_transaction(state.engine, lambda conn: deployments.put_deployment(
            conn, access, state.settings.public_base_url, commit_id, request), one_statement="pipelined")

    async def _read(self, scope, receive, send, principal, read, quick: bool = False):
        """A read by `principal` (None: the full app answers): 200 with what `read(connection)` returns."""
        if principal is not None:
            try:
                async with direct_connection(scope["app"].state.engine, quick=quick) as conn:
                    answer = await read(conn)
            except Exception:  # a missing report, a failed statement: the full app answers it
                pass
            else:
                scope.setdefault("state", {})["principal"] = principal  # X-AUSERNAME / X-AUSERID
                return await send_json(send, answer)
        await self._full(scope, receive, send)

    async def report_annotations(self, scope, receive, send, project_key: str, slug: str, commit_id: str,
                                 key: str):
        """GET .../reports/{key}/annotations (its route declares RepoRead) for a signed-in caller with read access."""
        access = await self._reader(scope, project_key, slug)
        await self._read(scope, receive, send, access and access.principal, lambda conn: insights.report_annotations(
            conn, access.repository.id, commit_id.lower(), key))

    async def stats(self, scope, receive, send, commit_id: str):
        found = await self._principal(scope)
        principal = found and found[0]
        await self._read(scope, receive, send, principal, lambda conn: builds.stats(
            conn, principal, commit_id.lower(), False, scope["app"].state.access), quick=True)

    @_reads_paging
    async def environments(self, scope, receive, send, project_key: str, slug: str):
        """GET .../environments (its route declares RepoRead) for a signed-in caller with read access."""
        paging = _paging(scope)
        access = paging and await self._reader(scope, project_key, slug)

        async def read(conn):
            repository = repository_json(access.repository, scope["app"].state.settings.public_base_url)
            return page(await deployments.list_environments(conn, access.repository.id, repository, paging.start,
                                                            paging.limit + 1), paging)
        await self._read(scope, receive, send, access and access.principal, read, quick=True)
