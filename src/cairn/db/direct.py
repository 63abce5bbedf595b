"""Hot statements run straight on the driver connection, for the request paths CI hammers.

SQLAlchemy's async execution path (greenlet bridge, per-execution context, result processing) cost more
than the statement itself on the build-status POST and the stats GET (bench/: ~435 requests/s where the
driver alone reached ~1,300). Here a statement built with SQLAlchemy is compiled once per dialect and
then run on the connection the engine's own pool hands out, with positional parameters.

Only for statements built once (module constants, memoised builders) with plain parameter values (no
type processing, no expanding IN). Each statement is its own transaction: use it for single-statement
work only. SQLite writers queue on the same lock as db/uow.py.
"""

from __future__ import annotations

import functools
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, AsyncIterator

from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

from cairn.db.engine import is_sqlite
from cairn.db.uow import sqlite_writer_lock


@functools.lru_cache(maxsize=256)
def _compiled(statement, dialect) -> tuple[str, tuple[str, ...]]:
    compiled = statement.compile(dialect=dialect)
    return str(compiled), tuple(compiled.positiontup)


class DirectResult:
    """The Result method the hot stores use."""

    def __init__(self, rows: list):
        self.rows = rows

    def all(self) -> list:
        return self.rows


class DirectConnection:
    """Quacks like AsyncConnection.execute for the hot statements (see the module docstring)."""

    def __init__(self, driver, dialect, sqlite: bool):
        self._driver = driver
        self._dialect = dialect
        self._sqlite = sqlite

    async def execute(self, statement, parameters: dict[str, Any] | None = None) -> DirectResult:
        sql, names = _compiled(statement, self._dialect)
        args = [parameters[name] for name in names] if names else []
        if self._sqlite:  # one trip to aiosqlite's thread, not three (execute, fetch, close)
            return DirectResult(list(await self._driver.execute_fetchall(sql, args)))
        return DirectResult(await self._driver.fetch(sql, *args))


@asynccontextmanager
async def _pooled(engine: AsyncEngine):
    pooled = await engine.raw_connection()
    try:
        yield pooled.driver_connection
    finally:
        await greenlet_spawn(pooled.close)


@asynccontextmanager
async def direct_connection(engine: AsyncEngine, write: bool) -> AsyncIterator[DirectConnection]:
    """A connection from the engine's pool, its driver connection in autocommit (one statement, one
    transaction)."""
    sqlite = is_sqlite(engine)
    async with AsyncExitStack() as stack:
        if sqlite and write:
            # Lock first, then connection, as unit_of_work does: the other order deadlocks once the pool
            # is exhausted.
            await stack.enter_async_context(sqlite_writer_lock(engine))
        driver = await stack.enter_async_context(_pooled(engine))
        yield DirectConnection(driver, engine.dialect, sqlite)
