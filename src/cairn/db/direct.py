"""Hot statements run straight on the driver connection, for the request paths CI hammers.

SQLAlchemy's async execution path (greenlet bridge, per-execution context, result processing) cost more
than the statement itself on the build-status POST and the stats GET (bench/: ~435 requests/s where the
driver alone reached ~1,300). Here a statement built with SQLAlchemy is compiled once per dialect and
then run with positional parameters on a driver connection: on PostgreSQL one of the lane's share of the
engine's pool, on SQLite one of this module's own (a commit's stats are read on the event loop's own thread).

Only for statements built once (module constants, memoised builders) with plain parameter values (no
type processing, no expanding IN). `direct_connection` reads, each statement its own transaction;
`in_transaction` writes, a piece of work in one transaction (on SQLite shared by concurrent writes: group
commit). SQLite writers queue on the same lock as db/uow.py.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import sqlite3
import weakref
from typing import Any, Callable, Coroutine, TypeVar

import aiosqlite
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

from cairn.db.engine import SQLITE_PRAGMAS, checkout, is_sqlite
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
        self.driver = driver
        self.dialect = dialect
        self._sqlite = sqlite

    async def execute(self, statement, parameters: dict[str, Any] | None = None) -> DirectResult:
        sql, args = _bound(statement, self.dialect, parameters)
        if self._sqlite:  # one trip to aiosqlite's thread, not three (execute, fetch, close)
            return DirectResult(list(await self.driver.execute_fetchall(sql, args)))
        return DirectResult(await self.driver.fetch(sql, *args))

    async def exec_driver_sql(self, sql: str, rows: list[tuple]) -> None:
        """executemany, as AsyncConnection.exec_driver_sql does given a list of rows (db/dialect.insert_many)."""
        await self.driver.executemany(sql, rows)


class _Idle:
    """Idle connections, handed to waiters first come, first served: a connection given back goes straight to
    the longest waiter. (With asyncio.Queue a newcomer could take it before the woken waiter ran, and that
    waiter queued again at the back: PostgreSQL stats GET p99 5.4 -> 31.8 ms at 16 connections, bench/.)"""

    def __init__(self):
        self._idle: list = []
        self._waiting: collections.deque[asyncio.Future] = collections.deque()

    def empty(self) -> bool:
        return not self._idle

    def get_nowait(self):
        return self._idle.pop()

    async def get(self):
        if self._idle and not self._waiting:
            return self._idle.pop()
        handed = asyncio.get_running_loop().create_future()
        self._waiting.append(handed)
        try:
            return await handed
        except asyncio.CancelledError:
            if handed.done() and not handed.cancelled():
                self.put_nowait(handed.result())  # handed over just as the caller was cancelled: pass it on
            elif handed in self._waiting:
                self._waiting.remove(handed)
            raise

    def put_nowait(self, conn) -> None:
        while self._waiting:
            handed = self._waiting.popleft()
            if not handed.done():
                handed.set_result(conn)
                return
        self._idle.append(conn)


class _PostgreSQLConnections:
    """On PostgreSQL, the fast lane's share of the engine's pool: up to half its connections, each checked out
    once and then handed round (_Idle). A checkout through SQLAlchemy's async pool and back cost two
    greenlet switches and a reset per request: 75 of a stats GET's 115 us of CPU (in-process, issue 14). The
    share stays inside CAIRN_DB_POOL_SIZE, so a process never holds more connections than configured, and the
    other half always serves the full app. (bench/: the baseline answers as fast on 5 connections as on 10.)"""

    def __init__(self, engine: AsyncEngine):
        self._engine = engine
        self._share = max(1, engine.sync_engine.pool.size() // 2)
        self._idle = _Idle()
        self._held = 0

    async def take(self):
        """A pooled connection (its driver connection is `.driver_connection`), for `give` to take back."""
        if self._idle.empty() and self._held < self._share:
            self._held += 1
            try:
                return await checkout(self._engine, self._engine.raw_connection())
            except BaseException:
                self._held -= 1
                raise
        return await self._idle.get()

    async def give(self, pooled) -> None:
        driver = pooled.driver_connection
        if driver.is_closed() or driver.is_in_transaction():
            # Never hand on a connection left in a transaction (cancelled mid-way, a failed rollback) or lost.
            # A lost one means the server went away: the idle ones are from before, so they go too.
            await self._give_back(pooled)
            if driver.is_closed():
                while not self._idle.empty():
                    await self._give_back(self._idle.get_nowait())
        else:
            self._idle.put_nowait(pooled)

    async def _give_back(self, pooled, invalidate: bool = True) -> None:
        self._held -= 1
        try:
            if invalidate:
                await greenlet_spawn(pooled.invalidate)
        finally:
            await greenlet_spawn(pooled.close)

    async def close(self) -> None:
        while not self._idle.empty():
            await self._give_back(self._idle.get_nowait(), invalidate=False)


class CommitFailed(Exception):
    """PostgreSQL's COMMIT failed: the transaction may or may not be stored, so it must not be retried."""


class _SQLiteConnections:
    """On SQLite, the fast lane's own aiosqlite connections beside the engine's pool: a few readers in a plain
    queue, and the one writer of the group commit. A checkout through SQLAlchemy's async pool cost two greenlet
    spawns per request, and its ten connections' threads fought over the GIL: a stats GET took 256 µs of the
    event loop's CPU against 135 µs with a queue of a few connections (issue 14's profile)."""

    READERS = 2

    def __init__(self, path: str):
        self._path = path
        self._idle = _Idle()
        self._readers = 0
        self._writer: aiosqlite.Connection | None = None
        self._quick: _Remembering | None = None

    def quick(self, dialect) -> "_Remembering":
        """The connection the event loop's own thread reads on, for statements of index lookups bounded by what
        they answer, not by the history (one commit's statuses, 10 us; a page of environments, 0.3 ms): the trip
        to a reader's thread and back cost more than the first (issue 14). WAL lets a reader through while another
        connection writes; its busy timeout is 0, so in the rare case it would wait (a checkpoint that must reset
        the log) it fails at once and the lane hands the request to the full app instead of stalling every
        request."""
        if self._quick is None:
            conn = sqlite3.connect(self._path, isolation_level=None)
            for pragma in SQLITE_PRAGMAS:
                conn.execute(f"PRAGMA {pragma}")
            conn.execute("PRAGMA busy_timeout=0")
            self._quick = _Remembering(conn, dialect)
        return self._quick

    async def _open(self) -> aiosqlite.Connection:
        conn = await aiosqlite.connect(self._path, timeout=30, isolation_level=None)
        for pragma in SQLITE_PRAGMAS:
            await conn.execute(f"PRAGMA {pragma}")
        return conn

    async def take(self) -> aiosqlite.Connection:
        """A reader, for `give` to take back."""
        if self._idle.empty() and self._readers < self.READERS:
            self._readers += 1
            try:
                return await self._open()
            except BaseException:
                self._readers -= 1
                raise
        return await self._idle.get()

    async def give(self, conn: aiosqlite.Connection) -> None:
        self._idle.put_nowait(conn)  # autocommit reads leave no transaction behind

    async def writer(self) -> aiosqlite.Connection:
        if self._writer is None:
            self._writer = await self._open()
        return self._writer

    async def close(self) -> None:
        if self._quick is not None:
            self._quick.close()
            self._quick = None
        while not self._idle.empty():
            await self._idle.get_nowait().close()
        self._readers = 0
        if self._writer is not None:
            await self._writer.close()
            self._writer = None


class direct_connection:  # noqa: N801 - used as `async with direct_connection(engine) as conn`
    """A connection for reading, its driver connection in autocommit (each statement its own transaction);
    writes go through in_transaction. `quick`: every statement is a few index lookups, which SQLite runs in the
    event loop's own thread, remembering rows while nothing changes (_SQLiteConnections.quick), and PostgreSQL
    runs together with concurrent ones when the statement is `gathered` (_Gathering). (A class, not a
    generator: on every hot request the difference showed.)"""

    __slots__ = ("_engine", "_quick", "_lender", "_lent")

    def __init__(self, engine: AsyncEngine, quick: bool = False):
        self._engine = engine
        self._quick = quick
        self._lender = None

    async def __aenter__(self):
        engine = self._engine
        sqlite = is_sqlite(engine)
        if self._quick:
            direct = _direct(engine)
            return direct.sqlite.quick(engine.dialect) if sqlite else _Gathering(direct, engine.dialect)
        lender = _direct(engine).sqlite if sqlite else _direct(engine).postgresql
        self._lent = await lender.take()
        self._lender = lender
        return DirectConnection(self._lent if sqlite else self._lent.driver_connection, engine.dialect, sqlite)

    async def __aexit__(self, *_exc) -> None:
        if self._lender is not None:
            await self._lender.give(self._lent)


class _InThread:
    """DirectConnection inside the SQLite connection's own thread, where each statement runs at once."""

    def __init__(self, conn: sqlite3.Connection, dialect):
        self._conn = conn
        self.dialect = dialect

    async def execute(self, statement, parameters: dict[str, Any] | None = None) -> DirectResult:
        return DirectResult(self._conn.execute(*_bound(statement, self.dialect, parameters)).fetchall())

    async def exec_driver_sql(self, sql: str, rows: list[tuple]) -> None:
        self._conn.executemany(sql, rows)


class _Remembering(_InThread):
    """The quick reader (_SQLiteConnections.quick), which keeps each statement's rows for as long as the database
    is unchanged: SQLite's data_version moves whenever another connection commits (this process's writers, the
    admin CLI, any other process), and this one never writes. A stats GET or an environments page asked again
    while nobody wrote (dashboards and merge checks poll) then costs no statement: 15 % less CPU per stats GET
    (real server, alternating runs), 0.67 -> 0.30 ms per listing (in-process). Quick statements must depend on
    nothing but the database and their parameters.

    The version is read once per turn of the event loop (14 % less CPU per stats GET again). That is as fresh: a
    commit by this process is acknowledged in a later turn (its thread hands the result back), and a request sent
    after another process's commit is read off the socket before the turn that answers it begins."""

    MAX_ROWS = 20_000  # rows kept (a few MB); all are forgotten at once beyond

    def __init__(self, conn: sqlite3.Connection, dialect):
        super().__init__(conn, dialect)
        self._version = None
        self._remembered: dict[tuple, tuple] = {}
        self._rows = 0
        self._checked = False  # the version was read in this turn of the event loop

    async def execute(self, statement, parameters: dict[str, Any] | None = None) -> DirectResult:
        sql, args = _bound(statement, self.dialect, parameters)
        if not self._checked:
            self._check()
        key = (sql, *args)
        rows = self._remembered.get(key)
        if rows is None:
            rows = self._remembered[key] = tuple(self._conn.execute(sql, args).fetchall())  # shared: read-only
            self._rows += len(rows) + 1
        return DirectResult(rows)

    def _check(self) -> None:
        version = self._conn.execute("PRAGMA data_version").fetchone()[0]
        if version != self._version or self._rows > self.MAX_ROWS:
            self._remembered.clear()
            self._version, self._rows = version, 0
        self._checked = True
        asyncio.get_running_loop().call_soon(self._next_turn)

    def _next_turn(self) -> None:
        self._checked = False

    def close(self) -> None:
        self._conn.close()


def _run_to_end(coroutine):
    """The result of a coroutine that never waits (all it awaits are _InThread statements)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        return done.value
    coroutine.close()
    raise RuntimeError("work in a direct transaction waited on something other than its statements")


def _sqlite_batch(conn: sqlite3.Connection, dialect, works: list) -> list:
    conn.execute("BEGIN IMMEDIATE")  # the write lock up front, as unit_of_work takes it
    try:
        results = []
        for work in works:
            try:
                results.append(_run_to_end(work(_InThread(conn, dialect))))
            except Exception as error:
                raise _JobFailed(error) from error
        conn.execute("COMMIT")
        return results
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise


class _JobFailed(Exception):
    """One piece of work of a batch raised: the batch was rolled back."""

    def __init__(self, error: Exception):
        super().__init__(error)
        self.error = error


async def _commit_sqlite(engine: AsyncEngine, works: list) -> list:
    async with sqlite_writer_lock(engine):
        driver = await _direct(engine).sqlite.writer()
        # aiosqlite has no public call for running a function in its thread; _execute is what its own
        # methods use (aiosqlite is pinned below 1.0; tests/test_direct.py fails if this breaks).
        job = asyncio.ensure_future(driver._execute(_sqlite_batch, driver._conn, engine.dialect, works))
        try:
            return await asyncio.shield(job)
        except asyncio.CancelledError:
            # The thread carries on: keep the lock and the connection until it has committed or rolled back.
            await asyncio.wait([job])
            raise


async def _postgresql_transaction(engine: AsyncEngine, work: Callable[[Any], Coroutine[Any, Any, T]]) -> T:
    async with direct_connection(engine) as conn:
        driver = conn.driver
        transaction = driver.transaction()
        await transaction.start()
        try:
            result = await work(conn)
        except BaseException:
            try:
                await transaction.rollback()
            except Exception:  # a lost connection: nothing was committed, and it is dropped
                pass
            raise
        try:
            await transaction.commit()
        except Exception as error:
            raise CommitFailed from error
        return result


class _Batches:
    """Writes that wait while one writer task runs the batch before them, each answered once its batch is done:
    the SQLite group commit and the PostgreSQL pipeline below (and reads: _Gather). A write whose caller is
    cancelled while it waits is dropped; one whose batch already runs is committed with it, and logged."""

    writes = True

    def __init__(self):
        self._waiting: list[tuple[Any, asyncio.Future]] = []  # (what to write, its answer)
        self._writer: asyncio.Task | None = None

    async def _submit(self, write, writer: Callable[[], Coroutine]):
        loop = asyncio.get_running_loop()
        job = (write, loop.create_future())
        self._waiting.append(job)
        if self._writer is None or self._writer.done() or self._writer.get_loop() is not loop:
            self._writer = loop.create_task(writer())
        try:
            return await job[1]
        except asyncio.CancelledError:
            if job in self._waiting:
                self._waiting.remove(job)
            raise

    async def _answer(self, batch: list, outcomes: Coroutine) -> None:
        """Answer each job of `batch` with its (ok, value) from `outcomes`."""
        try:
            results = await outcomes
        except BaseException:  # the writer itself is cancelled (the loop is closing): nobody waits forever
            for _write, future in batch + self._waiting:
                future.cancel()
            raise
        for (_write, future), (ok, value) in zip(batch, results):
            if future.cancelled():
                if ok and self.writes:
                    logging.getLogger("cairn").warning(
                        "a write was committed after its request was cancelled (its client was not told)")
            elif ok:
                future.set_result(value)
            else:
                future.set_exception(value)


class _GroupCommit(_Batches):
    """On SQLite, concurrent writes share one transaction: while a batch commits, the writes that arrive wait;
    then all of them (up to MAX_BATCH, in arrival order, so of two writes to one key the later wins) run in the
    next transaction, in one trip to the writer connection's thread, which commits once, and only then is each
    one answered. A write held SQLite's one write lock across two turns of a busy event loop (the trip to the
    thread, the hand-over of the lock): one batch per turn tripled the build-status POST (bench/: 3066 to 9635
    requests/s) and let writes through beside a stream of reads.

    When one write of a batch raises, the batch is rolled back and each of its writes runs again alone: only
    the write at fault fails, with its own error; when the batch fails as a whole (BEGIN or COMMIT), each write
    gets that error (SQLite rolls a failed COMMIT back, so the lane may hand each request on). A write whose
    caller was cancelled while it waited is dropped; one cancelled while its batch ran is committed with it,
    and logged.
    """

    MAX_BATCH = 32  # a SQLite batch of 1000-annotation POSTs then holds the write lock for well under a second

    async def submit(self, engine: AsyncEngine, work: Callable[[Any], Coroutine[Any, Any, T]]) -> T:
        return await self._submit(work, lambda: self._write(engine))

    async def _write(self, engine: AsyncEngine) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:self.MAX_BATCH], self._waiting[self.MAX_BATCH:]
            await self._answer(batch, self._outcomes(engine, [work for work, _ in batch]))

    async def _outcomes(self, engine: AsyncEngine, works: list) -> list[tuple[bool, Any]]:
        try:
            return [(True, result) for result in await _commit_sqlite(engine, works)]
        except _JobFailed as failed:
            if len(works) == 1:
                return [(False, failed.error)]
        except Exception as error:
            return [(False, error)] * len(works)
        outcomes = []
        for work in works:  # one of them is at fault: each alone, so only that one fails
            outcomes += await self._outcomes(engine, [work])
        return outcomes


class _Pipeline(_Batches):
    """On PostgreSQL, concurrent one-statement writes of the same statement (the build-status upsert, the
    deployment's) go to the server together: one asyncpg executemany (fetchmany), which sends them all in one
    round trip and commits them at once (it is atomic), and only then is each one answered. Of two writes to one
    key, the later wins (they run in order). When the batch fails (a bad row; a deadlock with another process's
    batch), each write runs again alone, so only the faulty one fails.

    One writer: bench/, build POSTs at 16 connections against the per-request-commit baseline, 1 writer 0.95x,
    2 0.86x, 3 0.85x, 5 0.73x (and p99 474 ms: the writers held the lane's whole share)."""

    MAX_BATCH = 64

    def __init__(self, connections: _PostgreSQLConnections):
        super().__init__()
        self._connections = connections

    async def submit(self, sql: str, args: list) -> list:
        """The rows the statement returned for these arguments, once committed."""
        return await self._submit((sql, args), self._write)

    async def _write(self) -> None:
        while self._waiting:
            sql = self._waiting[0][0][0]
            batch = [job for job in self._waiting[:self.MAX_BATCH] if job[0][0] == sql]
            self._waiting = [job for job in self._waiting if job not in batch]
            await self._answer(batch, self._outcomes(sql, [args for (_, args), _ in batch]))

    async def _outcomes(self, sql: str, rows: list) -> list[tuple[bool, Any]]:
        """For each set of arguments, (True, the rows it returned) once stored, or (False, the error it failed with)."""
        try:
            pooled = await self._connections.take()
        except Exception as error:  # no connection to be had (the database is down): nothing was stored
            return [(False, error)] * len(rows)
        try:
            driver = pooled.driver_connection
            try:
                # fetchmany is executemany returning the rows (flat): the rows of each execution are known when
                # each returned one (a deployment's upsert RETURNING) or none (a build status's upsert).
                returned = await driver.fetchmany(sql, rows)
                if len(returned) in (0, len(rows)):
                    return [(True, [row]) for row in returned] if returned else [(True, []) for _ in rows]
            except Exception as error:
                if len(rows) == 1 or driver.is_closed():  # nothing of it was stored
                    return [(False, error)] * len(rows)
            outcomes = []
            for args in rows:  # one of them is at fault: each alone, so only that one fails
                try:
                    outcomes.append((True, await driver.fetch(sql, *args)))
                except Exception as alone:
                    outcomes.append((False, alone))
            return outcomes
        finally:
            await self._connections.give(pooled)


# Statements that may be gathered: {statement: (the statement for many values, the parameter those replace)}.
_GATHERED: dict = {}


def gathered(statement, for_many, parameter: str):
    """Declare that, on PostgreSQL, the lane's quick reads run `statement` for concurrent callers together:
    `for_many` takes a list of `parameter`'s values (its only parameter) and returns the rows of each, the value
    first (_Gather). Returns `statement`, which runs as it is everywhere else."""
    _GATHERED[statement] = (for_many, parameter)
    return statement


class _Gather(_Batches):
    """On PostgreSQL, concurrent reads of one gathered statement go to the server as one statement (one round
    trip, one execution), as the pipeline does writes: those that arrive while one runs wait for the next. Each
    caller gets its own rows as the statement alone returns them, read after it asked (no older snapshot)."""

    writes = False
    MAX_BATCH = 64

    def __init__(self, connections: _PostgreSQLConnections, sql: str):
        super().__init__()
        self._connections = connections
        self._sql = sql

    async def submit(self, value) -> list:
        return await self._submit(value, self._read)

    async def _read(self) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:self.MAX_BATCH], self._waiting[self.MAX_BATCH:]
            await self._answer(batch, self._outcomes([value for value, _ in batch]))

    async def _outcomes(self, values: list) -> list[tuple[bool, Any]]:
        try:
            pooled = await self._connections.take()
        except Exception as error:
            return [(False, error)] * len(values)
        try:
            rows = await pooled.driver_connection.fetch(self._sql, list(set(values)))
        except Exception as error:  # each caller hands its request to the full app, which answers the error
            return [(False, error)] * len(values)
        finally:
            await self._connections.give(pooled)
        found = collections.defaultdict(list)
        for row in rows:
            found[row[0]].append(tuple(row)[1:])
        return [(True, found.get(value, [])) for value in values]


class _Gathering:
    """DirectConnection for the lane's quick reads on PostgreSQL: a gathered statement joins concurrent ones
    (_Gather); any other takes a connection of the lane's share for itself (each statement its own
    transaction, as in direct_connection)."""

    def __init__(self, direct: "_Direct", dialect):
        self._direct = direct
        self.dialect = dialect

    async def execute(self, statement, parameters: dict[str, Any] | None = None) -> DirectResult:
        found = _GATHERED.get(statement)
        if found is not None:
            return DirectResult(await self._direct.gather(found[0], self.dialect).submit(parameters[found[1]]))
        connections = self._direct.postgresql
        pooled = await connections.take()
        try:
            return await DirectConnection(pooled.driver_connection, self.dialect, False).execute(statement, parameters)
        finally:
            await connections.give(pooled)


class _Pipelining:
    """DirectConnection for work of one write statement: the statement joins the pipeline (see _Pipeline); it
    returns at most one row per execution."""

    def __init__(self, pipeline: _Pipeline, dialect):
        self._pipeline = pipeline
        self.dialect = dialect

    async def execute(self, statement, parameters: dict[str, Any] | None = None) -> DirectResult:
        return DirectResult(await self._pipeline.submit(*_bound(statement, self.dialect, parameters)))


class _Direct:
    """What db/direct keeps per engine: on SQLite the group commit and its own connections, on PostgreSQL its
    share of the pool."""

    def __init__(self, engine: AsyncEngine):
        if is_sqlite(engine):
            self.group = _GroupCommit()
            self.sqlite = _SQLiteConnections(engine.url.database)
        else:
            self.postgresql = _PostgreSQLConnections(engine)
            self.pipeline = _Pipeline(self.postgresql)
            self._gathers: dict = {}

    def gather(self, statement, dialect) -> _Gather:
        found = self._gathers.get(statement)
        if found is None:
            found = self._gathers[statement] = _Gather(self.postgresql, _compiled(statement, dialect)[0])
        return found

    async def close(self) -> None:
        await (self.sqlite if hasattr(self, "sqlite") else self.postgresql).close()


_ENGINES: "weakref.WeakKeyDictionary[Any, _Direct]" = weakref.WeakKeyDictionary()


def _direct(engine: AsyncEngine) -> _Direct:
    found = _ENGINES.get(engine.sync_engine)
    if found is None:
        found = _ENGINES[engine.sync_engine] = _Direct(engine)
    return found


async def close(engine: AsyncEngine) -> None:
    """Close the connections opened here (before the engine is disposed of)."""
    found = _ENGINES.pop(engine.sync_engine, None)
    if found is not None:
        await found.close()


async def in_transaction(engine: AsyncEngine, work: Callable[[Any], Coroutine[Any, Any, T]], *,
                         one_statement: bool | str = False) -> T:
    """`await work(conn)` in a transaction on a direct connection: its result once committed; its own exception
    when it raises (nothing of it stored); CommitFailed when PostgreSQL's COMMIT fails. `work` may await only
    the connection's statements.

    On SQLite the transaction is shared with concurrent calls (group commit, above), so `work` may run twice
    (the second time alone, when a write it shared a batch with failed). On PostgreSQL it is the call's own:
    there the same group commit measured 0.72x (one writer's round trips, each a turn of the busy event loop,
    against ten connections in parallel, on a disk where a commit costs little), and batches broke the lock
    order a deployment and a concurrent delete both follow (a deadlock). `one_statement`: on PostgreSQL, work
    of a single statement runs in autocommit, one round trip instead of three; "pipelined", work of one write
    statement (returning at most one row) joins concurrent ones in one executemany (_Pipeline).
    """
    if is_sqlite(engine):
        return await _direct(engine).group.submit(engine, work)
    if one_statement == "pipelined":
        return await work(_Pipelining(_direct(engine).pipeline, engine.dialect))
    if one_statement:
        async with direct_connection(engine) as conn:
            return await work(conn)
    return await _postgresql_transaction(engine, work)
