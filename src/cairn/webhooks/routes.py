"""Webhooks, as Bitbucket's API has them on repositories (REPO_ADMIN) and projects (PROJECT_ADMIN), and
cairn's delivery history with redelivery (/rest/cairn)."""

# (no `from __future__ import annotations`: the handlers below are declared per scope, and FastAPI must see
# their `Access` annotation as the dependency it is, not as a name to look up.)

from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query, Request, Response

from cairn.auth.audit import AuditTrail
from cairn.auth.deps import ProjectAccess, ProjectAdmin, RepoAdmin, RepositoryAccess
from cairn.db.uow import Conn, reads_only
from cairn.kit.json import JSONResponse
from cairn.kit.paging import Page, Paging, page
from cairn.kit.routing import documented
from cairn.webhooks import service
from cairn.webhooks.schemas import (
    Credentials,
    Invocation,
    InvocationHistory,
    TestExchange,
    Webhook,
    WebhookRequest,
)

router = APIRouter(tags=["Webhooks"])
history_router = APIRouter(tags=["Webhooks (cairn)"])

_REPOSITORY = "/projects/{projectKey}/repos/{repositorySlug}/webhooks"
_PROJECT = "/projects/{projectKey}/webhooks"
WebhookId = Annotated[int, Path(alias="webhookId")]
Event = Annotated[str | None, Query(description="Only webhooks (or invocations) of this event")]
Flag = Annotated[bool, Query()]


def _scope(access: RepositoryAccess | ProjectAccess) -> tuple[int, int | None]:
    """(project id, repository id or None) of the scope a route acts on."""
    if isinstance(access, RepositoryAccess):
        return access.repository.project.id, access.repository.id
    return access.project.id, None


def _allow_private(request: Request) -> bool:
    return request.app.state.settings.webhook_allow_private


def _or_no_content(body: Any) -> Response:
    return Response(status_code=204) if body is None else JSONResponse(body)


def _routes(base: str, Access: Any, who: str) -> None:  # noqa: N803 - Access is a type
    """The webhook endpoints of one scope, each declaring `Access` (RepoAdmin or ProjectAdmin)."""

    @router.get(base, response_model=Page[Webhook], response_model_exclude_none=True,
                summary=f"Find the {who}'s webhooks")
    async def find_webhooks(conn: Conn, access: Access, paging: Paging, event: Event = None,
                            statistics: Flag = False):
        project_id, repository_id = _scope(access)
        scopes = ("repository",) if repository_id is not None else ("project",)
        rows = await service.find(conn, project_id, repository_id, scopes, event, statistics, paging.start,
                                  paging.limit + 1)
        return page(rows, paging)

    @router.post(base, responses={200: documented(Webhook, "The created webhook")},
                 summary=f"Create a webhook for the {who}", dependencies=[AuditTrail])
    async def create_webhook(request: Request, conn: Conn, access: Access, body: WebhookRequest):
        project_id, repository_id = _scope(access)
        return JSONResponse(await service.create(conn, project_id, repository_id, body, _allow_private(request)))

    if Access is RepoAdmin:
        @router.get(base + "/search", response_model=Page[Webhook], response_model_exclude_none=True,
                    summary="Webhooks that apply to the repository: its own, and its project's")
        async def search_webhooks(conn: Conn, access: Access, paging: Paging, event: Event = None,
                                  scopeType: Annotated[str | None, Query()] = None,  # noqa: N803
                                  statistics: Flag = False):
            project_id, repository_id = _scope(access)
            rows = await service.find(conn, project_id, repository_id, service.scope_types(scopeType), event,
                                      statistics, paging.start, paging.limit + 1)
            return page(rows, paging)

    @router.post(base + "/test", summary="Send diagnostics:ping to a URL (or a webhook's) and show the exchange",
                 responses={200: documented(TestExchange, "What was sent, and what came back")})
    @reads_only  # it waits up to 10 s on the receiver: never with a write lock held
    async def test_webhook(request: Request, conn: Conn, access: Access,
                           credentials: Annotated[Credentials | None, Body()] = None,
                           url: Annotated[str | None, Query()] = None,
                           webhookId: Annotated[int | None, Query()] = None,  # noqa: N803
                           sslVerificationRequired: Annotated[bool | None, Query()] = None):  # noqa: N803
        project_id, repository_id = _scope(access)
        return JSONResponse(await service.test(
            conn, request.app.state.webhook_sender, project_id, repository_id, webhookId, url,
            sslVerificationRequired, credentials.username if credentials else None,
            credentials.password if credentials else None))

    @router.get(base + "/{webhookId}", response_model=Webhook, response_model_exclude_none=True)
    async def get_webhook(conn: Conn, access: Access, webhook_id: WebhookId, statistics: Flag = False):
        return await service.get(conn, *_scope(access), webhook_id, statistics)

    @router.put(base + "/{webhookId}", responses={200: documented(Webhook, "The updated webhook")},
                summary="Update a webhook: members left out keep their value", dependencies=[AuditTrail])
    async def update_webhook(request: Request, conn: Conn, access: Access, webhook_id: WebhookId,
                             body: WebhookRequest):
        return JSONResponse(await service.update(conn, *_scope(access), webhook_id, body,
                                                 _allow_private(request)))

    @router.delete(base + "/{webhookId}", status_code=204, response_class=Response,
                   summary="Delete a webhook; its pending deliveries are never sent", dependencies=[AuditTrail])
    async def delete_webhook(conn: Conn, access: Access, webhook_id: WebhookId):
        await service.delete(conn, *_scope(access), webhook_id)

    @router.get(base + "/{webhookId}/latest", summary="The webhook's latest invocation (204: none)",
                responses={200: documented(Invocation, "The latest invocation")})
    async def latest_invocation(conn: Conn, access: Access, webhook_id: WebhookId, event: Event = None,
                                outcome: Annotated[str | None, Query()] = None):
        return _or_no_content(await service.latest(conn, *_scope(access), webhook_id, event, outcome))

    @router.get(base + "/{webhookId}/statistics", summary="The last success, failure and error, and the counts",
                responses={200: documented(InvocationHistory, "The webhook's invocation history")})
    async def statistics(conn: Conn, access: Access, webhook_id: WebhookId, event: Event = None):
        await service.get(conn, *_scope(access), webhook_id)
        return JSONResponse(await service.statistics(conn, webhook_id, event) or {})

    @router.get(base + "/{webhookId}/statistics/summary", summary="The counts of the last day (204: never called)",
                responses={200: documented(InvocationHistory, "The counts")})
    async def statistics_summary(conn: Conn, access: Access, webhook_id: WebhookId):
        return _or_no_content(await service.summary(conn, *_scope(access), webhook_id))

    @history_router.get(base + "/{webhookId}/deliveries", summary="The webhook's deliveries, newest first",
                        responses={200: documented(Page[Invocation], "A page of deliveries")})
    async def deliveries(conn: Conn, access: Access, webhook_id: WebhookId, paging: Paging):
        rows = await service.deliveries(conn, *_scope(access), webhook_id, paging.start, paging.limit + 1)
        return JSONResponse(page(rows, paging))

    @history_router.post(base + "/{webhookId}/deliveries/{deliveryId}/redeliver",
                         summary="Deliver a delivery's event again, after the pending ones",
                         responses={200: documented(Invocation, "The new delivery, pending")},
                         dependencies=[AuditTrail])
    async def redeliver(conn: Conn, access: Access, webhook_id: WebhookId,
                        delivery_id: Annotated[int, Path(alias="deliveryId")]):
        return JSONResponse(await service.redeliver(conn, *_scope(access), webhook_id, delivery_id))


_routes(_REPOSITORY, RepoAdmin, "repository")
_routes(_PROJECT, ProjectAdmin, "project")
