"""Whether this server can serve: the database must answer."""

from __future__ import annotations

import asyncio

from sqlalchemy.ext.asyncio import AsyncEngine

from cairn.system import store

PING_SECONDS = 2.0  # a database slower than this to answer SELECT 1 counts as down for /status


async def database_answers(engine: AsyncEngine) -> bool:
    try:
        async with asyncio.timeout(PING_SECONDS):
            await store.ping(engine)
    except Exception:  # refused, dropped, timed out: all mean "cannot serve now"
        return False
    return True
