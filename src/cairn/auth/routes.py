"""Users (admin), global permissions and personal access tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from cairn.auth import permissions as perms
from cairn.auth import schemas, service
from cairn.auth.deps import Admin, SysAdmin, UserSelfOrAdmin
from cairn.db.uow import Conn
from cairn.kit.paging import Page, Paging, page
from cairn.kit.routing import base_url, documented

router = APIRouter(tags=["Users and permissions"])
tokens_router = APIRouter(tags=["Access tokens"])


# Response shapes are documented with `responses=` (not response_model, which would re-validate every body);
# an error code's body (Errors) is added by cairn.openapi.openapi_document.
_NO_SUCH_USER = {"description": "The named user does not exist"}
_OWN_PERMISSION = {404: _NO_SUCH_USER, 409: {"description": "Callers may not reduce their own global permission"}}


@router.post("/admin/users", status_code=204, response_class=Response, responses={
    204: {"description": "The user was created"},
    409: {"description": "A user with that name already exists"}})
async def create_user(request: Request, conn: Conn, caller: SysAdmin,
                      name: Annotated[str | None, Query()] = None,
                      password: Annotated[str | None, Query()] = None,
                      displayName: Annotated[str | None, Query()] = None,  # noqa: N803
                      emailAddress: Annotated[str | None, Query()] = None):  # noqa: N803
    """Create a user from query parameters, as Bitbucket does (system administrators only in cairn)."""
    await service.create_user(conn, request.app.state.hasher,
                              service.NewUser(name or "", password or "", displayName or "", emailAddress or ""))


@router.get("/admin/users", responses={200: documented(Page[schemas.DetailedUser], "A page of users")})
async def list_users(request: Request, conn: Conn, caller: SysAdmin, paging: Paging,
                     filter: Annotated[str | None, Query()] = None):  # noqa: A002
    rows = await service.list_users(conn, filter, paging.start, paging.limit + 1)
    return page([schemas.detailed_user_json(r, base_url(request)) for r in rows], paging)


@router.delete("/admin/users", responses={
    200: documented(schemas.DetailedUser, "The deleted user"), 404: _NO_SUCH_USER,
    409: {"description": "Callers may not delete themselves"}})
async def delete_user(request: Request, conn: Conn, caller: SysAdmin, name: Annotated[str | None, Query()] = None):
    row = await service.delete_user(conn, caller, name)
    return schemas.detailed_user_json(row, base_url(request))


@router.get("/admin/permissions/users",
            responses={200: documented(Page[schemas.PermittedUser], "A page of users with a global permission")})
async def list_global_permissions(request: Request, conn: Conn, caller: Admin, paging: Paging):
    rows = await service.list_global_permissions(conn, paging.start, paging.limit + 1)
    return page([schemas.permitted_json(schemas.user_json(r, base_url(request)), perms.GLOBAL_NAMES[r.global_grant])
                 for r in rows], paging)


@router.put("/admin/permissions/users", status_code=204, response_class=Response,
            responses=_OWN_PERMISSION)
async def grant_global_permission(conn: Conn, caller: Admin, name: Annotated[str | None, Query()] = None,
                                  permission: Annotated[str | None, Query()] = None):
    await service.grant_global(conn, caller, name, permission)


@router.delete("/admin/permissions/users", status_code=204, response_class=Response,
               responses=_OWN_PERMISSION)
async def revoke_global_permission(conn: Conn, caller: Admin, name: Annotated[str | None, Query()] = None):
    await service.revoke_global(conn, caller, name)


@tokens_router.put("/users/{userSlug}",
                   responses={200: documented(schemas.RawAccessToken, "The new token, with its secret")})
async def create_token(request: Request, conn: Conn, caller: UserSelfOrAdmin, userSlug: str,  # noqa: N803
                       body: schemas.AccessTokenRequest):
    """Create a personal access token; the secret is in this response only."""
    owner, row, secret = await service.create_token(conn, userSlug, body.name, body.permissions,
                                                    body.expiry_days)
    return schemas.token_json(row, schemas.user_json(owner, base_url(request)), secret)


@tokens_router.get("/users/{userSlug}",
                   responses={200: documented(Page[schemas.AccessToken], "A page of the user's tokens")})
async def list_tokens(request: Request, conn: Conn, caller: UserSelfOrAdmin, userSlug: str,  # noqa: N803
                      paging: Paging):
    owner, rows = await service.list_tokens(conn, userSlug, paging.start, paging.limit + 1)
    user = schemas.user_json(owner, base_url(request))
    return page([schemas.token_json(r, user) for r in rows], paging)


@tokens_router.get("/users/{userSlug}/{tokenId}",
                   responses={200: documented(schemas.AccessToken, "The token (without its secret)")})
async def get_token(request: Request, conn: Conn, caller: UserSelfOrAdmin, userSlug: str,  # noqa: N803
                    tokenId: str):  # noqa: N803
    owner, row = await service.get_token(conn, userSlug, tokenId)
    return schemas.token_json(row, schemas.user_json(owner, base_url(request)))


@tokens_router.delete("/users/{userSlug}/{tokenId}", status_code=204, response_class=Response)
async def delete_token(conn: Conn, caller: UserSelfOrAdmin, userSlug: str, tokenId: str):  # noqa: N803
    await service.delete_token(conn, userSlug, tokenId)
