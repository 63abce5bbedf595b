"""SQL for Code Insights reports and annotations."""

from __future__ import annotations

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.db.dialect import insert_many, upsert
from cairn.models import insight_annotations as ia
from cairn.models import insight_reports as ir

# Everything a PUT replaces; the row (and so its annotations) stays.
_REPLACED = ("title", "details", "result", "reporter", "link", "logo_url", "coverage_provider_key", "data",
             "created_date")
# The columns of a listed annotation after its report's key (schemas.annotation_json reads them in order).
_ANNOTATION_COLUMNS = ("external_id", "message", "severity", "type", "path", "line", "link")


def _report(repository_id: int, commit_id: str, key: str):
    return select(ir).where(ir.c.repository_id == repository_id, ir.c.commit_id == commit_id, ir.c.key == key)


async def put_report(conn: AsyncConnection, values: dict):
    """Create the report, or replace it when the same user created it; None when another user did."""
    # Only the creator may replace (the module page); the WHERE makes the check and the write one statement.
    result = await upsert(conn, ir, values, ("repository_id", "commit_id", "key"), _REPLACED,
                          update_where="insight_reports.user_id = excluded.user_id", returning=True)
    return result.first()


async def get_report(conn: AsyncConnection, repository_id: int, commit_id: str, key: str, lock: bool = False):
    """The report; with `lock`, held until the transaction ends, so writers of one report go one at a time
    (PostgreSQL row lock; a SQLite writer already holds the database lock)."""
    stmt = _report(repository_id, commit_id, key)
    return (await conn.execute(stmt.with_for_update() if lock else stmt)).first()


async def list_reports(conn: AsyncConnection, repository_id: int, commit_id: str, start: int, limit: int):
    stmt = (select(ir).where(ir.c.repository_id == repository_id, ir.c.commit_id == commit_id)
            .order_by(ir.c.key).offset(start).limit(limit))
    return (await conn.execute(stmt)).all()


async def delete_report(conn: AsyncConnection, report_id: int) -> None:
    # Its annotations go with it (ON DELETE CASCADE).
    await conn.execute(delete(ir).where(ir.c.id == report_id))


async def count_annotations(conn: AsyncConnection, report_id: int) -> int:
    return (await conn.execute(select(func.count()).where(ia.c.report_id == report_id))).scalar_one()


async def external_ids(conn: AsyncConnection, report_id: int) -> list[str | None]:
    """The external id of each of the report's annotations (None where it has none): at most the cap."""
    return list((await conn.execute(select(ia.c.external_id).where(ia.c.report_id == report_id))).scalars())


async def insert_annotations(conn: AsyncConnection, report_id: int, rows: list[dict]) -> None:
    """All rows in one batch (executemany), however many there are."""
    await insert_many(conn, ia, [{"report_id": report_id, **row} for row in rows])


async def replace_annotation(conn: AsyncConnection, report_id: int, row: dict) -> bool:
    """Replace the annotation with row's external id; False when the report has none with it."""
    result = await conn.execute(update(ia).where(ia.c.report_id == report_id,
                                                 ia.c.external_id == row["external_id"]).values(row))
    return result.rowcount > 0


async def delete_annotations(conn: AsyncConnection, report_id: int, external_ids: list[str] | None) -> None:
    stmt = delete(ia).where(ia.c.report_id == report_id)
    if external_ids is not None:
        stmt = stmt.where(ia.c.external_id.in_(external_ids))
    await conn.execute(stmt)


async def list_annotations(conn: AsyncConnection, repository_id: int, commit_id: str,
                           filters: dict[str, list[str]]):
    """The commit's annotations with their report's key: by report key, then in the order they were stored.

    `filters` maps report_key/severity/type/path/external_id to accepted values (OR within, AND across).
    """
    columns = {"report_key": ir.c.key, "severity": ia.c.severity, "type": ia.c.type, "path": ia.c.path,
               "external_id": ia.c.external_id}
    stmt = (select(ir.c.key.label("report_key"), *(ia.c[c] for c in _ANNOTATION_COLUMNS))
            .select_from(ia.join(ir, ir.c.id == ia.c.report_id))
            .where(ir.c.repository_id == repository_id, ir.c.commit_id == commit_id)
            .order_by(ir.c.key, ia.c.id))
    for name, values in filters.items():
        stmt = stmt.where(columns[name].in_(values))
    return (await conn.execute(stmt)).all()
