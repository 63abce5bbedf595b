"""A repository's pages: its commits with activity, one commit's results, and what is deployed where."""

from __future__ import annotations

import re
from itertools import groupby

from fastapi import APIRouter, Query, Request
from typing import Annotated

from cairn.activity import service as activity
from cairn.auth.deps import repository_access
from cairn.builds import service as builds
from cairn.db.uow import Conn
from cairn.deployments import service as deployments
from cairn.errors import bad_request
from cairn.events import service as events
from cairn.events.stream import event_stream, resume_after
from cairn.insights import service as insights
from cairn.insights.schemas import ANNOTATION_TYPES, SEVERITIES
from cairn.kit.clock import now_ms
from cairn.kit.commits import parse_commit_id
from cairn.kit.paging import page, page_request
from cairn.web import format as fmt
from cairn.web.pages import REPOSITORY, ProjectKey, RepositorySlug, Text
from cairn.web.render import render
from cairn.web.session import Visitor

router = APIRouter(include_in_schema=False)

PAGE = 25
SCAN = 1000  # most commits one filtered page looks through before it offers to look further
FILTER_STATES = ("FAILED", "INPROGRESS", "SUCCESSFUL", "CANCELLED", "UNKNOWN", "NONE")
_CURSOR = re.compile(r"(-?[0-9]{1,19})_([0-9a-f]{40})\Z")
Many = Annotated[list[str] | None, Query()]


def _cursor(value: str | None) -> tuple[int, str] | None:
    if not value:
        return None
    match = _CURSOR.match(value)
    if match is None:
        raise bad_request("This page link is not valid: 'before' must be a time and a commit, as the page made it.",
                          "before")
    return int(match[1]), match[2]


async def _commits(conn, repository_id: int, state: str | None, before: tuple[int, str] | None) -> dict:
    """A page of the repository's commits, newest activity first, in `state` when given.

    A filtered page looks through at most SCAN commits; when that finds fewer than a page, it links on from
    the last commit it looked at (`scanned`), so no request reads more than a bounded stretch of history.
    """
    shown: list[dict] = []
    counts: dict[str, dict] = {}
    cursor, scanned, more = before, 0, True
    while more and len(shown) <= PAGE and scanned < SCAN:
        want = PAGE + 1 if state is None else 100
        batch = await activity.newest_commits(conn, repository_id, cursor, want)
        more = len(batch) == want
        found = await builds.count_in_repository(conn, repository_id, [c for _, c in batch])
        for at, commit in batch:
            scanned += 1
            cursor = (at, commit)
            combined = fmt.combined_state(found.get(commit, {}))
            if state is None or combined == state:
                shown.append({"commit": commit, "at": at, "state": combined})
                counts[commit] = found.get(commit, {})
                if len(shown) > PAGE:
                    break
    next_cursor = None
    if len(shown) > PAGE:
        shown.pop()
        next_cursor = (shown[-1]["at"], shown[-1]["commit"])
    elif more:
        next_cursor = cursor  # the scan stopped before the history did
    ids = [row["commit"] for row in shown]
    reports = await insights.results_of_commits(conn, repository_id, ids)
    environments = await deployments.environments_of_commits(conn, repository_id, ids)
    for row in shown:
        row["counts"] = {s: counts[row["commit"]].get(s, 0) for s in ("SUCCESSFUL", "FAILED", "INPROGRESS",
                                                                         "CANCELLED", "UNKNOWN")}
        row["reports"] = reports.get(row["commit"], [])
        row["environments"] = environments.get(row["commit"], [])
    return {"commits": shown, "next": f"{next_cursor[0]}_{next_cursor[1]}" if next_cursor else None,
            "scanned_out": bool(next_cursor) and len(shown) < PAGE, "scanned": scanned}


@router.get(REPOSITORY + "/browse")
async def browse(request: Request, conn: Conn, visitor: Visitor, projectKey: ProjectKey,  # noqa: N803
                 repositorySlug: RepositorySlug, state: Text = None, before: Text = None):  # noqa: N803
    access = await repository_access(conn, visitor, projectKey, repositorySlug)
    state = (state or "").upper() or None
    if state is not None and state not in FILTER_STATES:
        raise bad_request(f"'{state}' is not a state to filter by; use one of {', '.join(FILTER_STATES)}.", "state")
    live = "" if before else f"/events?lastEventId={await events.newest_id(conn, access.repository.id)}"
    data = await _commits(conn, access.repository.id, state, _cursor(before))  # (a later page does not move)
    return render(request, "repository/browse.html", {"access": access, "repository": access.repository,
                                                      "state": state, "states": FILTER_STATES, "live": live, **data})


def _annotation_groups(annotations: list[dict]) -> list[dict]:
    """Per report, its annotations grouped by file (commit-wide ones first), each file's by line."""
    def by_file(a):
        return a.get("path") or ""
    groups = []
    for report_key, items in groupby(annotations, key=lambda a: a["reportKey"]):  # listed by report key
        ordered = sorted(items, key=lambda a: (by_file(a), a.get("line") or 0))
        groups.append({"report": report_key, "count": len(ordered),
                       "files": [{"path": path, "annotations": list(rows)}
                                 for path, rows in groupby(ordered, key=by_file)]})
    return groups


@router.get(REPOSITORY + "/commits/{commitId}")
async def commit(request: Request, conn: Conn, visitor: Visitor, projectKey: ProjectKey,  # noqa: N803
                 repositorySlug: RepositorySlug, commitId: str,  # noqa: N803
                 report: Many = None, severity: Many = None, type: Many = None):  # noqa: A002
    access = await repository_access(conn, visitor, projectKey, repositorySlug)
    repository_id = access.repository.id
    commit_id = parse_commit_id(commitId)
    now = now_ms()
    live = f"/commits/{commit_id}/events?lastEventId={await events.newest_id(conn, repository_id)}"
    reports = await insights.list_reports(conn, repository_id, commit_id, 0, 100)
    for item in reports:
        item["fields"] = [fmt.data_field(field, now) for field in item["data"]]
    filters = {"report_key": report or None, "severity": [s.upper() for s in severity or []] or None,
               "type": [t.upper() for t in type or []] or None}
    annotations = (await insights.commit_annotations(conn, repository_id, commit_id, filters))["annotations"]
    return render(request, "repository/commit.html", {
        "access": access, "repository": access.repository, "commit": commit_id, "live": live,
        "builds": await builds.list_statuses(conn, repository_id, commit_id, 0, 500),
        "legacy_builds": await builds.list_legacy_statuses(conn, commit_id, 100),
        "reports": reports, "report_titles": {r["key"]: r["title"] for r in reports},
        "annotations": _annotation_groups(annotations), "annotation_count": len(annotations),
        "filters": {"report": report or [], "severity": filters["severity"] or [], "type": filters["type"] or []},
        "severities": SEVERITIES, "types": ANNOTATION_TYPES,
        "deployments": await deployments.list_deployments(conn, repository_id, {}, 0, 100, commit_id=commit_id),
    })


@router.get(REPOSITORY + "/events")
async def repository_events(request: Request, conn: Conn, visitor: Visitor, projectKey: ProjectKey,  # noqa: N803
                            repositorySlug: RepositorySlug, lastEventId: Text = None):  # noqa: N803
    """The live stream a page follows (a signed-in browser sends its session, not a header): as the API's."""
    access = await repository_access(conn, visitor, projectKey, repositorySlug)
    after = resume_after(request.headers.get("last-event-id"), lastEventId)
    return await event_stream(request, conn, access.repository.id, None, after)


@router.get(REPOSITORY + "/commits/{commitId}/events")
async def commit_events(request: Request, conn: Conn, visitor: Visitor, projectKey: ProjectKey,  # noqa: N803
                        repositorySlug: RepositorySlug, commitId: str, lastEventId: Text = None):  # noqa: N803
    access = await repository_access(conn, visitor, projectKey, repositorySlug)
    after = resume_after(request.headers.get("last-event-id"), lastEventId)
    return await event_stream(request, conn, access.repository.id, parse_commit_id(commitId), after)


HISTORY = 5  # deployments shown per environment


@router.get(REPOSITORY + "/environments")
async def environments(request: Request, conn: Conn, visitor: Visitor, projectKey: ProjectKey,  # noqa: N803
                       repositorySlug: RepositorySlug, start: Text = None):  # noqa: N803
    access = await repository_access(conn, visitor, projectKey, repositorySlug)
    repository_id = access.repository.id
    paging = page_request(start, None)
    rows = await deployments.list_environments(conn, repository_id, {}, paging.start, paging.limit + 1)
    listing = page(rows, paging)
    for item in listing["values"]:
        item["history"] = await deployments.list_deployments(conn, repository_id, {}, 0, HISTORY,
                                                             environment_key=item["environment"]["key"])
    return render(request, "repository/environments.html",
                  {"access": access, "repository": access.repository, "environments": listing})
