"""Deployments: Bitbucket's three operations on a commit, and cairn's repository listings."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from cairn.auth.audit import AuditTrail
from cairn.auth.deps import RepoAdmin, RepoRead, RepoReadSignedIn
from cairn.db.uow import Conn
from cairn.deployments import service
from cairn.deployments.schemas import Deployment, DeploymentSetRequest, EnvironmentDeployments
from cairn.kit.commits import CommitId
from cairn.kit.entities import repository_json
from cairn.kit.json import JSONResponse
from cairn.kit.paging import Page, Paging, page
from cairn.kit.routing import base_url, documented, fast_path

router = APIRouter(tags=["Deployments"])

_REPOSITORY = "/projects/{projectKey}/repos/{repositorySlug}"
_DEPLOYMENTS = _REPOSITORY + "/commits/{commitId}/deployments"
Param = Annotated[str | None, Query()]


@router.post(_DEPLOYMENTS, responses={200: documented(Deployment, "The deployment")})
@fast_path("post_deployment")
async def add_deployment(request: Request, conn: Conn, access: RepoReadSignedIn, commit: CommitId,
                         body: DeploymentSetRequest):
    """Create a deployment, or update the one with the same key, environment and sequence number."""
    return JSONResponse(await service.put_deployment(conn, access, base_url(request), commit, body))


@router.get(_DEPLOYMENTS, responses={200: documented(Deployment, "The deployment")})
async def get_deployment(request: Request, conn: Conn, access: RepoRead, commit: CommitId, key: Param = None,
                         environmentKey: Param = None, deploymentSequenceNumber: Param = None):  # noqa: N803
    repository = repository_json(access.repository, base_url(request))
    return JSONResponse(await service.get_deployment(conn, access.repository.id, commit, key, environmentKey,
                                        deploymentSequenceNumber, repository))


@router.delete(_DEPLOYMENTS, status_code=204, response_class=Response, dependencies=[AuditTrail])
async def delete_deployment(request: Request, conn: Conn, access: RepoAdmin, commit: CommitId, key: Param = None,
                            environmentKey: Param = None, deploymentSequenceNumber: Param = None):  # noqa: N803
    await service.delete_deployment(conn, access, base_url(request), commit, key, environmentKey,
                                    deploymentSequenceNumber)


@router.get(_REPOSITORY + "/deployments",
            responses={200: documented(Page[Deployment], "A page of deployments, newest first")})
async def list_deployments(request: Request, conn: Conn, access: RepoRead, paging: Paging,
                           environmentKey: Param = None, environmentType: Param = None,  # noqa: N803
                           state: Param = None, key: Param = None, commitId: Param = None):  # noqa: N803
    """cairn's: the repository's deployments, newest first, optionally narrowed."""
    repository = repository_json(access.repository, base_url(request))
    rows = await service.list_deployments(conn, access.repository.id, repository, paging.start, paging.limit + 1,
                                          environmentKey, environmentType, state, key, commitId)
    return JSONResponse(page(rows, paging))


@router.get(_REPOSITORY + "/environments", responses={
    200: documented(Page[EnvironmentDeployments], "A page of environments, the most recently deployed first")})
@fast_path("environments")
async def list_environments(request: Request, conn: Conn, access: RepoRead, paging: Paging):
    """cairn's: what is deployed where, one row per environment, the most recently deployed first."""
    repository = repository_json(access.repository, base_url(request))
    rows = await service.list_environments(conn, access.repository.id, repository, paging.start,
                                           paging.limit + 1)
    return JSONResponse(page(rows, paging))
