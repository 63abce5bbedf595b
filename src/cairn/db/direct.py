"""Hot statements run straight on the driver connection, for the request paths CI hammers.

SQLAlchemy's async execution path (greenlet bridge, per-execution context, result processing) cost more
than the statement itself on the build-status POST and the stats GET (bench/: ~435 requests/s where the
driver alone reached ~1,300). Here a statement built with SQLAlchemy is compiled once per dialect and
then run on the connection the engine's own pool hands out, with positional parameters.

Only for statements built once (module constants, memoised builders) with plain parameter values (no
type processing, no expanding IN). `direct_connection` runs each statement as its own transaction;
`in_transaction` runs a piece of work in one. SQLite writers queue on the same lock as db/uow.py.
"""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any, AsyncIterator, Callable, Coroutine, TypeVar

import aiosqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

from cairn.db.engine import checkout, is_sqlite
from cairn.db.uow import sqlite_writer_lock

T = TypeVar("T")


@functools.lru_cache(maxsize=256)
def _compiled(statement, dialect) -> tuple[str, tuple[str, ...], dict[str, Any]]:
    """The SQL, its parameter names in order, and the values the statement itself holds (a literal
    compared with, a LIMIT); a bindparam without a value must be given (KeyError otherwise)."""
    compiled = statement.compile(dialect=dialect)
    own = {name: compiled.params[name] for bind, name in compiled.bind_names.items() if not bind.required}
    return str(compiled), tuple(compiled.positiontup), own


def _bound(statement, dialect, parameters: dict[str, Any] | None) -> tuple[str, list]:
    sql, names, own = _compiled(statement, dialect)
    given = parameters or {}
    return sql, [given[name] if name in given else own[name] for name in names]


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
        sql, args = _bound(statement, self.dialect, parameters)
        if self._sqlite:  # one trip to aiosqlite's thread, not three (execute, fetch, close)
            return DirectResult(list(await self._driver.execute_fetchall(sql, args)))
        return DirectResult(await self._driver.fetch(sql, *args))

    async def exec_driver_sql(self, sql: str, rows: list[tuple]) -> None:
        """executemany, as AsyncConnection.exec_driver_sql does given a list of rows (db/dialect.insert_many)."""
        await self._driver.executemany(sql, rows)


def _unfit(driver) -> bool:
    """A transaction left open (cancelled mid-way, a failed rollback) or a lost PostgreSQL connection."""
    if isinstance(driver, aiosqlite.Connection):
        return driver.in_transaction
    return driver.is_closed() or driver.is_in_transaction()


@asynccontextmanager
async def _pooled(engine: AsyncEngine):
    pooled = await checkout(engine, engine.raw_connection())
    try:
        yield pooled.driver_connection
    finally:
        try:
            # Never hand such a connection on: the pool does not roll back SQLite connections (db/engine.py)
            # nor transactions begun on the driver, and finds lost connections only when SQLAlchemy uses them.
            if _unfit(pooled.driver_connection):
                await greenlet_spawn(pooled.invalidate)
        finally:
            await greenlet_spawn(pooled.close)


class CommitFailed(Exception):
    """PostgreSQL's COMMIT failed: the transaction may or may not be stored, so it must not be retried."""


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


class _InThread:
    """DirectConnection inside the SQLite connection's own thread, where each statement runs at once."""

    def __init__(self, conn: sqlite3.Connection, dialect):
        self._conn = conn
        self.dialect = dialect

    async def execute(self, statement, parameters: dict[str, Any] | None = None) -> DirectResult:
        return DirectResult(self._conn.execute(*_bound(statement, self.dialect, parameters)).fetchall())

    async def exec_driver_sql(self, sql: str, rows: list[tuple]) -> None:
        self._conn.executemany(sql, rows)


def _run_to_end(coroutine):
    """The result of a coroutine that never waits (all it awaits are _InThread statements)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("work in a direct transaction waited on something other than its statements")


def _sqlite_transaction(conn: sqlite3.Connection, dialect, work):
    conn.execute("BEGIN IMMEDIATE")  # the write lock up front, as unit_of_work takes it
    try:
        result = _run_to_end(work(_InThread(conn, dialect)))
        conn.execute("COMMIT")
        return result
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


async def in_transaction(engine: AsyncEngine, work: Callable[[Any], Coroutine[Any, Any, T]]) -> T:
    """`await work(conn)` in one transaction on a direct connection: committed when it returns, rolled back
    when it raises (CommitFailed when PostgreSQL's COMMIT fails). `work` may await only the connection's
    statements.

    On SQLite all of it runs in one trip to aiosqlite's thread: a trip per statement cost ~0.1 ms each, a
    quarter of storing 1000 annotations.
    """
    if not is_sqlite(engine):
        async with _pooled(engine) as driver:
            transaction = driver.transaction()
            await transaction.start()
            try:
                result = await work(DirectConnection(driver, engine.dialect, sqlite=False))
            except BaseException:
                await transaction.rollback()
                raise
            try:
                await transaction.commit()
            except Exception as error:
                raise CommitFailed from error
            return result
    async with sqlite_writer_lock(engine), _pooled(engine) as driver:
        # aiosqlite has no public call for running a function in its thread; _execute is what its own
        # methods use (aiosqlite is pinned below 1.0; tests/test_direct.py fails if this breaks).
        job = asyncio.ensure_future(driver._execute(_sqlite_transaction, driver._conn, engine.dialect, work))
        try:
            return await asyncio.shield(job)
        except asyncio.CancelledError:
            # The thread carries on: keep the lock and the connection until it has committed or rolled back.
            await asyncio.wait([job])
            raise
