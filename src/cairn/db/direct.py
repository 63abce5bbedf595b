"""Hot statements run straight on the driver connection, for the request paths CI hammers.

SQLAlchemy's async execution path (greenlet bridge, per-execution context, result processing) cost more
than the statement itself on the build-status POST and the stats GET (bench/: ~435 requests/s where the
driver alone reached ~1,300). Here a statement built with SQLAlchemy is compiled once per dialect and
then run on the connection the engine's own pool hands out, with positional parameters.

Only for statements built once (module constants, memoised builders) with plain parameter values (no
type processing, no expanding IN). `direct_connection` runs each statement as its own transaction;
`direct_transaction` runs them in one. SQLite writers queue on the same lock as db/uow.py.
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
    """The Result methods the hot stores use; rows are plain tuples (read them by position)."""

    def __init__(self, rows: list):
        self.rows = rows

    def all(self) -> list:
        return self.rows

    def first(self):
        return self.rows[0] if self.rows else None


class DirectConnection:
    """Quacks like AsyncConnection.execute for the hot statements (see the module docstring)."""

    def __init__(self, driver, dialect, sqlite: bool):
        self._driver = driver
        self.dialect = dialect
        self._sqlite = sqlite

    async def execute(self, statement, parameters: dict[str, Any] | None = None) -> DirectResult:
        sql, names = _compiled(statement, self.dialect)
        args = [parameters[name] for name in names] if names else []
        if self._sqlite:  # one trip to aiosqlite's thread, not three (execute, fetch, close)
            return DirectResult(list(await self._driver.execute_fetchall(sql, args)))
        return DirectResult(await self._driver.fetch(sql, *args))

    async def exec_driver_sql(self, sql: str, rows: list[tuple]) -> None:
        """executemany, as AsyncConnection.exec_driver_sql does given a list of rows (db/dialect.insert_many)."""
        await self._driver.executemany(sql, rows)


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


@asynccontextmanager
async def direct_transaction(engine: AsyncEngine) -> AsyncIterator[DirectConnection]:
    """A writing connection inside one transaction: committed when the block ends, rolled back on error."""
    async with direct_connection(engine, write=True) as conn:
        driver = conn._driver
        if conn._sqlite:
            await driver.execute("BEGIN IMMEDIATE")  # the write lock up front, as unit_of_work takes it
            try:
                yield conn
            except BaseException:
                await driver.rollback()
                raise
            await driver.commit()
        else:
            async with driver.transaction():
                yield conn
