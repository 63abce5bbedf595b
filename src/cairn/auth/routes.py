"""Users (admin), global permissions and personal access tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from cairn.auth import permissions as perms
from cairn.auth import schemas, service
from cairn.auth.deps import Admin, SignedIn, SysAdmin, UserSelfOrAdmin
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


@tokens_router.post("/users/{userSlug}/{tokenId}",
                    responses={200: documented(schemas.AccessToken, "The updated token (without its secret)")})
async def update_token(request: Request, conn: Conn, caller: UserSelfOrAdmin, userSlug: str,  # noqa: N803
                       tokenId: str, body: schemas.AccessTokenUpdate):  # noqa: N803
    owner, row = await service.update_token(conn, userSlug, tokenId, body.name, body.permissions, body.expiry_days)
    return schemas.token_json(row, schemas.user_json(owner, base_url(request)))


@tokens_router.delete("/users/{userSlug}/{tokenId}", status_code=204, response_class=Response)
async def delete_token(conn: Conn, caller: UserSelfOrAdmin, userSlug: str, tokenId: str):  # noqa: N803
    await service.delete_token(conn, userSlug, tokenId)


# --- groups (Bitbucket's internal directory: groups of users, granted permissions like users) ----------

_NO_SUCH_GROUP = {"description": "The named group (or user) does not exist"}
_OWN_LEVEL = {409: {"description": "The change would lower the caller's own permission"}}
_HIGHER_GROUP = {403: {"description": "The group has a higher global permission than the caller"}}


@router.get("/groups", responses={200: documented(Page[str], "A page of group names")})
async def list_group_names(conn: Conn, caller: SignedIn, paging: Paging,
                           filter: Annotated[str | None, Query()] = None):  # noqa: A002
    rows = await service.list_groups(conn, filter, paging.start, paging.limit + 1)
    return page([r.name for r in rows], paging)


@router.get("/admin/groups", responses={200: documented(Page[schemas.DetailedGroup], "A page of groups")})
async def list_groups(conn: Conn, caller: SignedIn, paging: Paging,
                      filter: Annotated[str | None, Query()] = None):  # noqa: A002
    rows = await service.list_groups(conn, filter, paging.start, paging.limit + 1)
    return page([schemas.group_json(r) for r in rows], paging)


@router.post("/admin/groups", responses={200: documented(schemas.DetailedGroup, "The new group"),
                                         409: {"description": "A group with that name already exists"}})
async def create_group(conn: Conn, caller: Admin, name: Annotated[str | None, Query()] = None):
    return schemas.group_json(await service.create_group(conn, name))


@router.delete("/admin/groups", responses={200: documented(schemas.DetailedGroup, "The deleted group"),
                                           404: _NO_SUCH_GROUP, **_HIGHER_GROUP, **_OWN_LEVEL})
async def delete_group(conn: Conn, caller: Admin, name: Annotated[str | None, Query()] = None):
    return schemas.group_json(await service.delete_group(conn, caller, name))


@router.post("/admin/groups/add-user", response_class=Response,
             responses={200: {"description": "The user was added to the group"}, 404: _NO_SUCH_GROUP, **_HIGHER_GROUP})
async def add_user_to_group(conn: Conn, caller: Admin, body: schemas.PickerContext):
    await service.add_members(conn, caller, body.context, [body.item_name] if body.item_name else [],
                              "context", "itemName")
    return Response(status_code=200)


@router.post("/admin/groups/add-users", response_class=Response,
             responses={200: {"description": "The users were added to the group"}, 404: _NO_SUCH_GROUP,
                        **_HIGHER_GROUP})
async def add_users_to_group(conn: Conn, caller: Admin, body: schemas.GroupAndUsers):
    await service.add_members(conn, caller, body.group, body.users, "group", "users")
    return Response(status_code=200)


@router.post("/admin/groups/remove-user", response_class=Response,
             responses={200: {"description": "The user was removed from the group"}, 404: _NO_SUCH_GROUP,
                        **_HIGHER_GROUP, **_OWN_LEVEL})
async def remove_user_from_group(conn: Conn, caller: Admin, body: schemas.PickerContext):
    await service.remove_member(conn, caller, body.context, body.item_name, "context", "itemName")
    return Response(status_code=200)


@router.get("/admin/groups/more-members",
            responses={200: documented(Page[schemas.DetailedUser], "A page of the group's members")})
async def group_members(request: Request, conn: Conn, caller: SignedIn, paging: Paging,
                        context: Annotated[str | None, Query()] = None,
                        filter: Annotated[str | None, Query()] = None):  # noqa: A002
    rows = await service.list_members(conn, context, filter, paging.start, paging.limit + 1)
    return page([schemas.detailed_user_json(r, base_url(request)) for r in rows], paging)


@router.get("/admin/groups/more-non-members",
            responses={200: documented(Page[schemas.DetailedUser], "A page of users not in the group")})
async def group_non_members(request: Request, conn: Conn, caller: SignedIn, paging: Paging,
                            context: Annotated[str | None, Query()] = None,
                            filter: Annotated[str | None, Query()] = None):  # noqa: A002
    rows = await service.list_members(conn, context, filter, paging.start, paging.limit + 1, member=False)
    return page([schemas.detailed_user_json(r, base_url(request)) for r in rows], paging)


@router.post("/admin/users/add-group", response_class=Response,
             responses={200: {"description": "The user was added to the group"}, 404: _NO_SUCH_GROUP, **_HIGHER_GROUP})
async def add_group_to_user(conn: Conn, caller: Admin, body: schemas.PickerContext):
    await service.add_to_groups(conn, caller, body.context, [body.item_name] if body.item_name else [],
                                "context", "itemName")
    return Response(status_code=200)


@router.post("/admin/users/add-groups", response_class=Response,
             responses={200: {"description": "The user was added to the groups"}, 404: _NO_SUCH_GROUP,
                        **_HIGHER_GROUP})
async def add_user_to_groups(conn: Conn, caller: Admin, body: schemas.UserAndGroups):
    await service.add_to_groups(conn, caller, body.user, body.groups, "user", "groups")
    return Response(status_code=200)


@router.post("/admin/users/remove-group", response_class=Response,
             responses={200: {"description": "The user was removed from the group"}, 404: _NO_SUCH_GROUP,
                        **_HIGHER_GROUP, **_OWN_LEVEL})
async def remove_group_from_user(conn: Conn, caller: Admin, body: schemas.PickerContext):
    await service.remove_member(conn, caller, body.item_name, body.context, "itemName", "context")
    return Response(status_code=200)


# The document names RestDetailedUser for these two, but they list groups (their summaries say so): groups.
@router.get("/admin/users/more-members",
            responses={200: documented(Page[schemas.DetailedGroup], "A page of the user's groups")})
async def user_groups(conn: Conn, caller: SignedIn, paging: Paging, context: Annotated[str | None, Query()] = None,
                      filter: Annotated[str | None, Query()] = None):  # noqa: A002
    rows = await service.list_groups_of(conn, context, filter, paging.start, paging.limit + 1)
    return page([schemas.group_json(r) for r in rows], paging)


@router.get("/admin/users/more-non-members",
            responses={200: documented(Page[schemas.DetailedGroup], "A page of groups the user is not in")})
async def user_non_groups(conn: Conn, caller: SignedIn, paging: Paging,
                          context: Annotated[str | None, Query()] = None,
                          filter: Annotated[str | None, Query()] = None):  # noqa: A002
    rows = await service.list_groups_of(conn, context, filter, paging.start, paging.limit + 1, member=False)
    return page([schemas.group_json(r) for r in rows], paging)


@router.get("/admin/permissions/groups",
            responses={200: documented(Page[schemas.PermittedGroup], "A page of groups with a global permission")})
async def list_global_group_permissions(conn: Conn, caller: Admin, paging: Paging,
                                        filter: Annotated[str | None, Query()] = None):  # noqa: A002
    rows = await service.list_global_group_permissions(conn, filter, paging.start, paging.limit + 1)
    return page([schemas.permitted_group_json(r.name, perms.GLOBAL_NAMES[r.permission]) for r in rows], paging)


@router.get("/admin/permissions/groups/none",
            responses={200: documented(Page[schemas.DetailedGroup], "A page of groups without a global permission")})
async def list_groups_without_global_permission(conn: Conn, caller: Admin, paging: Paging,
                                                filter: Annotated[str | None, Query()] = None):  # noqa: A002
    rows = await service.list_global_group_permissions(conn, filter, paging.start, paging.limit + 1, granted=False)
    return page([schemas.group_json(r) for r in rows], paging)


@router.put("/admin/permissions/groups", status_code=204, response_class=Response,
            responses={404: _NO_SUCH_GROUP, **_HIGHER_GROUP, **_OWN_LEVEL})
async def grant_global_to_group(conn: Conn, caller: Admin, name: Annotated[str | None, Query()] = None,
                                permission: Annotated[str | None, Query()] = None):
    await service.grant_global_to_group(conn, caller, name, permission)


@router.delete("/admin/permissions/groups", status_code=204, response_class=Response,
               responses={404: _NO_SUCH_GROUP, **_HIGHER_GROUP, **_OWN_LEVEL})
async def revoke_global_from_group(conn: Conn, caller: Admin, name: Annotated[str | None, Query()] = None):
    await service.revoke_global_from_group(conn, caller, name)
