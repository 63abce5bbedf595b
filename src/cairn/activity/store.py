"""SQL: a repository's commits by their newest activity (a build status, a report or a deployment)."""

from __future__ import annotations

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.models import build_statuses, deployments, insight_reports

# Each source of activity with the column that dates it; on equal times the earlier source wins.
_SOURCES = ((build_statuses, "updated_date"), (insight_reports, "created_date"), (deployments, "last_updated"))


def _newest_rows(index: int, repository_id: int, before: tuple[int, str] | None, limit: int):
    """The rows of source `index` that are their commit's newest activity in every source, newest first.

    Each commit is so found in exactly one source, once: a walk of the source's (repository, time) index that
    stops after `limit` rows, with one probe of each source's (repository, commit) index per row. The probes
    are equality lookups on purpose: a range on time let SQLite pick the time index and scan (quadratic).
    """
    table, column = _SOURCES[index]
    when = table.c[column]
    conditions = [table.c.repository_id == repository_id]
    if before is not None:
        conditions.append(tuple_(when, table.c.commit_id) < tuple_(*before))
    for other_index, (other_table, other_column) in enumerate(_SOURCES):
        other = other_table.alias(f"newer_{other_index}")
        same_commit = (other.c.repository_id == repository_id, other.c.commit_id == table.c.commit_id)
        if other_index == index:
            newest = (select(other.c.id).where(*same_commit)
                      .order_by(other.c[other_column].desc(), other.c.id.desc()).limit(1).scalar_subquery())
            conditions.append(table.c.id == newest)
        else:
            latest = select(func.max(other.c[other_column])).where(*same_commit).scalar_subquery()
            # On equal times the earlier source wins, so every commit is found once.
            beaten = latest >= when if other_index < index else latest > when
            conditions.append(or_(latest.is_(None), ~beaten))
    return (select(when.label("at"), table.c.commit_id).where(*conditions)
            .order_by(when.desc(), table.c.commit_id.desc()).limit(limit))


async def newest_commits(conn: AsyncConnection, repository_id: int, before: tuple[int, str] | None,
                         limit: int) -> list[tuple[int, str]]:
    """Up to `limit` (time, commit) of the repository's commits with activity, newest first, strictly before
    `before` (time, commit) when given."""
    found: list[tuple[int, str]] = []
    for index in range(len(_SOURCES)):
        found.extend(tuple(row) for row in await conn.execute(_newest_rows(index, repository_id, before, limit)))
    return sorted(found, reverse=True)[:limit]
