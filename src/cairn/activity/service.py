"""A repository's commits with activity (build statuses, reports, deployments), newest first."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.activity import store


async def newest_commits(conn: AsyncConnection, repository_id: int, before: tuple[int, str] | None,
                         limit: int) -> list[tuple[int, str]]:
    return await store.newest_commits(conn, repository_id, before, limit)
