"""Code Insights: /rest/insights/{1.0,latest}/projects/../repos/../commits/{commitId}/..."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response

from cairn.auth.audit import AuditTrail
from cairn.auth.deps import RepoRead, RepoReadSignedIn
from cairn.db.uow import Conn
from cairn.insights import service
from cairn.insights.schemas import AnnotationRequest, Annotations, AnnotationsRequest, Report, ReportSetRequest
from cairn.kit.commits import CommitId
from cairn.kit.json import JSONResponse
from cairn.kit.paging import Page, Paging, page
from cairn.kit.routing import base_url, documented, fast_path

router = APIRouter(tags=["Code Insights"])

_COMMIT = "/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}"
_REPORT = _COMMIT + "/reports/{key}"
Key = Annotated[str, Path(description="The report key, chosen by the reporter (reverse-DNS recommended)")]
Many = Annotated[list[str] | None, Query()]


def _cap(request: Request) -> int:
    return request.app.state.settings.insights_max_annotations


@router.get(_COMMIT + "/reports", responses={200: documented(Page[Report], "A page of the commit's reports")})
async def get_reports(conn: Conn, access: RepoRead, commit: CommitId, paging: Paging):
    """A page of the commit's reports, by key."""
    rows = await service.list_reports(conn, access.repository.id, commit, paging.start, paging.limit + 1)
    return JSONResponse(page(rows, paging))


@router.get(_REPORT, responses={200: documented(Report, "The report")})
async def get_report(conn: Conn, access: RepoRead, commit: CommitId, key: Key):
    return JSONResponse(await service.get_report(conn, access.repository.id, commit, key))


@router.put(_REPORT, responses={200: documented(Report, "The stored report")})
async def set_report(request: Request, conn: Conn, access: RepoReadSignedIn, commit: CommitId, key: Key,
                     body: ReportSetRequest):
    """Create the report, or replace it (its creator only); its annotations are kept."""
    return JSONResponse(await service.put_report(conn, access, base_url(request), commit, key, body))


@router.delete(_REPORT, status_code=204, response_class=Response, dependencies=[AuditTrail])
async def delete_report(request: Request, conn: Conn, access: RepoReadSignedIn, commit: CommitId, key: Key):
    """Delete the report and its annotations (creator, or REPO_ADMIN); 204 also when there is none."""
    await service.delete_report(conn, access, base_url(request), commit, key)


@router.get(_REPORT + "/annotations", responses={200: documented(Annotations, "The annotations")})
@fast_path("report_annotations")
async def get_report_annotations(conn: Conn, access: RepoRead, commit: CommitId, key: Key):
    return JSONResponse(await service.report_annotations(conn, access.repository.id, commit, key))


@router.post(_REPORT + "/annotations", status_code=204, response_class=Response)
@fast_path("post_annotations")
async def add_annotations(request: Request, conn: Conn, access: RepoReadSignedIn, commit: CommitId, key: Key,
                          body: AnnotationsRequest):
    """Add annotations (the report's creator only): all of them, or none when one is rejected."""
    await service.add_annotations(conn, access, base_url(request), commit, key, body.annotations, _cap(request))


@router.delete(_REPORT + "/annotations", status_code=204, response_class=Response, dependencies=[AuditTrail])
async def delete_annotations(request: Request, conn: Conn, access: RepoReadSignedIn, commit: CommitId, key: Key,
                             externalId: Many = None):  # noqa: N803
    """Delete the annotations with these external ids, or all of the report's (creator, or REPO_ADMIN)."""
    await service.delete_annotations(conn, access, base_url(request), commit, key, externalId)


@router.put(_REPORT + "/annotations/{externalId}", status_code=204, response_class=Response)
async def set_annotation(request: Request, conn: Conn, access: RepoReadSignedIn, commit: CommitId, key: Key,
                         externalId: Annotated[str, Path()], body: AnnotationRequest):  # noqa: N803
    """Create or replace the annotation with this external id (the report's creator only)."""
    await service.set_annotation(conn, access, base_url(request), commit, key, externalId, body, _cap(request))


@router.get(_COMMIT + "/annotations", responses={200: documented(Annotations, "The annotations")})
async def get_commit_annotations(conn: Conn, access: RepoRead, commit: CommitId, key: Many = None,
                                 severity: Many = None, type: Many = None, path: Many = None,  # noqa: A002
                                 externalId: Many = None):  # noqa: N803
    """Annotations of every report of the commit; repeat a parameter to accept several values."""
    filters = {"report_key": key, "severity": severity, "type": type, "path": path, "external_id": externalId}
    return JSONResponse(await service.commit_annotations(conn, access.repository.id, commit, filters))
