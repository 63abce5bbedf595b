"""The unit of work: one transaction per request (or CLI command), committed once at the end."""

from __future__ import annotations

import asyncio
import weakref
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Annotated, AsyncIterator

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from cairn.db.engine import SQLITE_BEGIN, checkout, is_sqlite
from cairn.db.outage import CommitOutcomeUnknown, database_gone

_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# SQLite has one writer at a time. Writers of this process queue here, in order, instead of in SQLite's
# busy handler, which sleeps and retries with growing delays (p99 of 1.2 s at 16 writers, measured).
_SQLITE_WRITERS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def sqlite_writer_lock(engine: AsyncEngine) -> asyncio.Lock:
    return _SQLITE_WRITERS.setdefault(engine.sync_engine, asyncio.Lock())


_AFTER_COMMIT = "cairn_after_commit"


def after_commit(conn: AsyncConnection, callback) -> None:
    """Run `callback()` once the unit of work of `conn` has committed (not at all if it rolls back)."""
    conn.info.setdefault(_AFTER_COMMIT, []).append(callback)


@asynccontextmanager
async def unit_of_work(engine: AsyncEngine, write: bool = True) -> AsyncIterator[AsyncConnection]:
    """A connection inside one transaction: committed when the block ends, rolled back on error."""
    sqlite = is_sqlite(engine)
    async with AsyncExitStack() as stack:
        if sqlite and write:
            await stack.enter_async_context(sqlite_writer_lock(engine))
        conn = await checkout(engine, stack.enter_async_context(engine.connect()))
        if sqlite:
            conn = await conn.execution_options(**{SQLITE_BEGIN: "IMMEDIATE" if write else "DEFERRED"})
        try:
            transaction = await conn.begin()
            try:
                yield conn
            except BaseException as error:
                try:
                    await transaction.rollback()
                except Exception:
                    if sqlite or not database_gone(error):
                        raise  # (on a connection that is gone the rollback fails too: the first error counts)
                raise
            try:
                await transaction.commit()
            except Exception as error:
                if not sqlite and database_gone(error):
                    raise CommitOutcomeUnknown() from error
                raise
            for callback in conn.info.pop(_AFTER_COMMIT, ()):
                callback()
        finally:
            if not conn.invalidated:  # (reading an invalidated connection's info would reconnect it, here)
                conn.info.pop(_AFTER_COMMIT, None)  # info outlives this checkout: never carry callbacks over


_READS_ONLY = "cairn_reads_only"


def reads_only(endpoint):
    """Declare that a route which is not a GET writes nothing: its transaction takes no write lock (a route that
    waits on something slow must not hold SQLite's one write lock meanwhile)."""
    setattr(endpoint, _READS_ONLY, True)
    return endpoint


async def _request_connection(request: Request) -> AsyncIterator[AsyncConnection]:
    engine: AsyncEngine = request.app.state.engine
    route = request.scope.get("route")
    write = request.method not in _READ_METHODS and not getattr(getattr(route, "endpoint", None), _READS_ONLY, False)
    async with unit_of_work(engine, write=write) as conn:
        yield conn


# scope="function": the transaction commits before the response is sent, so a 2xx means committed.
Conn = Annotated[AsyncConnection, Depends(_request_connection, scope="function")]
