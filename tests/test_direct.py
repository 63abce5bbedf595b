"""db/direct.py's in_transaction: the fast lane's one transaction, on both databases."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import func, select, text

from cairn.db.direct import CommitFailed, in_transaction
from cairn.insights import store
from tests.insights.conftest import report


@pytest.fixture
def report_id(repo, db):
    report(repo, "K")
    return db("SELECT id FROM insight_reports WHERE key = 'K'")[0][0]


def run(backend, work):
    return backend.portal.call(in_transaction, backend.app.state.engine, work)


def note(message: str, external_id: str | None = None) -> dict:
    """An annotation as validation leaves it: every member present."""
    return {"message": message, "severity": "LOW", "type": None, "path": None, "line": 0, "link": None,
            "externalId": external_id}


def stored(db) -> list[str]:
    return [row[0] for row in db("SELECT message FROM insight_annotations ORDER BY id")]


def test_work_that_returns_is_committed_and_its_result_returned(backend, db, report_id):
    async def work(conn):
        await store.insert_annotations(conn, report_id, [note("a", "x")])
        return await store.external_ids(conn, report_id)

    assert run(backend, work) == ["x"]
    assert stored(db) == ["a"]


def test_work_that_raises_is_rolled_back(backend, db, report_id):
    class Refused(Exception):
        pass

    async def work(conn):
        await store.insert_annotations(conn, report_id, [note("a")])
        raise Refused

    with pytest.raises(Refused):
        run(backend, work)
    assert stored(db) == []


def test_on_sqlite_work_may_not_wait_on_anything_but_its_statements(backend, db, report_id):
    if backend.backend != "sqlite":
        pytest.skip("PostgreSQL runs the work on the event loop, where it may await anything")

    async def work(conn):
        await store.insert_annotations(conn, report_id, [note("a")])
        await asyncio.sleep(0)

    with pytest.raises(RuntimeError, match="waited"):
        run(backend, work)
    assert stored(db) == []


def test_on_postgresql_a_failed_commit_is_commit_failed_and_the_pool_recovers(backend, db, report_id):
    if backend.backend != "postgresql":
        pytest.skip("a SQLite COMMIT that fails is rolled back: the lane may safely hand the request on")

    async def work(conn):
        await store.insert_annotations(conn, report_id, [note("a")])
        pid = (await conn.execute(select(func.pg_backend_pid()))).first()[0]
        async with backend.app.state.engine.connect() as other:  # the connection dies before COMMIT
            await other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})

    with pytest.raises(CommitFailed):
        run(backend, work)
    assert stored(db) == []

    async def fine(conn):
        await store.insert_annotations(conn, report_id, [note("b")])

    for _ in range(6):  # more than the pool holds: no connection handed on is dead
        run(backend, fine)
    assert stored(db) == ["b"] * 6


def test_a_statement_missing_one_of_its_parameters_fails_and_stores_nothing(backend, db, report_id):
    async def work(conn):
        await store.insert_annotations(conn, report_id, [note("a")])
        await conn.execute(select(func.count()).where(text("1 = :missing")))

    with pytest.raises(KeyError):
        run(backend, work)
    assert stored(db) == []
