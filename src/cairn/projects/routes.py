"""Projects, repositories and their user permissions (Bitbucket-compatible subset)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from cairn.auth import audit, deps
from cairn.auth import schemas as user_schemas
from cairn.auth.deps import (
    Anyone,
    ProjectAdmin,
    ProjectCreator,
    ProjectTokenAdmin,
    ProjectView,
    RepoAdmin,
    RepoAdminIfExists,
    RepoRead,
    RepoTokenAdmin,
)
from cairn.auth.schemas import DetailedGroup, PermittedGroup, PermittedUser
from cairn.db.uow import Conn
from cairn.kit.entities import Project, Repository, project_json, repository_json
from cairn.kit.json import JSONResponse
from cairn.kit.paging import Page, Paging, page
from cairn.kit.routing import base_url, documented
from cairn.projects import service
from cairn.projects.schemas import (
    DefaultBranch,
    MinimalRef,
    ProjectCreate,
    ProjectUpdate,
    RepositoryCreate,
    RepositoryUpdate,
)

router = APIRouter(tags=["Projects and repositories"])
tokens_router = APIRouter(tags=["Access tokens"])

NameQuery = Annotated[list[str], Query(alias="name")]


# Response shapes are documented with `responses=` (not response_model, which would re-validate every body).
def _conflict(description: str) -> dict:
    return {"description": description}  # the error body is added by cairn.openapi.openapi_document


@router.post("/projects", status_code=201, responses={
    201: documented(Project, "The new project"), 409: _conflict("The project key or name is already in use")})
async def create_project(request: Request, conn: Conn, caller: ProjectCreator, body: ProjectCreate):
    created = await service.create_project(conn, caller, body)
    audit.names_target(request, project_key=created.key)
    return project_json(created, base_url(request))


@router.get("/projects", responses={200: documented(Page[Project], "A page of projects")})
async def list_projects(request: Request, conn: Conn, caller: Anyone, paging: Paging,
                        name: Annotated[str | None, Query()] = None,
                        permission: Annotated[str | None, Query()] = None):
    rows = await service.list_projects(conn, caller, name, permission, paging.start, paging.limit + 1)
    return page([project_json(p, base_url(request)) for p in rows], paging)


@router.get("/projects/{projectKey}", responses={200: documented(Project, "The project")})
async def get_project(request: Request, access: ProjectView):
    return project_json(access.project, base_url(request))


@router.put("/projects/{projectKey}", responses={
    200: documented(Project, "The updated project; its key was not changed"),
    201: documented(Project, "The updated project; its key was changed"),
    409: _conflict("The new project key or name is already in use")})
async def update_project(request: Request, conn: Conn, access: ProjectAdmin, body: ProjectUpdate):
    project = await service.update_project(conn, access.project, body)
    # Bitbucket answers 201 when the key changed (the project moved), 200 otherwise.
    status = 201 if project.key != access.project.key else 200
    return JSONResponse(project_json(project, base_url(request)), status_code=status)


@router.delete("/projects/{projectKey}", status_code=204, response_class=Response, responses={
    204: {"description": "The project was deleted"}, 409: _conflict("The project still has repositories")})
async def delete_project(conn: Conn, access: ProjectAdmin):
    await service.delete_project(conn, access.project)


@router.post("/projects/{projectKey}/repos", status_code=201, responses={
    201: documented(Repository, "The new repository"),
    409: _conflict("A repository with the same slug already exists in the project")})
async def create_repository(request: Request, conn: Conn, access: ProjectAdmin, body: RepositoryCreate):
    created = await service.create_repository(conn, access.project, body)
    audit.names_target(request, repository_slug=created.slug)
    return repository_json(created, base_url(request))


@router.get("/projects/{projectKey}/repos",
            responses={200: documented(Page[Repository], "A page of the project's repositories")})
async def list_repositories(request: Request, conn: Conn, access: ProjectView, paging: Paging):
    rows = await service.list_repositories(conn, access.principal, access.project, paging.start,
                                            paging.limit + 1)
    return page([repository_json(r, base_url(request)) for r in rows], paging)


@router.get("/projects/{projectKey}/repos/{repositorySlug}",
            responses={200: documented(Repository, "The repository")})
async def get_repository(request: Request, access: RepoRead):
    return repository_json(access.repository, base_url(request))


# The OpenAPI file (and Bitbucket) answer 201 to a repository update.
@router.put("/projects/{projectKey}/repos/{repositorySlug}", status_code=201, responses={
    201: documented(Repository, "The updated repository"),
    409: _conflict("A repository with the new name's slug already exists in the project")})
async def update_repository(request: Request, conn: Conn, access: RepoAdmin, body: RepositoryUpdate):
    return repository_json(await service.update_repository(conn, access.repository, body), base_url(request))


@router.get("/projects/{projectKey}/repos/{repositorySlug}/default-branch",
            responses={200: documented(MinimalRef, "The repository's default branch")})
async def get_default_branch(access: RepoRead):
    return service.default_branch_json(access.repository)


@router.put("/projects/{projectKey}/repos/{repositorySlug}/default-branch", status_code=204,
            response_class=Response)
async def set_default_branch(conn: Conn, access: RepoAdmin, body: DefaultBranch):
    """Change the default branch (REPO_ADMIN); a short name means refs/heads/<name> (decision D11)."""
    await service.set_default_branch(conn, access.repository, body.id)


# status_code only names the documented success (the handler sets 202 or 204 itself).
@router.delete("/projects/{projectKey}/repos/{repositorySlug}", status_code=202, response_class=Response,
               responses={202: {"description": "The repository was deleted"},
                          204: {"description": "There was no such repository"}})
async def delete_repository(conn: Conn, access: RepoAdminIfExists):
    """202 when deleted (Bitbucket schedules it), 204 when there was no such repository."""
    if access is None:
        return Response(status_code=204)
    await service.delete_repository(conn, access.repository)
    return Response(status_code=202)


@router.get("/projects/{projectKey}/permissions/users",
            responses={200: documented(Page[PermittedUser], "A page of users with a project permission")})
async def list_project_grants(request: Request, conn: Conn, access: ProjectAdmin, paging: Paging):
    rows = await service.list_grants(conn, "project", access.project.id, paging.start, paging.limit + 1)
    return page(_permitted(rows, "PROJECT", base_url(request)), paging)


@router.put("/projects/{projectKey}/permissions/users", status_code=204, response_class=Response)
async def grant_project(conn: Conn, access: ProjectAdmin, name: NameQuery = (),
                        permission: Annotated[str | None, Query()] = None):
    await service.grant(conn, "project", access.project.id, list(name), permission)


@router.delete("/projects/{projectKey}/permissions/users", status_code=204, response_class=Response)
async def revoke_project(conn: Conn, access: ProjectAdmin, name: Annotated[str | None, Query()] = None):
    await service.revoke(conn, "project", access.project.id, name)


@router.get("/projects/{projectKey}/repos/{repositorySlug}/permissions/users",
            responses={200: documented(Page[PermittedUser], "A page of users with a repository permission")})
async def list_repository_grants(request: Request, conn: Conn, access: RepoAdmin, paging: Paging):
    rows = await service.list_grants(conn, "repository", access.repository.id, paging.start, paging.limit + 1)
    return page(_permitted(rows, "REPO", base_url(request)), paging)


@router.put("/projects/{projectKey}/repos/{repositorySlug}/permissions/users", status_code=204,
            response_class=Response)
async def grant_repository(conn: Conn, access: RepoAdmin, name: NameQuery = (),
                           permission: Annotated[str | None, Query()] = None):
    await service.grant(conn, "repository", access.repository.id, list(name), permission)


@router.delete("/projects/{projectKey}/repos/{repositorySlug}/permissions/users", status_code=204,
               response_class=Response)
async def revoke_repository(conn: Conn, access: RepoAdmin, name: Annotated[str | None, Query()] = None):
    await service.revoke(conn, "repository", access.repository.id, name)


FilterQuery = Annotated[str | None, Query(alias="filter")]


@router.get("/projects/{projectKey}/permissions/groups",
            responses={200: documented(Page[PermittedGroup], "A page of groups with a project permission")})
async def list_project_group_grants(conn: Conn, access: ProjectAdmin, paging: Paging,
                                    filter: FilterQuery = None):  # noqa: A002
    rows = await service.list_group_grants(conn, "project", access.project.id, filter, paging.start, paging.limit + 1)
    return page(_permitted_groups(rows, "PROJECT"), paging)


# The document answers this one 202 (its repository twin 200); kept as written.
@router.get("/projects/{projectKey}/permissions/groups/none", status_code=202,
            responses={202: documented(Page[DetailedGroup], "A page of groups without a project permission")})
async def list_project_groups_without_grant(conn: Conn, access: ProjectAdmin, paging: Paging,
                                            filter: FilterQuery = None):  # noqa: A002
    rows = await service.list_group_grants(conn, "project", access.project.id, filter, paging.start,
                                           paging.limit + 1, granted=False)
    return JSONResponse(page([user_schemas.group_json(r) for r in rows], paging), status_code=202)


@router.put("/projects/{projectKey}/permissions/groups", status_code=204, response_class=Response,
            responses={409: _conflict("The change would lower the caller's own permission")})
async def grant_project_to_groups(conn: Conn, access: ProjectAdmin, name: NameQuery = (),
                                  permission: Annotated[str | None, Query()] = None):
    await service.grant_groups(conn, access.principal, "project", access.project.id, list(name), permission,
                               deps.level_now(conn, access))


@router.delete("/projects/{projectKey}/permissions/groups", status_code=204, response_class=Response,
               responses={409: _conflict("The change would lower the caller's own permission")})
async def revoke_project_from_group(conn: Conn, access: ProjectAdmin, name: Annotated[str | None, Query()] = None):
    await service.revoke_group(conn, access.principal, "project", access.project.id, name,
                               deps.level_now(conn, access))


@router.get("/projects/{projectKey}/repos/{repositorySlug}/permissions/groups",
            responses={200: documented(Page[PermittedGroup], "A page of groups with a repository permission")})
async def list_repository_group_grants(conn: Conn, access: RepoAdmin, paging: Paging,
                                       filter: FilterQuery = None):  # noqa: A002
    rows = await service.list_group_grants(conn, "repository", access.repository.id, filter, paging.start,
                                           paging.limit + 1)
    return page(_permitted_groups(rows, "REPO"), paging)


@router.get("/projects/{projectKey}/repos/{repositorySlug}/permissions/groups/none",
            responses={200: documented(Page[DetailedGroup], "A page of groups without a repository permission")})
async def list_repository_groups_without_grant(conn: Conn, access: RepoAdmin, paging: Paging,
                                               filter: FilterQuery = None):  # noqa: A002
    rows = await service.list_group_grants(conn, "repository", access.repository.id, filter, paging.start,
                                           paging.limit + 1, granted=False)
    return page([user_schemas.group_json(r) for r in rows], paging)


@router.put("/projects/{projectKey}/repos/{repositorySlug}/permissions/groups", status_code=204,
            response_class=Response, responses={409: _conflict("The change would lower the caller's own level")})
async def grant_repository_to_groups(conn: Conn, access: RepoAdmin, name: NameQuery = (),
                                     permission: Annotated[str | None, Query()] = None):
    await service.grant_groups(conn, access.principal, "repository", access.repository.id, list(name), permission,
                               deps.level_now(conn, access))


@router.delete("/projects/{projectKey}/repos/{repositorySlug}/permissions/groups", status_code=204,
               response_class=Response, responses={409: _conflict("The change would lower the caller's own level")})
async def revoke_repository_from_group(conn: Conn, access: RepoAdmin, name: Annotated[str | None, Query()] = None):
    await service.revoke_group(conn, access.principal, "repository", access.repository.id, name,
                               deps.level_now(conn, access))


_LEVEL_NAMES = {1: "READ", 2: "WRITE", 3: "ADMIN"}


def _permitted(rows, prefix: str, base_url: str) -> list[dict]:
    return [user_schemas.permitted_json(user_schemas.user_json(r, base_url),
                                        f"{prefix}_{_LEVEL_NAMES[r.permission]}") for r in rows]


def _permitted_groups(rows, prefix: str) -> list[dict]:
    return [user_schemas.permitted_group_json(r.name, f"{prefix}_{_LEVEL_NAMES[r.permission]}") for r in rows]


# --- project and repository access tokens (/rest/access-tokens/...) ---------------------------------------

_RAW = {200: documented(user_schemas.RawAccessToken, "The new token, with its secret")}
_ONE = {200: documented(user_schemas.AccessToken, "The token (without its secret)")}
_PAGE = {200: documented(Page[user_schemas.AccessToken], "A page of tokens")}


def _token(request: Request, found, secret: str | None = None) -> dict:
    row, service_user = found
    return user_schemas.token_json(row, user_schemas.user_json(service_user, base_url(request)), secret)


@tokens_router.put("/projects/{projectKey}", responses=_RAW)
async def create_project_token(request: Request, conn: Conn, access: ProjectTokenAdmin,
                               body: user_schemas.AccessTokenRequest):
    """A token for the project: Bearer only, acting within the project with the permissions chosen."""
    found, secret = await service.create_scoped_token(conn, access.project, body.name, body.permissions,
                                                      body.expiry_days)
    return _token(request, found, secret)


@tokens_router.get("/projects/{projectKey}", responses=_PAGE)
async def list_project_tokens(request: Request, conn: Conn, access: ProjectTokenAdmin, paging: Paging):
    found = await service.list_scoped_tokens(conn, access.project, paging.start, paging.limit + 1)
    return page([_token(request, f) for f in found], paging)


@tokens_router.get("/projects/{projectKey}/{tokenId}", responses=_ONE)
async def get_project_token(request: Request, conn: Conn, access: ProjectTokenAdmin, tokenId: str):  # noqa: N803
    return _token(request, await service.scoped_token(conn, access.project, tokenId))


@tokens_router.post("/projects/{projectKey}/{tokenId}", responses=_ONE)
async def update_project_token(request: Request, conn: Conn, access: ProjectTokenAdmin, tokenId: str,  # noqa: N803
                               body: user_schemas.AccessTokenUpdate):
    return _token(request, await service.update_scoped_token(conn, access.project, tokenId, body.name,
                                                             body.permissions, body.expiry_days))


@tokens_router.delete("/projects/{projectKey}/{tokenId}", status_code=204, response_class=Response)
async def delete_project_token(conn: Conn, access: ProjectTokenAdmin, tokenId: str):  # noqa: N803
    await service.delete_scoped_token(conn, access.project, tokenId)


@tokens_router.put("/projects/{projectKey}/repos/{repositorySlug}", responses=_RAW)
async def create_repository_token(request: Request, conn: Conn, access: RepoTokenAdmin,
                                  body: user_schemas.AccessTokenRequest):
    """A token for the repository: Bearer only, acting within the repository with the permissions chosen."""
    found, secret = await service.create_scoped_token(conn, access.repository, body.name, body.permissions,
                                                      body.expiry_days)
    return _token(request, found, secret)


@tokens_router.get("/projects/{projectKey}/repos/{repositorySlug}", responses=_PAGE)
async def list_repository_tokens(request: Request, conn: Conn, access: RepoTokenAdmin, paging: Paging):
    found = await service.list_scoped_tokens(conn, access.repository, paging.start, paging.limit + 1)
    return page([_token(request, f) for f in found], paging)


@tokens_router.get("/projects/{projectKey}/repos/{repositorySlug}/{tokenId}", responses=_ONE)
async def get_repository_token(request: Request, conn: Conn, access: RepoTokenAdmin, tokenId: str):  # noqa: N803
    return _token(request, await service.scoped_token(conn, access.repository, tokenId))


@tokens_router.post("/projects/{projectKey}/repos/{repositorySlug}/{tokenId}", responses=_ONE)
async def update_repository_token(request: Request, conn: Conn, access: RepoTokenAdmin, tokenId: str,  # noqa: N803
                                  body: user_schemas.AccessTokenUpdate):
    return _token(request, await service.update_scoped_token(conn, access.repository, tokenId, body.name,
                                                             body.permissions, body.expiry_days))


@tokens_router.delete("/projects/{projectKey}/repos/{repositorySlug}/{tokenId}", status_code=204,
                      response_class=Response)
async def delete_repository_token(conn: Conn, access: RepoTokenAdmin, tokenId: str):  # noqa: N803
    await service.delete_scoped_token(conn, access.repository, tokenId)
