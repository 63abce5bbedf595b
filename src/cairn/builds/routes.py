"""Build statuses: repository-scoped (/rest/api) and legacy (/rest/build-status)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Query, Request, Response

from cairn.auth.audit import AuditTrail
from cairn.auth.deps import RepoAdmin, RepoRead, RepoReadSignedIn, SignedIn
from cairn.builds import service
from cairn.builds.schemas import (
    BuildStats,
    BuildStatus,
    BuildStatusSetRequest,
    LegacyBuildStatusRequest,
)
from cairn.db.uow import Conn
from cairn.kit.commits import CommitId
from cairn.kit.paging import Page, Paging, page
from cairn.kit.routing import base_url, fast_path

router = APIRouter(tags=["Builds"])
legacy_router = APIRouter(tags=["Builds (legacy)"])

_BUILDS = "/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/builds"


@router.post(_BUILDS, status_code=204, response_class=Response)
@fast_path("post_build")
async def add_build_status(request: Request, conn: Conn, access: RepoReadSignedIn, commit: CommitId,
                           body: BuildStatusSetRequest):
    """Store a build status; re-posting a key replaces it (REPO_READ)."""
    await service.set_status(conn, access, base_url(request), commit, body)


@router.get(_BUILDS, response_model=BuildStatus | Page[BuildStatus], response_model_exclude_none=True)
async def get_build_status(conn: Conn, access: RepoRead, commit: CommitId, paging: Paging,
                           key: Annotated[str | None, Query()] = None):
    """The status with `key`; without `key`, a page of the commit's statuses, newest first."""
    if key is not None:
        return await service.get_status(conn, access.repository.id, commit, key)
    rows = await service.list_statuses(conn, access.repository.id, commit, paging.start, paging.limit + 1)
    return page(rows, paging)


@router.delete(_BUILDS, status_code=204, response_class=Response, dependencies=[AuditTrail])
async def delete_build_status(request: Request, conn: Conn, access: RepoAdmin, commit: CommitId,
                              key: Annotated[str | None, Query()] = None):
    """Delete the status with `key` (REPO_ADMIN); 204 also when there was none."""
    await service.delete_status(conn, access, base_url(request), commit, key)


@legacy_router.post("/commits/stats", response_model=dict[str, BuildStats], response_model_exclude_none=True)
async def get_multiple_build_stats(conn: Conn, caller: SignedIn, commits: Annotated[list, Body()]):
    """Stats for many commits; commits without statuses are left out."""
    return await service.multiple_stats(conn, caller, commits)


@legacy_router.get("/commits/stats/{commitId}", response_model=BuildStats, response_model_exclude_none=True)
@fast_path("stats")
async def get_build_stats(conn: Conn, caller: SignedIn, commit: CommitId,
                          includeUnique: Annotated[bool, Query()] = False):  # noqa: N803
    return await service.stats(conn, caller, commit, includeUnique)


@legacy_router.post("/commits/{commitId}", status_code=204, response_class=Response)
async def add_legacy_build_status(conn: Conn, caller: SignedIn, commit: CommitId,
                                  body: LegacyBuildStatusRequest):
    """Associate a status with a commit in every repository that has it (any signed-in user)."""
    await service.set_legacy_status(conn, commit, body)


@legacy_router.get("/commits/{commitId}", response_model=Page[BuildStatus], response_model_exclude_none=True)
async def get_legacy_build_statuses(conn: Conn, caller: SignedIn, commit: CommitId, paging: Paging,
                                    orderBy: Annotated[str | None, Query()] = None):  # noqa: N803
    rows = await service.list_commit_statuses(conn, caller, commit, orderBy, paging.start, paging.limit + 1)
    return page(rows, paging)
