"""SQL: a repository's commits by their newest activity (a build status, a report or a deployment)."""

from __future__ import annotations

from sqlalchemy import and_, exists, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.models import build_statuses, deployments, insight_reports

# Each source of activity with the column that dates it; on equal times the earlier source wins.
_SOURCES = ((build_statuses, "updated_date"), (insight_reports, "created_date"), (deployments, "last_updated"))


def _newest_rows(index: int, repository_id: int, before: tuple[int, str] | None, limit: int):
    """The rows of source `index` that are their commit's newest activity in every source, newest first.

    Each commit is so found in exactly one source, once; a walk of the source's (repository, time) index with
    an index probe per source and row, which stops after `limit` rows whatever the history.
    """
    table, column = _SOURCES[index]
    when = table.c[column]
    conditions = [table.c.repository_id == repository_id]
    if before is not None:
        conditions.append(tuple_(when, table.c.commit_id) < tuple_(*before))
    for other_index, (other_table, other_column) in enumerate(_SOURCES):
        other = other_table.alias(f"newer_{other_index}")
        other_when = other.c[other_column]
        if other_index == index:
            newer = or_(other_when > when, and_(other_when == when, other.c.id > table.c.id))
        else:
            newer = other_when >= when if other_index < index else other_when > when
        conditions.append(~exists().where(other.c.repository_id == repository_id,
                                          other.c.commit_id == table.c.commit_id, newer))
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
