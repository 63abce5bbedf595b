"""Required builds (/rest/required-builds), the branching model (/rest/branch-utils) and the verdict."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from cairn.auth.deps import RepoAdmin, RepoRead
from cairn.db.uow import Conn
from cairn.kit.json import JSONResponse
from cairn.kit.paging import Page, Paging, page
from cairn.kit.routing import documented
from cairn.required_builds import service
from cairn.required_builds.schemas import (
    BranchModelConfiguration,
    BranchModelOut,
    Condition,
    ConditionSetRequest,
    Verdict,
)

router = APIRouter(tags=["Required builds"])
branch_utils_router = APIRouter(tags=["Branching model"])

_REPOSITORY = "/projects/{projectKey}/repos/{repositorySlug}"
ConditionId = Annotated[int, Path(ge=-(2**63), le=2**63 - 1)]
Param = Annotated[str | None, Query()]


@router.get(_REPOSITORY + "/conditions", responses={200: documented(Page[Condition], "A page of conditions")})
async def get_conditions(conn: Conn, access: RepoRead, paging: Paging):
    rows = await service.list_conditions(conn, access.repository.id, paging.start, paging.limit + 1)
    return JSONResponse(page(rows, paging))


@router.post(_REPOSITORY + "/condition", responses={200: documented(Condition, "The new condition")})
async def create_condition(conn: Conn, access: RepoAdmin, body: ConditionSetRequest):
    """Create a condition (REPO_ADMIN); 200, not 201, as Bitbucket answers."""
    return JSONResponse(await service.create_condition(conn, access.repository.id, body))


@router.put(_REPOSITORY + "/condition/{id}", responses={200: documented(Condition, "The updated condition")})
async def update_condition(conn: Conn, access: RepoAdmin, id: ConditionId,  # noqa: A002
                           body: ConditionSetRequest):
    return JSONResponse(await service.update_condition(conn, access.repository.id, id, body))


@router.delete(_REPOSITORY + "/condition/{id}", status_code=204, response_class=Response)
async def delete_condition(conn: Conn, access: RepoAdmin, id: ConditionId):  # noqa: A002
    """Delete a condition; 204 also when there was none."""
    await service.delete_condition(conn, access.repository.id, id)


@router.get(_REPOSITORY + "/verdict", responses={200: documented(Verdict, "Whether the merge may proceed")})
async def get_verdict(conn: Conn, access: RepoRead, targetRef: Param = None,  # noqa: N803
                      commitId: Param = None, sourceRef: Param = None):  # noqa: N803
    """cairn's: may `sourceRef` at `commitId` merge into `targetRef`? Every applying condition must be met."""
    return JSONResponse(await service.verdict(conn, access.repository, sourceRef, targetRef, commitId))


@branch_utils_router.get(_REPOSITORY + "/branchmodel", responses={200: documented(BranchModelOut, "The model")})
async def get_branch_model(conn: Conn, access: RepoRead):
    return JSONResponse(await service.branch_model(conn, access.repository))


@branch_utils_router.get(_REPOSITORY + "/branchmodel/configuration",
                         responses={200: documented(BranchModelConfiguration, "The configuration")})
async def get_configuration(conn: Conn, access: RepoRead):
    return JSONResponse(service.configuration_json(await service.configuration(conn, access.repository.id)))


@branch_utils_router.put(_REPOSITORY + "/branchmodel/configuration",
                         responses={200: documented(BranchModelConfiguration, "The new configuration")})
async def set_configuration(conn: Conn, access: RepoAdmin, body: BranchModelConfiguration):
    """Replace the configuration (REPO_ADMIN); categories not given keep their defaults."""
    return JSONResponse(await service.set_configuration(conn, access.repository.id, body))


@branch_utils_router.delete(_REPOSITORY + "/branchmodel/configuration", status_code=204, response_class=Response)
async def reset_configuration(conn: Conn, access: RepoAdmin):
    """Back to Bitbucket's defaults."""
    await service.reset_configuration(conn, access.repository.id)
