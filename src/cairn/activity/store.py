"""SQL: a repository's commits by their newest activity (a build status, a report or a deployment)."""

from __future__ import annotations

from sqlalchemy import func, select, tuple_, union_all
from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.models import build_statuses, deployments, insight_reports

# Each source of activity with the column that dates it; each has a (repository, that column, commit) index.
_SOURCES = ((build_statuses, "updated_date"), (insight_reports, "created_date"), (deployments, "last_updated"))
CHUNK = 200  # activity rows one walk step reads


def _walk(repository_id: int, below: tuple[int, str] | None, limit: int):
    """The newest `limit` (time, commit) activity rows of all sources together strictly below `below`.

    Each source contributes its own newest `limit` rows (a walk of its index), so the union's newest `limit`
    are exact; the outer sort handles at most 3 × `limit` rows.
    """
    parts = []
    for table, column in _SOURCES:
        when = table.c[column]
        rows = (select(when.label("at"), table.c.commit_id.label("commit_id"))
                .where(table.c.repository_id == repository_id))
        if below is not None:
            rows = rows.where(tuple_(when, table.c.commit_id) < tuple_(*below))
        parts.append(select(rows.order_by(when.desc(), table.c.commit_id.desc()).limit(limit).subquery()))
    merged = union_all(*parts).subquery()
    return select(merged.c.at, merged.c.commit_id).order_by(merged.c.at.desc(), merged.c.commit_id.desc()).limit(limit)


def _newest_of(repository_id: int, commits: list[str]):
    """Each of `commits`' newest activity time per source, found through the (repository, commit) indexes.

    Grouped by commit rather than filtered by time on purpose: a time range lets SQLite pick the time index
    and scan the repository's history.
    """
    parts = []
    for table, column in _SOURCES:
        parts.append(select(table.c.commit_id, func.max(table.c[column]).label("at"))
                     .where(table.c.repository_id == repository_id, table.c.commit_id.in_(commits))
                     .group_by(table.c.commit_id))
    return union_all(*parts)


async def newest_commits(conn: AsyncConnection, repository_id: int, before: tuple[int, str] | None,
                         limit: int) -> list[tuple[int, str]]:
    """Up to `limit` (time, commit) of the repository's commits with activity, newest first, strictly before
    `before` (time, commit) when given: each commit at its newest activity, so it appears on one page only.

    A walk down all sources' activity in time order from `before`: a commit's first row on the walk is its
    newest below `before`; it belongs to an earlier page exactly when it also has activity at or after `before`.
    """
    found: list[tuple[int, str]] = []
    seen: set[str] = set()
    cursor = before
    while len(found) < limit:
        rows = [tuple(row) for row in await conn.execute(_walk(repository_id, cursor, CHUNK))]
        fresh = []
        for at, commit in rows:
            if commit not in seen:
                seen.add(commit)
                fresh.append((at, commit))
        if before is not None and fresh:
            newest = await conn.execute(_newest_of(repository_id, [c for _, c in fresh]))
            shown = {commit for commit, at in newest if (at, commit) >= before}
            fresh = [row for row in fresh if row[1] not in shown]
        found.extend(fresh)
        if len(rows) < CHUNK:
            break
        cursor = rows[-1]
    return found[:limit]
