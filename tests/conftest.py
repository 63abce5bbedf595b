"""Test fixtures: the real app on a real database built by the migrations, SQLite and PostgreSQL.

The PostgreSQL leg runs when CAIRN_TEST_POSTGRES_URL names a server database to connect to
(`make test` sets it); each run gets its own freshly created database.
"""

from __future__ import annotations


import pytest
from sqlalchemy import delete, text
from starlette.testclient import TestClient

from cairn.app import create_app
from cairn.auth.backoff import FailedSignIns
from cairn.ratelimit.limiter import RateLimiter
from cairn.config import Settings
from cairn.lane import FastLane
from cairn.models import metadata, users, global_permissions
from tests.fixtures.api import Api
from tests.fixtures.postgres import PG_URL, create_database, drop_database

BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
ADMIN = ("admin", "admin-password")


def _database_url(backend: str, tmp_path_factory) -> tuple[str, callable]:
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "cairn.db"
        return f"sqlite:///{path}", lambda: None
    name, url = create_database("cairn_test")
    return url, lambda: drop_database(name)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request, tmp_path_factory):
    url, drop = _database_url(request.param, tmp_path_factory)
    settings = Settings(home=tmp_path_factory.mktemp("home"), database_url=url,
                        base_url="http://cairn.test:7990/bitbucket", admin_username=ADMIN[0],
                        admin_password=ADMIN[1], argon2_profile="cheapest", auth_cache_seconds=0.5,
                        db_pool_size=5, webhook_allow_private=True)  # webhook tests call 127.0.0.1 only
    app = create_app(settings)
    with TestClient(app, raise_server_exceptions=False) as client:
        client.backend = request.param
        yield client
    drop()


async def _reset(app) -> None:
    """Empty every table but the bootstrap administrator, child tables first."""
    async with app.state.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            if table is users:
                await conn.execute(delete(users).where(users.c.name != ADMIN[0]))
            elif table is global_permissions:
                await conn.execute(delete(table).where(table.c.user_id.notin_(
                    users.select().with_only_columns(users.c.id).where(users.c.name == ADMIN[0]))))
            else:
                await conn.execute(delete(table))
    app.state.authenticator.forget()
    app.state.access.forget()
    app.state.limiter = RateLimiter()  # off, with no buckets, as the emptied tables say
    app.state.authenticator.failed_sign_ins = FailedSignIns()  # no name is backing off


@pytest.fixture
def api(backend) -> Api:
    """A client of the real app on a clean database, signed in as the administrator by default."""
    backend.portal.call(_reset, backend.app)
    return Api(backend, ADMIN)


@pytest.fixture
def db_write(backend):
    """Run a write statement against the test database and commit it: db_write("UPDATE ...", {...})."""
    async def run(sql: str, params: dict | None = None) -> None:
        async with backend.app.state.engine.begin() as conn:
            await conn.execute(text(sql), params or {})
    return lambda sql, params=None: backend.portal.call(run, sql, params)


@pytest.fixture
def db(backend):
    """Run SQL against the test database: db("SELECT ...") -> rows."""
    async def run(sql: str, params: dict | None = None):
        async with backend.app.state.engine.connect() as conn:
            return (await conn.execute(text(sql), params or {})).all()
    return lambda sql, params=None: backend.portal.call(run, sql, params)


@pytest.fixture
def repo(api) -> Api:
    """`api` with project PRJ and repository PRJ/repo created (signed in as the administrator)."""
    api.project()
    api.repo()
    return api


@pytest.fixture
def fallbacks(repo) -> list[str]:
    """The paths of the requests FastLane hands to the full app during the test (cairn.lane)."""
    lane = repo.client.app.middleware_stack  # built by the repo fixture's first request
    while not isinstance(lane, FastLane):
        lane = lane.app
    full_app, seen = lane.app, []

    async def counting(scope, receive, send):
        seen.append(scope["path"])
        await full_app(scope, receive, send)

    lane.app = counting
    yield seen
    lane.app = full_app


@pytest.fixture
def cli(backend, monkeypatch):
    """Run `cairn ARGS...` on the test app's database: its output lines, once it exited 0."""
    from click.testing import CliRunner

    from cairn.cli import main

    monkeypatch.setenv("CAIRN_DATABASE_URL", str(backend.app.state.settings.database_url))
    monkeypatch.setenv("CAIRN_ADMIN_USERNAME", "")

    def run(*args: str) -> list[str]:
        backend.app.state.access_lines.flush()  # (the app's own lines, not the command's output)
        r = CliRunner().invoke(main, list(args), catch_exceptions=False)
        assert r.exit_code == 0, r.output
        return r.output.strip().splitlines()
    return run
