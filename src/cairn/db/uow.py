"""The unit of work: one transaction per request (or CLI command), committed once at the end."""

from __future__ import annotations

from contextlib import asynccontextmanager
from typing import Annotated, AsyncIterator

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from cairn.db.engine import SQLITE_BEGIN, is_sqlite

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@asynccontextmanager
async def unit_of_work(engine: AsyncEngine, write: bool = True) -> AsyncIterator[AsyncConnection]:
    """A connection inside one transaction: committed when the block ends, rolled back on error."""
    async with engine.connect() as conn:
        if is_sqlite(engine):
            conn = await conn.execution_options(**{SQLITE_BEGIN: "IMMEDIATE" if write else "DEFERRED"})
        async with conn.begin():
            yield conn


async def _request_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    engine: AsyncEngine = request.app.state.engine
    async with unit_of_work(engine, write=request.method not in _READ_METHODS) as conn:
        yield conn


# scope="function": the transaction commits before the response is sent, so a 2xx means committed.
Conn = Annotated[AsyncConnection, Depends(_request_connection, scope="function")]
