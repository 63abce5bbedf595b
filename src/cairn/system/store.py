"""SQL of the system endpoints."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

_PING = text("SELECT 1")


async def ping(engine: AsyncEngine) -> None:
    """One round trip to the database, on a connection of its own (raises when it does not answer)."""
    async with engine.connect() as conn:
        await conn.execute(_PING)
