"""Bitbucket's rate limit administration: the instance's bucket, per-user buckets, and who was refused."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from cairn.auth.deps import Admin, SignedIn, UserSelfOrAdmin
from cairn.auth.schemas import user_json
from cairn.db.uow import Conn
from cairn.kit.paging import Page, Paging, page
from cairn.kit.routing import base_url, documented
from cairn.ratelimit import schemas, service

router = APIRouter(tags=["Rate limiting"])
SETTINGS = "/admin/rate-limit/settings"
_SETTINGS = {200: documented(schemas.RateLimitSettings, "The instance's rate limit settings")}
_USER = {200: documented(schemas.UserRateLimit, "The user's own rate limit settings")}


@router.get(SETTINGS, responses=_SETTINGS)
async def get_settings(conn: Conn, caller: SignedIn):
    return schemas.settings_json(*await service.current(conn))


@router.put(SETTINGS, responses=_SETTINGS)
async def set_settings(request: Request, conn: Conn, caller: Admin, body: schemas.RateLimitSettings):
    """Turn rate limiting on or off, or change the default bucket (off until an administrator turns it on)."""
    return schemas.settings_json(*await service.update_settings(conn, request.app.state.limiter, body))


@router.get(SETTINGS + "/users", responses={200: documented(Page[schemas.UserRateLimit], "A page of user settings")})
async def list_user_settings(request: Request, conn: Conn, caller: Admin, paging: Paging,
                             filter: Annotated[str | None, Query()] = None):  # noqa: A002
    rows = await service.list_user_limits(conn, filter, paging.start, paging.limit + 1)
    return page([schemas.user_limit_json(r, user_json(r, base_url(request))) for r in rows], paging)


# The document names one RestUserRateLimitSettings; several users were set, so each one's is answered (a list).
@router.post(SETTINGS + "/users",
             responses={200: documented(list[schemas.UserRateLimit], "The users' settings, as now set")})
async def set_many_user_settings(request: Request, conn: Conn, caller: Admin, body: schemas.BulkUserRateLimitUpdate):
    rows = await service.set_user_limits(conn, request.app.state.limiter, body.usernames, body)
    return [schemas.user_limit_json(r, user_json(r, base_url(request))) for r in rows]


@router.get(SETTINGS + "/users/{userSlug}", responses=_USER)
async def get_user_settings(request: Request, conn: Conn, caller: UserSelfOrAdmin, userSlug: str):  # noqa: N803
    row = await service.user_limit(conn, userSlug)
    return schemas.user_limit_json(row, user_json(row, base_url(request)))


@router.put(SETTINGS + "/users/{userSlug}", responses=_USER)
async def set_user_settings(request: Request, conn: Conn, caller: Admin, userSlug: str,  # noqa: N803
                            body: schemas.UserRateLimitUpdate):
    (row,) = await service.set_user_limits(conn, request.app.state.limiter, [userSlug], body, by_slug=True)
    return schemas.user_limit_json(row, user_json(row, base_url(request)))


@router.delete(SETTINGS + "/users/{userSlug}", status_code=204, response_class=Response)
async def delete_user_settings(request: Request, conn: Conn, caller: Admin, userSlug: str):  # noqa: N803
    await service.delete_user_limit(conn, request.app.state.limiter, userSlug)


@router.get("/admin/rate-limit/history",
            responses={200: documented(Page[schemas.RejectCounter], "Users recently refused, and how often")})
async def history(request: Request, conn: Conn, caller: Admin, paging: Paging,
                  order: Annotated[str | None, Query()] = None):
    rows = await service.history(conn, order, paging.start, paging.limit + 1)
    return page([schemas.reject_json(r, user_json(r, base_url(request))) for r in rows], paging)
