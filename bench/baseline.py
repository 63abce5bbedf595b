"""The baseline: the least an ASGI app can do for the same work as cairn's two measured endpoints.

A raw ASGI callable (no framework, no auth, no validation) served by the same uvicorn settings as
`cairn serve`. It answers:

- POST .../commits/<sha>/builds -> one INSERT ... ON CONFLICT ... DO UPDATE into a table shaped like
  cairn's build_statuses (same columns, partial unique index, foreign key), 204.
- GET .../commits/stats/<sha> -> one SELECT state, count(*) ... GROUP BY state, 200 with the five counters.
- POST .../commits/<sha>/deployments -> the statements of cairn's deployment POST (without its event): the upsert
  into a table shaped like cairn's deployments (same unique key and indexes), the row read back with its fromCommit,
  the environment recorded (INSERT ... ON CONFLICT DO NOTHING), in one transaction (on PostgreSQL one statement of
  data-modifying CTEs, as cairn's), 200 with the row as JSON.

Same drivers and database settings as cairn (src/cairn/db/engine.py): aiosqlite with WAL,
synchronous=NORMAL, foreign_keys=ON, busy_timeout=30000 (and sqlite3 itself for reads on the event loop's thread,
as cairn's stats read); asyncpg for PostgreSQL. On SQLite its threads keep to one CPU, as `cairn serve`'s do
(cairn.system.affinity). As lean as the driver allows: SQLite writes on one connection,
PostgreSQL on a plain queue of BENCH_POOL_SIZE connections (cairn's default pool is 10). Every build-status POST
and stats GET is one autocommit statement: this is the commit-per-request floor.

Configured by BENCH_DATABASE_URL: `sqlite:///<path>` or `postgresql://...`.
"""

from __future__ import annotations

import asyncio
import json
import os
import time

POOL_SIZE = int(os.environ.get("BENCH_POOL_SIZE", "10"))  # PostgreSQL connections (SQLite has one)
REPOSITORY_ID = 1  # the one repository every POST writes to (cairn resolves PRJ/repo to its id)

_COLUMNS = ("repository_id", "commit_id", "key", "state", "url", "name", "description", "created_date",
            "updated_date")
_REPLACED = ("state", "url", "name", "description", "updated_date")
_STATS = {"SUCCESSFUL": "successful", "FAILED": "failed", "INPROGRESS": "inProgress",
          "CANCELLED": "cancelled", "UNKNOWN": "unknown"}

_SQLITE_DDL = [
    "CREATE TABLE IF NOT EXISTS repositories (id INTEGER PRIMARY KEY)",
    "INSERT OR IGNORE INTO repositories (id) VALUES (1)",
    """CREATE TABLE IF NOT EXISTS build_statuses (
        id INTEGER NOT NULL PRIMARY KEY,
        repository_id INTEGER REFERENCES repositories (id) ON DELETE CASCADE,
        commit_id VARCHAR(40) NOT NULL, key VARCHAR(255) NOT NULL, state VARCHAR(16) NOT NULL,
        url VARCHAR(450) NOT NULL, name VARCHAR(255), description TEXT, build_number VARCHAR(255),
        parent VARCHAR(1024), ref VARCHAR(1024), duration BIGINT, tests_successful INTEGER,
        tests_failed INTEGER, tests_skipped INTEGER, created_date BIGINT NOT NULL, updated_date BIGINT NOT NULL)""",
    """CREATE UNIQUE INDEX IF NOT EXISTS uq_bs_repo_commit_key ON build_statuses (repository_id, commit_id, key)
        WHERE repository_id IS NOT NULL""",
    """CREATE UNIQUE INDEX IF NOT EXISTS uq_bs_legacy_commit_key ON build_statuses (commit_id, key)
        WHERE repository_id IS NULL""",
    "CREATE INDEX IF NOT EXISTS ix_bs_commit_id ON build_statuses (commit_id)",
]
_DEPLOYMENT_COLUMNS = ("repository_id", "commit_id", "key", "environment_key", "sequence_number", "display_name",
                       "description", "url", "state", "environment_display_name", "environment_type",
                       "environment_url", "last_updated")
_DEPLOYMENT_IDENTITY = _DEPLOYMENT_COLUMNS[:5]
_SQLITE_DDL += [
    """CREATE TABLE IF NOT EXISTS deployments (
        id INTEGER NOT NULL PRIMARY KEY,
        repository_id INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
        commit_id VARCHAR(40) NOT NULL, key VARCHAR(255) NOT NULL, environment_key VARCHAR(255) NOT NULL,
        sequence_number BIGINT NOT NULL, display_name VARCHAR(255) NOT NULL, description VARCHAR(255) NOT NULL,
        url VARCHAR(1024) NOT NULL, state VARCHAR(16) NOT NULL, environment_display_name VARCHAR(255) NOT NULL,
        environment_type VARCHAR(16), environment_url VARCHAR(1024), last_updated BIGINT NOT NULL,
        UNIQUE (repository_id, commit_id, key, environment_key, sequence_number))""",
    "CREATE INDEX IF NOT EXISTS ix_d_env_newest ON deployments (repository_id, environment_key, last_updated, id)",
    """CREATE INDEX IF NOT EXISTS ix_d_env_state_newest
        ON deployments (repository_id, environment_key, state, last_updated, id)""",
    "CREATE INDEX IF NOT EXISTS ix_d_newest ON deployments (repository_id, last_updated, id)",
    "CREATE INDEX IF NOT EXISTS ix_d_previous ON deployments (repository_id, key, environment_key, sequence_number)",
    "CREATE INDEX IF NOT EXISTS ix_d_activity ON deployments (repository_id, last_updated, commit_id)",
    """CREATE TABLE IF NOT EXISTS deployment_environments (
        id INTEGER NOT NULL PRIMARY KEY,
        repository_id INTEGER NOT NULL REFERENCES repositories (id) ON DELETE CASCADE,
        key VARCHAR(255) NOT NULL, UNIQUE (repository_id, key))""",
]
# The same DDL in PostgreSQL's words (cairn's migration gives PostgreSQL BIGINT keys).
_POSTGRES_DDL = [
    s.replace("id INTEGER NOT NULL PRIMARY KEY", "id BIGSERIAL PRIMARY KEY")
     .replace("repository_id INTEGER", "repository_id BIGINT")
     .replace("(id INTEGER PRIMARY KEY)", "(id BIGINT PRIMARY KEY)")
     .replace("INSERT OR IGNORE INTO repositories (id) VALUES (1)",
              "INSERT INTO repositories (id) VALUES (1) ON CONFLICT DO NOTHING")
    for s in _SQLITE_DDL]


def _upsert_sql(param) -> str:
    marks = ", ".join(param(i + 1) for i in range(len(_COLUMNS)))
    sets = ", ".join(f"{c} = excluded.{c}" for c in _REPLACED)
    return (f"INSERT INTO build_statuses ({', '.join(_COLUMNS)}) VALUES ({marks}) "
            f"ON CONFLICT (repository_id, commit_id, key) WHERE repository_id IS NOT NULL DO UPDATE SET {sets}")


def _deployment_upsert_sql(param) -> str:
    marks = ", ".join(param(i + 1) for i in range(len(_DEPLOYMENT_COLUMNS)))
    sets = ", ".join(f"{c} = excluded.{c}" for c in _DEPLOYMENT_COLUMNS[5:])
    return (f"INSERT INTO deployments ({', '.join(_DEPLOYMENT_COLUMNS)}) VALUES ({marks}) "
            f"ON CONFLICT ({', '.join(_DEPLOYMENT_IDENTITY)}) DO UPDATE SET {sets}")


def _from_commit_sql(row: str) -> str:
    """fromCommit: the commit of the same key and environment's next lower sequence number (as cairn's)."""
    return (f"(SELECT p.commit_id FROM deployments p WHERE p.repository_id = {row}.repository_id "
            f"AND p.key = {row}.key AND p.environment_key = {row}.environment_key "
            f"AND p.sequence_number < {row}.sequence_number ORDER BY p.sequence_number DESC, p.id DESC LIMIT 1)")


def _environment_sql(param) -> str:
    return (f"INSERT INTO deployment_environments (repository_id, key) VALUES ({param(1)}, {param(4)}) "
            f"ON CONFLICT (repository_id, key) DO NOTHING")


def _stats_sql(param) -> str:
    return f"SELECT state, count(*) FROM build_statuses WHERE commit_id = {param(1)} GROUP BY state"


_SQLITE_PRAGMAS = ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000")


class _SQLite:
    """Writes on one aiosqlite connection (one thread): each one trip to it, one statement (execute_fetchall), its
    own transaction. Being one thread, it needs no write lock, and no other thread competes for the GIL (a pool
    of ten answered at about half this rate, issue 14). Reads, an index lookup of microseconds, on a sqlite3
    connection of the event loop's own thread, as cairn reads them: no trip to a thread at all."""

    def __init__(self, path: str):
        self.path = path
        self.upsert = _upsert_sql(lambda i: "?")
        self.stats = _stats_sql(lambda i: "?")
        self.deployment = (_deployment_upsert_sql(lambda i: "?"),
                           f"SELECT d.*, {_from_commit_sql('d')} FROM deployments d WHERE "
                           + " AND ".join(f"d.{c} = ?" for c in _DEPLOYMENT_IDENTITY),
                           _environment_sql(lambda i: "?"))

    async def open(self) -> None:
        import aiosqlite
        import sqlite3

        from cairn.system.affinity import keep_to_one_cpu

        keep_to_one_cpu()  # as `cairn serve` keeps itself on SQLite: the loop and the writer's thread on one CPU
        self.conn = await aiosqlite.connect(self.path, timeout=30, isolation_level=None)
        for pragma in _SQLITE_PRAGMAS:
            await self.conn.execute(f"PRAGMA {pragma}")
        for statement in _SQLITE_DDL:
            await self.conn.execute(statement)
        self.reader = sqlite3.connect(self.path, isolation_level=None)
        for pragma in _SQLITE_PRAGMAS:
            self.reader.execute(f"PRAGMA {pragma}")

    async def close(self) -> None:
        self.reader.close()
        await self.conn.close()

    async def write(self, values: tuple) -> None:
        await self.conn.execute_fetchall(self.upsert, values)

    async def read(self, commit_id: str) -> list:
        return self.reader.execute(self.stats, (commit_id,)).fetchall()

    def _deploy(self, values: tuple):
        upsert, select, environment = self.deployment
        conn = self.conn._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute(upsert, values)
            row = conn.execute(select, values[:5]).fetchone()
            conn.execute(environment, (values[0], values[3]))  # repository, environment key
            conn.execute("COMMIT")
            return row
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    async def deploy(self, values: tuple):
        # One trip to the connection's thread for the transaction (aiosqlite's own methods use _execute).
        return await self.conn._execute(self._deploy, values)


class _Postgres:
    """A plain queue of POOL_SIZE asyncpg connections (asyncpg's own pool adds a little per acquire); each
    request one statement, its own transaction: the commit-per-request floor."""

    def __init__(self, url: str):
        self.url = url
        self.upsert = _upsert_sql(lambda i: f"${i}")
        self.stats = _stats_sql(lambda i: f"${i}")
        self.deployment = (f"WITH up AS ({_deployment_upsert_sql(lambda i: f'${i}')} RETURNING *), "
                           f"environment AS ({_environment_sql(lambda i: f'${i}')}) "
                           f"SELECT up.*, {_from_commit_sql('up')} FROM up")
        self.idle: asyncio.Queue = asyncio.Queue()

    async def open(self) -> None:
        import asyncpg

        for _ in range(POOL_SIZE):
            self.idle.put_nowait(await asyncpg.connect(self.url))
        conn = self.idle.get_nowait()
        for statement in _POSTGRES_DDL:
            await conn.execute(statement)
        self.idle.put_nowait(conn)

    async def close(self) -> None:
        while not self.idle.empty():
            await self.idle.get_nowait().close()

    async def write(self, values: tuple) -> None:
        conn = await self.idle.get()
        try:
            await conn.execute(self.upsert, *values)
        finally:
            self.idle.put_nowait(conn)

    async def read(self, commit_id: str) -> list:
        conn = await self.idle.get()
        try:
            return await conn.fetch(self.stats, commit_id)
        finally:
            self.idle.put_nowait(conn)

    async def deploy(self, values: tuple):
        conn = await self.idle.get()
        try:
            return tuple(await conn.fetchrow(self.deployment, *values))
        finally:
            self.idle.put_nowait(conn)


def _database():
    url = os.environ["BENCH_DATABASE_URL"]
    if url.startswith("sqlite:///"):
        return _SQLite(url[len("sqlite:///"):])
    return _Postgres(url)


_db = None
_JSON_HEADERS = [(b"content-type", b"application/json;charset=UTF-8")]


async def _body(receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


async def _respond(send, status: int, body: bytes = b"") -> None:
    await send({"type": "http.response.start", "status": status, "headers": _JSON_HEADERS if body else []})
    await send({"type": "http.response.body", "body": body})


async def app(scope, receive, send):
    global _db
    if scope["type"] == "lifespan":
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                _db = _database()
                await _db.open()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await _db.close()
                await send({"type": "lifespan.shutdown.complete"})
                return
    path = scope["path"]
    if scope["method"] == "POST" and path.endswith("/builds"):
        commit_id = path.rsplit("/", 2)[-2]
        body = json.loads(await _body(receive))
        now = int(time.time() * 1000)
        await _db.write((REPOSITORY_ID, commit_id, body["key"], body["state"], body["url"], body.get("name"),
                         body.get("description"), now, now))
        return await _respond(send, 204)
    if scope["method"] == "POST" and path.endswith("/deployments"):
        body = json.loads(await _body(receive))
        environment = body["environment"]
        row = await _db.deploy((REPOSITORY_ID, path.rsplit("/", 2)[-2], body["key"], environment["key"],
                                body["deploymentSequenceNumber"], body["displayName"], body["description"],
                                body["url"], body["state"], environment["displayName"], environment.get("type"),
                                environment.get("url"), int(time.time() * 1000)))
        names = ("id", *_DEPLOYMENT_COLUMNS, "fromCommit")
        return await _respond(send, 200, json.dumps(dict(zip(names, row))).encode())
    if scope["method"] == "GET" and "/commits/stats/" in path:
        counts = dict.fromkeys(_STATS.values(), 0)
        for state, n in await _db.read(path.rsplit("/", 1)[-1]):
            counts[_STATS[state]] = n
        return await _respond(send, 200, json.dumps(counts).encode())
    if scope["method"] == "GET" and path == "/status":
        return await _respond(send, 200, b'{"state":"RUNNING"}')
    return await _respond(send, 404, b'{"errors":[]}')
