"""Projects, repositories and their user permissions (Bitbucket-compatible subset)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from cairn.auth import schemas as user_schemas
from cairn.auth.deps import (Anyone, ProjectAdmin, ProjectCreator, ProjectView, RepoAdmin, RepoAdminIfExists,
                             RepoRead)
from cairn.db.uow import Conn
from cairn.kit.entities import project_json, repository_json
from cairn.kit.json import JSONResponse
from cairn.kit.paging import Paging, page
from cairn.projects import service
from cairn.projects.schemas import ProjectCreate, ProjectUpdate, RepositoryCreate, RepositoryUpdate

router = APIRouter(tags=["Projects and repositories"])

NameQuery = Annotated[list[str], Query(alias="name")]


def _base(request: Request) -> str:
    return request.app.state.settings.public_base_url


@router.post("/projects", status_code=201)
async def create_project(request: Request, conn: Conn, caller: ProjectCreator, body: ProjectCreate):
    return project_json(await service.create_project(conn, caller, body), _base(request))


@router.get("/projects")
async def list_projects(request: Request, conn: Conn, caller: Anyone, paging: Paging,
                        name: Annotated[str | None, Query()] = None,
                        permission: Annotated[str | None, Query()] = None):
    rows = await service.list_projects(conn, caller, name, permission, paging.start, paging.limit + 1)
    return page([project_json(p, _base(request)) for p in rows], paging)


@router.get("/projects/{projectKey}")
async def get_project(request: Request, access: ProjectView):
    return project_json(access.project, _base(request))


@router.put("/projects/{projectKey}")
async def update_project(request: Request, conn: Conn, access: ProjectAdmin, body: ProjectUpdate):
    project = await service.update_project(conn, access.project, body)
    # Bitbucket answers 201 when the key changed (the project moved), 200 otherwise.
    status = 201 if project.key != access.project.key else 200
    return JSONResponse(project_json(project, _base(request)), status_code=status)


@router.delete("/projects/{projectKey}", status_code=204, response_class=Response)
async def delete_project(conn: Conn, access: ProjectAdmin):
    await service.delete_project(conn, access.project)


@router.post("/projects/{projectKey}/repos", status_code=201)
async def create_repository(request: Request, conn: Conn, access: ProjectAdmin, body: RepositoryCreate):
    return repository_json(await service.create_repository(conn, access.project, body), _base(request))


@router.get("/projects/{projectKey}/repos")
async def list_repositories(request: Request, conn: Conn, access: ProjectView, paging: Paging):
    rows = await service.list_repositories(conn, access.principal, access.project, paging.start,
                                            paging.limit + 1)
    return page([repository_json(r, _base(request)) for r in rows], paging)


@router.get("/projects/{projectKey}/repos/{repositorySlug}")
async def get_repository(request: Request, access: RepoRead):
    return repository_json(access.repository, _base(request))


# The OpenAPI file (and Bitbucket) answer 201 to a repository update.
@router.put("/projects/{projectKey}/repos/{repositorySlug}", status_code=201)
async def update_repository(request: Request, conn: Conn, access: RepoAdmin, body: RepositoryUpdate):
    return repository_json(await service.update_repository(conn, access.repository, body), _base(request))


@router.delete("/projects/{projectKey}/repos/{repositorySlug}", response_class=Response)
async def delete_repository(conn: Conn, access: RepoAdminIfExists):
    """202 when deleted (Bitbucket schedules it), 204 when there was no such repository."""
    if access is None:
        return Response(status_code=204)
    await service.delete_repository(conn, access.repository)
    return Response(status_code=202)


@router.get("/projects/{projectKey}/permissions/users")
async def list_project_grants(request: Request, conn: Conn, access: ProjectAdmin, paging: Paging):
    rows = await service.list_grants(conn, "project", access.project.id, paging.start, paging.limit + 1)
    return page(_permitted(rows, "PROJECT", _base(request)), paging)


@router.put("/projects/{projectKey}/permissions/users", status_code=204, response_class=Response)
async def grant_project(conn: Conn, access: ProjectAdmin, name: NameQuery = (),
                        permission: Annotated[str | None, Query()] = None):
    await service.grant(conn, "project", access.project.id, list(name), permission)


@router.delete("/projects/{projectKey}/permissions/users", status_code=204, response_class=Response)
async def revoke_project(conn: Conn, access: ProjectAdmin, name: Annotated[str | None, Query()] = None):
    await service.revoke(conn, "project", access.project.id, name)


@router.get("/projects/{projectKey}/repos/{repositorySlug}/permissions/users")
async def list_repository_grants(request: Request, conn: Conn, access: RepoAdmin, paging: Paging):
    rows = await service.list_grants(conn, "repository", access.repository.id, paging.start, paging.limit + 1)
    return page(_permitted(rows, "REPO", _base(request)), paging)


@router.put("/projects/{projectKey}/repos/{repositorySlug}/permissions/users", status_code=204,
            response_class=Response)
async def grant_repository(conn: Conn, access: RepoAdmin, name: NameQuery = (),
                           permission: Annotated[str | None, Query()] = None):
    await service.grant(conn, "repository", access.repository.id, list(name), permission)


@router.delete("/projects/{projectKey}/repos/{repositorySlug}/permissions/users", status_code=204,
               response_class=Response)
async def revoke_repository(conn: Conn, access: RepoAdmin, name: Annotated[str | None, Query()] = None):
    await service.revoke(conn, "repository", access.repository.id, name)


_LEVEL_NAMES = {1: "READ", 2: "WRITE", 3: "ADMIN"}


def _permitted(rows, prefix: str, base_url: str) -> list[dict]:
    return [user_schemas.permitted_json(user_schemas.user_json(r, base_url),
                                        f"{prefix}_{_LEVEL_NAMES[r.permission]}") for r in rows]
