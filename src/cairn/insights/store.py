"""SQL for Code Insights reports and annotations."""

from __future__ import annotations

import operator
from typing import NamedTuple

from sqlalchemy import bindparam, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.db.dialect import insert_many, upsert
from cairn.insights.schemas import AnnotationRequest
from cairn.models import insight_annotations as ia
from cairn.models import insight_reports as ir

# Everything a PUT replaces; the row (and so its annotations) stays.
_REPLACED = ("title", "details", "result", "reporter", "link", "logo_url", "coverage_provider_key", "data",
             "created_date")


# Built once with bind parameters: the annotation POST and a report's annotation GET also run in cairn.lane on
# a direct connection (db/direct.py), which takes only such statements and reads rows by position.
_THE_REPORT = (ir.c.repository_id == bindparam("repository_id"), ir.c.commit_id == bindparam("commit_id"),
               ir.c.key == bindparam("key"))
_REPORT = select(ir).where(*_THE_REPORT)
_LOCK_REPORT = select(ir.c.id, ir.c.user_id).where(*_THE_REPORT).with_for_update()
_EXTERNAL_IDS = select(ia.c.external_id).where(ia.c.report_id == bindparam("report_id"))

# The column of each AnnotationRequest member, in the table's column order (schemas.annotation_json reads
# a listed annotation's columns in this order, after its report's key).
_ANNOTATION_COLUMNS = {"external_id": "externalId", "message": "message", "severity": "severity", "type": "type",
                      "path": "path", "line": "line", "link": "link"}
_STORED = operator.itemgetter(*_ANNOTATION_COLUMNS.values())
_LISTED = (ir.c.key.label("report_key"), *(ia.c[c] for c in _ANNOTATION_COLUMNS))  # as annotation_json reads them
_REPORT_ANNOTATIONS = (select(*_LISTED).select_from(ia.join(ir, ir.c.id == ia.c.report_id)).where(*_THE_REPORT)
                       .order_by(ia.c.id))


class ReportOwner(NamedTuple):
    id: int
    user_id: int | None


async def put_report(conn: AsyncConnection, values: dict):
    """Create the report, or replace it when the same user created it; None when another user did."""
    # Only the creator may replace (the module page); the WHERE makes the check and the write one statement.
    result = await upsert(conn, ir, values, ("repository_id", "commit_id", "key"), _REPLACED,
                          update_where="insight_reports.user_id = excluded.user_id", returning=True)
    return result.first()


def _names(repository_id: int, commit_id: str, key: str) -> dict:
    return {"repository_id": repository_id, "commit_id": commit_id, "key": key}


async def get_report(conn: AsyncConnection, repository_id: int, commit_id: str, key: str):
    return (await conn.execute(_REPORT, _names(repository_id, commit_id, key))).first()


async def lock_report(conn: AsyncConnection, repository_id: int, commit_id: str, key: str) -> ReportOwner | None:
    """The report's id and creator, locked until the transaction ends, so writers of one report go one at a
    time (PostgreSQL row lock; a SQLite writer already holds the database lock)."""
    row = (await conn.execute(_LOCK_REPORT, _names(repository_id, commit_id, key))).first()
    return None if row is None else ReportOwner(*row)


async def list_reports(conn: AsyncConnection, repository_id: int, commit_id: str, start: int, limit: int):
    stmt = (select(ir).where(ir.c.repository_id == repository_id, ir.c.commit_id == commit_id)
            .order_by(ir.c.key).offset(start).limit(limit))
    return (await conn.execute(stmt)).all()


async def delete_report(conn: AsyncConnection, report_id: int):
    """Delete the report (its annotations go with it, ON DELETE CASCADE); the row it was."""
    return (await conn.execute(delete(ir).where(ir.c.id == report_id).returning(*ir.c))).first()


async def count_annotations(conn: AsyncConnection, report_id: int) -> int:
    return (await conn.execute(select(func.count()).where(ia.c.report_id == report_id))).scalar_one()


async def external_ids(conn: AsyncConnection, report_id: int) -> list[str | None]:
    """The external id of each of the report's annotations (None where it has none): at most the cap.

    A statement of its own after lock_report: PostgreSQL would read joined rows as they were before the
    lock was granted (the cap race test caught it).
    """
    return [row[0] for row in (await conn.execute(_EXTERNAL_IDS, {"report_id": report_id})).all()]


async def insert_annotations(conn: AsyncConnection, report_id: int, annotations: list[AnnotationRequest]) -> None:
    """All of them in one batch, however many there are."""
    head = (report_id,)
    await insert_many(conn, ia, ("report_id", *_ANNOTATION_COLUMNS), [head + _STORED(a) for a in annotations])


async def replace_annotation(conn: AsyncConnection, report_id: int, annotation: AnnotationRequest) -> bool:
    """Replace the annotation with this one's external id; False when the report has none with it."""
    values = dict(zip(_ANNOTATION_COLUMNS, _STORED(annotation)))
    result = await conn.execute(update(ia).where(ia.c.report_id == report_id,
                                                 ia.c.external_id == annotation["externalId"]).values(values))
    return result.rowcount > 0


async def delete_annotations(conn: AsyncConnection, report_id: int, external_ids: list[str] | None) -> int:
    """Delete them; how many there were."""
    stmt = delete(ia).where(ia.c.report_id == report_id)
    if external_ids is not None:
        stmt = stmt.where(ia.c.external_id.in_(external_ids))
    return (await conn.execute(stmt)).rowcount


async def report_annotations(conn: AsyncConnection, repository_id: int, commit_id: str, key: str):
    """One report's annotations, in the order they were stored (as list_annotations lists them)."""
    return (await conn.execute(_REPORT_ANNOTATIONS, _names(repository_id, commit_id, key))).all()


async def list_annotations(conn: AsyncConnection, repository_id: int, commit_id: str,
                           filters: dict[str, list[str]]):
    """The commit's annotations with their report's key: by report key, then in the order they were stored.

    `filters` maps report_key/severity/type/path/external_id to accepted values (OR within, AND across).
    """
    columns = {"report_key": ir.c.key, "severity": ia.c.severity, "type": ia.c.type, "path": ia.c.path,
               "external_id": ia.c.external_id}
    stmt = (select(*_LISTED).select_from(ia.join(ir, ir.c.id == ia.c.report_id))
            .where(ir.c.repository_id == repository_id, ir.c.commit_id == commit_id)
            .order_by(ir.c.key, ia.c.id))
    for name, values in filters.items():
        stmt = stmt.where(columns[name].in_(values))
    return (await conn.execute(stmt)).all()


async def results_of_commits(conn: AsyncConnection, repository_id: int, commit_ids: list[str]):
    """(commit_id, key, title, result) of every report on the commits, by key."""
    stmt = (select(ir.c.commit_id, ir.c.key, ir.c.title, ir.c.result)
            .where(ir.c.repository_id == repository_id, ir.c.commit_id.in_(commit_ids)).order_by(ir.c.key))
    return (await conn.execute(stmt)).all()


def _prunable(repository_id: int, cutoff: int):
    return (ir.c.repository_id == repository_id) & (ir.c.created_date < cutoff)


async def count_prunable(conn: AsyncConnection, repository_id: int, cutoff: int) -> int:
    return (await conn.execute(select(func.count()).select_from(ir).where(_prunable(repository_id, cutoff)))).scalar()


async def prune(conn: AsyncConnection, repository_id: int, cutoff: int, limit: int) -> int:
    """Delete up to `limit` reports last written before `cutoff`, their annotations with them (cascade)."""
    batch = select(ir.c.id).where(_prunable(repository_id, cutoff)).limit(limit).scalar_subquery()
    return (await conn.execute(delete(ir).where(ir.c.id.in_(batch)))).rowcount
