"""Code Insights: reports and their annotations, with Bitbucket's creator rules and the annotation cap."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.auth import permissions as perms
from cairn.auth.deps import RepositoryAccess
from cairn.errors import AUTHORISATION, CairnError, bad_request, not_found, unauthorized
from cairn.events import schemas as events
from cairn.events import service as event_log
from cairn.insights import store
from cairn.insights.schemas import (
    ANNOTATION_TYPES,
    MAX_EXTERNAL_ID,
    SEVERITIES,
    AnnotationRequest,
    ReportSetRequest,
    annotation_json,
    data_json,
    report_json,
)
from cairn.kit import written
from cairn.kit.clock import now_ms

MAX_KEY = 450  # no limit is documented; the same as the title's


def _check_key(key: str) -> str:
    if len(key) > MAX_KEY:
        raise bad_request(f"The report key must be at most {MAX_KEY} characters.", "key")
    return key


def _not_creator() -> CairnError:
    return CairnError(401, "Only the user who created this report may change it.", AUTHORISATION)


def _no_report(key: str) -> CairnError:
    # Bitbucket's own answer, as recorded (spec/api-notes.md §1.4).
    return not_found(f"No report found with key: {key}", None, "reportKey")


def _may_delete(access: RepositoryAccess, report) -> bool:
    """The report's creator (who has REPO_READ, or could not get here), or a repository admin."""
    return report.user_id == access.principal.user_id or access.level >= perms.ADMIN


async def _writable_report(conn: AsyncConnection, access: RepositoryAccess, commit_id: str, key: str):
    """The report, locked for this transaction, when the caller created it."""
    report = await store.lock_report(conn, access.repository.id, commit_id, key)
    if report is None:
        raise _no_report(key)
    if report.user_id != access.principal.user_id:
        raise _not_creator()
    return report


async def put_report(conn: AsyncConnection, access: RepositoryAccess, base_url: str, commit_id: str, key: str,
                     body: ReportSetRequest) -> dict:
    row = await store.put_report(conn, {
        "repository_id": access.repository.id, "commit_id": commit_id, "key": _check_key(key),
        "title": body.title, "details": body.details, "result": body.result, "reporter": body.reporter,
        "link": body.link, "logo_url": body.logo_url, "coverage_provider_key": body.coverage_provider_key,
        "data": data_json(body.data),
        "created_date": body.created_date if body.created_date is not None else now_ms(),
        "user_id": access.principal.user_id,
    })
    if row is None:
        raise _not_creator()
    written.REPORTS.inc()
    report = report_json(row)
    await event_log.record(conn, events.REPORT_SET, now_ms(), access, base_url, commit_id, "report", report)
    return report


async def get_report(conn: AsyncConnection, repository_id: int, commit_id: str, key: str) -> dict:
    row = await store.get_report(conn, repository_id, commit_id, key)
    if row is None:
        raise _no_report(key)
    return report_json(row)


async def list_reports(conn: AsyncConnection, repository_id: int, commit_id: str, start: int,
                       limit: int) -> list[dict]:
    return [report_json(r) for r in await store.list_reports(conn, repository_id, commit_id, start, limit)]


async def delete_report(conn: AsyncConnection, access: RepositoryAccess, base_url: str, commit_id: str,
                        key: str) -> None:
    """Delete the report and its annotations; 204 also when there is none (decision D1)."""
    report = await store.lock_report(conn, access.repository.id, commit_id, key)
    if report is None:
        return
    if not _may_delete(access, report):
        raise unauthorized(False)
    deleted = await store.delete_report(conn, report.id)
    await event_log.record(conn, events.REPORT_DELETED, now_ms(), access, base_url, commit_id, "report",
                           report_json(deleted))


async def _annotations_event(conn: AsyncConnection, event_key: str, access: RepositoryAccess, base_url: str,
                             commit_id: str, key: str, count: int) -> None:
    """Annotations' events name the report and how many, never the annotations (a linter posts 1000)."""
    await event_log.record(conn, event_key, now_ms(), access, base_url, commit_id, "annotations",
                           {"reportKey": key, "count": count})


def _duplicate(index: int, external_id: str) -> CairnError:
    return bad_request(f"An annotation with externalId '{external_id}' already exists in this report; "
                       "external ids are unique within a report.", f"annotations.{index}.externalId")


def _over_cap(cap: int) -> CairnError:
    return bad_request(f"A report can hold at most {cap} annotations; this request would store more, so none "
                       "of its annotations were stored.", "annotations")


async def add_annotations(conn: AsyncConnection, access: RepositoryAccess, base_url: str, commit_id: str, key: str,
                          annotations: list[AnnotationRequest], cap: int) -> None:
    """Store all of them or none: a duplicate external id or passing the cap rejects the whole request."""
    report = await _writable_report(conn, access, commit_id, key)
    seen: dict[str, int] = {}
    for i, annotation in enumerate(annotations):
        external_id = annotation["externalId"]
        if external_id is not None:
            if external_id in seen:
                raise _duplicate(i, external_id)
            seen[external_id] = i
    if len(annotations) > cap:
        raise _over_cap(cap)
    # The report is locked: no other request can add between this read and the insert.
    stored = await store.external_ids(conn, report.id)
    taken = [seen[e] for e in stored if e in seen]
    if taken:
        first = min(taken)
        raise _duplicate(first, annotations[first]["externalId"])
    if len(stored) + len(annotations) > cap:
        raise _over_cap(cap)
    await store.insert_annotations(conn, report.id, annotations)
    await _annotations_event(conn, events.ANNOTATIONS_ADDED, access, base_url, commit_id, key, len(annotations))
    written.ANNOTATIONS.inc(len(annotations))


async def set_annotation(conn: AsyncConnection, access: RepositoryAccess, base_url: str, commit_id: str, key: str,
                         external_id: str, annotation: AnnotationRequest, cap: int) -> None:
    """Create or replace the annotation named by `external_id` (the path wins over the body)."""
    if len(external_id) > MAX_EXTERNAL_ID:
        raise bad_request(f"externalId must be shorter than {MAX_EXTERNAL_ID + 1} characters.", "externalId")
    report = await _writable_report(conn, access, commit_id, key)
    annotation = {**annotation, "externalId": external_id}
    if not await store.replace_annotation(conn, report.id, annotation):
        if await store.count_annotations(conn, report.id) + 1 > cap:
            raise _over_cap(cap)
        await store.insert_annotations(conn, report.id, [annotation])
    await _annotations_event(conn, events.ANNOTATIONS_ADDED, access, base_url, commit_id, key, 1)
    written.ANNOTATIONS.inc()


def _listing(rows) -> dict:
    return {"totalCount": len(rows), "annotations": [annotation_json(r) for r in rows]}


async def report_annotations(conn: AsyncConnection, repository_id: int, commit_id: str, key: str) -> dict:
    rows = await store.report_annotations(conn, repository_id, commit_id, key)
    # Only none at all may mean no report: one query in the common case.
    if not rows and await store.get_report(conn, repository_id, commit_id, key) is None:
        raise _no_report(key)
    return _listing(rows)


def _check_filter(name: str, values: list[str], allowed: tuple[str, ...]) -> None:
    for value in values:
        if value not in allowed:
            raise bad_request(f"'{value}' is not a valid {name}; use one of {', '.join(allowed)}.", name)


async def commit_annotations(conn: AsyncConnection, repository_id: int, commit_id: str,
                             filters: dict[str, list[str] | None]) -> dict:
    """{"totalCount", "annotations"} of every report of the commit, narrowed by the given filters."""
    _check_filter("severity", filters.get("severity") or [], SEVERITIES)
    _check_filter("type", filters.get("type") or [], ANNOTATION_TYPES)
    rows = await store.list_annotations(conn, repository_id, commit_id,
                                        {name: values for name, values in filters.items() if values})
    return _listing(rows)


async def delete_annotations(conn: AsyncConnection, access: RepositoryAccess, base_url: str, commit_id: str,
                             key: str, external_ids: list[str] | None) -> None:
    """Delete the given external ids, or every annotation of the report when none are given."""
    report = await store.lock_report(conn, access.repository.id, commit_id, key)
    if report is None:
        raise _no_report(key)
    if not _may_delete(access, report):
        raise unauthorized(False)
    count = await store.delete_annotations(conn, report.id, external_ids or None)
    if count:
        await _annotations_event(conn, events.ANNOTATIONS_DELETED, access, base_url, commit_id, key, count)


async def results_of_commits(conn: AsyncConnection, repository_id: int, commit_ids: list[str]) -> dict[str, list]:
    """{commit: [(key, title, result)]} of the commits' reports."""
    found: dict[str, list] = {}
    for row in await store.results_of_commits(conn, repository_id, commit_ids) if commit_ids else ():
        found.setdefault(row.commit_id, []).append((row.key, row.title, row.result))
    return found


async def count_prunable(conn: AsyncConnection, repository_id: int, cutoff: int) -> int:
    return await store.count_prunable(conn, repository_id, cutoff)


async def prune(conn: AsyncConnection, repository_id: int, cutoff: int, limit: int) -> int:
    """Delete up to `limit` rows older than `cutoff` (cairn prune calls it in short transactions)."""
    return await store.prune(conn, repository_id, cutoff, limit)
