"""The engine: all per-dialect connection setup lives here."""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from prometheus_client import Gauge
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from cairn.config import Settings

# Execution option naming how a SQLite transaction begins: writers take the write lock up front
# (BEGIN IMMEDIATE) so a read-then-write request never fails on a lock upgrade.
SQLITE_BEGIN = "cairn_sqlite_begin"
# Every SQLite connection, the engine's and db/direct.py's own.
SQLITE_PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000")

# Exposed by cairn.system.metrics; only a checkout that finds the pool all in use touches it.
POOL_WAITING = Gauge("cairn_db_pool_waiting", "Requests waiting for a database connection (the pool is all in use)",
                     multiprocess_mode="livesum")
T = TypeVar("T")


def create_engine(settings: Settings) -> AsyncEngine:
    url = settings.sqlalchemy_url
    if url.startswith("sqlite"):
        settings.home.mkdir(parents=True, exist_ok=True)
        # No rollback when a connection goes back to the pool: every transaction here is begun and ended
        # explicitly (unit_of_work, or one autocommit statement in db/direct.py), and the rollback cost a
        # thread hop on every request.
        engine = create_async_engine(url, pool_size=settings.db_pool_size, max_overflow=0,
                                     pool_reset_on_return=None, connect_args={"timeout": 30})
        _setup_sqlite(engine)
        return engine
    # A fixed pool: under sustained load, overflow connections were opened and closed per request
    # (connect, TLS probe, empty statement cache) and cost a third of the stats GET's time (bench/).
    # A server that does not answer a connect within 5 s counts as down (asyncpg waits 60 s by default).
    return create_async_engine(url, pool_size=settings.db_pool_size, max_overflow=0, pool_pre_ping=False,
                               connect_args={"timeout": 5})


def _setup_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy's BEGIN below decide transactions, not the driver.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in SQLITE_PRAGMAS:
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn):
        mode = conn.get_execution_options().get(SQLITE_BEGIN, "")
        conn.exec_driver_sql(f"BEGIN {mode}".strip())


def is_sqlite(engine_or_conn) -> bool:
    return engine_or_conn.dialect.name == "sqlite"


async def checkout(engine: AsyncEngine, connecting: Awaitable[T]) -> T:
    """Await a connection from the pool, counted in cairn_db_pool_waiting while the pool has none free."""
    pool = engine.sync_engine.pool
    if pool.checkedout() < pool.size():
        return await connecting
    POOL_WAITING.inc()
    try:
        return await connecting
    finally:
        POOL_WAITING.dec()
