"""db/direct.py's in_transaction: the fast lane's one transaction, on both databases."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import sqlite3

import pytest
from sqlalchemy import func, select, text

from cairn.db.direct import CommitFailed, in_transaction
from cairn.builds import service as builds
from cairn.builds.schemas import BuildStatusSetRequest
from cairn.insights import store
from cairn.auth.deps import RepositoryAccess
from cairn.auth.principal import Principal
from cairn.kit.entities import ProjectRef, RepositoryRef
from tests.fixtures.api import SHA
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


# --- group commit (SQLite): concurrent calls share a transaction ---------------------------------------------

@pytest.fixture
def sqlite_only(backend):
    if backend.backend != "sqlite":
        pytest.skip("on PostgreSQL each call has a transaction of its own (db/direct.py in_transaction)")

def together(backend, *works):
    """Each work in its own task, all submitted before any batch starts: (result or exception) per work."""
    async def gather():
        return await asyncio.gather(*(in_transaction(backend.app.state.engine, w) for w in works),
                                    return_exceptions=True)
    return backend.portal.call(gather)


def adding(report_id, message: str, calls: list | None = None):
    async def work(conn):
        if calls is not None:
            calls.append(message)
        await store.insert_annotations(conn, report_id, [note(message)])
        return message
    return work


def test_a_failing_write_in_a_batch_fails_alone(backend, db, report_id, sqlite_only):
    class Refused(Exception):
        pass

    calls = []

    async def refused(conn):
        calls.append("bad")
        await store.insert_annotations(conn, report_id, [note("bad")])
        raise Refused

    outcomes = together(backend, adding(report_id, "a", calls), refused, adding(report_id, "c", calls))
    assert outcomes[0] == "a" and isinstance(outcomes[1], Refused) and outcomes[2] == "c"
    assert stored(db) == ["a", "c"]
    assert calls == ["a", "bad", "a", "bad", "c"]  # one batch, rolled back; then each alone


BASE_URL = "http://cairn.test"


def access_to(db, repository_id: int | None = None) -> RepositoryAccess:
    """Repository admin access to the (first) repository, as the admin, for calling services directly."""
    row = db("SELECT r.id, r.slug, p.id, p.key FROM repositories r JOIN projects p ON p.id = r.project_id"
             + ("" if repository_id is None else f" WHERE r.id = {repository_id}"))[0]
    project = ProjectRef(row[2], row[3], row[3], None, False)
    admin = db("SELECT id FROM users WHERE name = 'admin'")[0][0]
    return RepositoryAccess(RepositoryRef(row[0], row[1], row[1], None, False, True, "refs/heads/main", "h", project),
                            3, Principal(user_id=admin, name="admin", slug="admin"))


def test_of_writes_to_one_key_in_a_batch_the_later_wins(backend, db, report_id, sqlite_only):
    access = access_to(db)

    def status(state: str):
        request = BuildStatusSetRequest.model_validate({"key": "ci", "state": state, "url": "https://ci.example/1"})
        return lambda conn: builds.set_status(conn, access, BASE_URL, SHA, request)

    together(backend, *(status(state) for state in ("INPROGRESS", "FAILED", "SUCCESSFUL")))
    assert db("SELECT state FROM build_statuses") == [("SUCCESSFUL",)]
    together(backend, *(status(state) for state in ("SUCCESSFUL", "INPROGRESS")))
    assert db("SELECT state FROM build_statuses") == [("INPROGRESS",)]


def _outside_lock(backend):
    """An outside transaction that holds SQLite's write lock; returns what ends it."""
    conn = sqlite3.connect(backend.app.state.engine.url.database, isolation_level=None, check_same_thread=False)
    conn.execute("BEGIN IMMEDIATE")

    def release():
        conn.execute("ROLLBACK")
        conn.close()
    return release


def test_a_cancelled_write_never_happens_while_it_waits_and_is_logged_when_committed(backend, db, report_id, sqlite_only):
    seen = []
    handler = logging.Handler()
    handler.emit = lambda record: seen.append(record.getMessage())
    logging.getLogger("cairn").addHandler(handler)

    async def scenario():
        engine = backend.app.state.engine
        release = _outside_lock(backend)
        running = asyncio.create_task(in_transaction(engine, adding(report_id, "running")))
        await asyncio.sleep(0.3)  # its batch has begun, and waits for the outside lock
        waiting = asyncio.create_task(in_transaction(engine, adding(report_id, "waiting")))
        await asyncio.sleep(0.1)
        running.cancel()
        waiting.cancel()
        await asyncio.gather(running, waiting, return_exceptions=True)
        release()
        for _ in range(100):  # the batch that was running commits once the lock is free
            if seen:
                break
            await asyncio.sleep(0.05)
        assert await in_transaction(engine, adding(report_id, "after")) == "after"

    try:
        backend.portal.call(scenario)
    finally:
        logging.getLogger("cairn").removeHandler(handler)
    assert stored(db) == ["running", "after"]  # the waiting one never ran
    assert seen == ["a write was committed after its request was cancelled (its client was not told)"]


def test_idle_connections_go_to_the_longest_waiter_and_a_cancelled_waiter_passes_its_one_on():
    from cairn.db.direct import _Idle

    async def scenario():
        idle = _Idle()
        first = asyncio.ensure_future(idle.get())
        second = asyncio.ensure_future(idle.get())
        await asyncio.sleep(0)
        idle.put_nowait("a")
        newcomer = asyncio.ensure_future(idle.get())  # arrives before the waiter runs: must not take "a"
        await asyncio.sleep(0)
        assert first.result() == "a" and not newcomer.done()
        idle.put_nowait("b")
        second.cancel()  # handed "b" but cancelled before it ran: "b" goes on to the newcomer
        await asyncio.gather(second, return_exceptions=True)
        assert await newcomer == "b"
        idle.put_nowait("c")
        assert await idle.get() == "c"  # nobody waits: straight from the idle set

    asyncio.run(scenario())


# --- PostgreSQL: build-status upserts pipelined (db/direct.py _Pipeline) ---------------------------------------

@pytest.fixture
def postgresql_only(backend):
    if backend.backend != "postgresql":
        pytest.skip("on SQLite the lane's writes share a transaction instead (group commit, above)")


def status(access: RepositoryAccess, state: str, key: str = "ci"):
    request = BuildStatusSetRequest.model_validate({"key": key, "state": state, "url": "https://ci.example/1"})
    return lambda conn: builds.set_status(conn, access, BASE_URL, SHA, request)


def pipelined(engine, work):
    return in_transaction(engine, work, one_statement="pipelined")


def test_pipelined_writes_to_one_key_the_later_wins_and_a_failing_one_fails_alone(backend, db, repo,
                                                                                  postgresql_only):
    access = access_to(db)
    nowhere = dataclasses.replace(access, repository=dataclasses.replace(access.repository, id=access.repository.id
                                                                         + 1000))  # no such repository

    async def scenario():
        engine = backend.app.state.engine
        return await asyncio.gather(pipelined(engine, status(access, "INPROGRESS")),
                                    pipelined(engine, status(nowhere, "FAILED")),
                                    pipelined(engine, status(access, "SUCCESSFUL")), return_exceptions=True)

    first, bad, last = backend.portal.call(scenario)
    assert first is None and last is None and isinstance(bad, Exception)
    assert db("SELECT state FROM build_statuses") == [("SUCCESSFUL",)]


async def _one_at_the_server_and_one_queued(backend, access: RepositoryAccess):
    """A pipelined write sent to the server and waiting there for a row an outside transaction locks, and a
    second one queued behind it: (the outside connection, holding its transaction open; the first; the second)."""
    import asyncpg

    engine = backend.app.state.engine
    await pipelined(engine, status(access, "INPROGRESS"))
    outside = await asyncpg.connect(engine.url.set(drivername="postgresql").render_as_string(hide_password=False))
    await outside.execute("BEGIN")
    await outside.execute("UPDATE build_statuses SET name = 'outside'")
    first = asyncio.ensure_future(pipelined(engine, status(access, "SUCCESSFUL")))
    await asyncio.sleep(0.3)  # its batch is at the server, waiting for the row
    second = asyncio.ensure_future(pipelined(engine, status(access, "FAILED", key="other")))
    await asyncio.sleep(0.1)
    return outside, first, second


def test_a_pipelined_write_cancelled_while_it_waits_never_happens(backend, db, repo, postgresql_only):
    access = access_to(db)

    async def scenario():
        outside, running, waiting = await _one_at_the_server_and_one_queued(backend, access)
        waiting.cancel()
        await outside.execute("ROLLBACK")
        await outside.close()
        await running
        assert waiting.cancelled()

    backend.portal.call(scenario)
    assert sorted(db("SELECT key, state FROM build_statuses")) == [("ci", "SUCCESSFUL")]


def test_a_pipelined_batch_that_loses_its_connection_fails_and_the_next_one_is_stored(backend, db, repo,
                                                                                     postgresql_only):
    access = access_to(db)

    async def scenario():
        outside, lost, queued = await _one_at_the_server_and_one_queued(backend, access)
        await outside.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE wait_event_type = 'Lock' AND query LIKE '%INSERT INTO build_statuses%'")
        await outside.execute("ROLLBACK")
        await outside.close()
        outcomes = await asyncio.gather(lost, queued, return_exceptions=True)
        assert isinstance(outcomes[0], Exception) and outcomes[1] is None  # each answered once, the lost one failed
        # The lost connection is replaced: the lane's next write goes through.
        await pipelined(backend.app.state.engine, status(access, "CANCELLED", key="after"))

    backend.portal.call(scenario)
    assert sorted(db("SELECT key, state FROM build_statuses")) == [("after", "CANCELLED"), ("ci", "INPROGRESS"),
                                                                   ("other", "FAILED")]


def test_pipelined_deployments_each_get_their_own_row_back(backend, db, repo, postgresql_only):
    from cairn.deployments import service as deployments
    from cairn.deployments.schemas import DeploymentSetRequest

    access = access_to(db)

    def deployment(sequence: int):
        request = DeploymentSetRequest.model_validate({
            "deploymentSequenceNumber": sequence, "description": "d", "displayName": f"#{sequence}", "key": "app",
            "state": "SUCCESSFUL", "url": "https://ci.example/1", "environment": {"key": "prod", "displayName": "P"}})
        return lambda conn: deployments.put_deployment(conn, access, BASE_URL, SHA, request)

    async def scenario():
        engine = backend.app.state.engine
        return await asyncio.gather(*(pipelined(engine, deployment(n)) for n in (1, 2, 3)))

    answers = backend.portal.call(scenario)
    assert [(a["deploymentSequenceNumber"], a["displayName"]) for a in answers] == [(1, "#1"), (2, "#2"), (3, "#3")]
    assert [a.get("fromCommit", {}).get("id") for a in answers] == [None, SHA, SHA]
    assert db("SELECT count(*) FROM deployments")[0][0] == 3


# --- PostgreSQL: the lane's stats counts gathered (db/direct.py _Gather) ----------------------------------------

OTHER_SHA = "b" * 40


def counted(backend, *commit_ids: str) -> list:
    """Each commit's count_per_repository, read concurrently on the lane's quick connections (sorted rows)."""
    from cairn.builds import store as statuses
    from cairn.db.direct import direct_connection

    async def one(commit_id: str):
        async with direct_connection(backend.app.state.engine, quick=True) as conn:
            return sorted(await statuses.count_per_repository(conn, commit_id))

    async def scenario():
        return await asyncio.gather(*(one(c) for c in commit_ids), return_exceptions=True)
    return backend.portal.call(scenario)


def test_gathered_counts_each_get_their_own_commits_rows(backend, db, repo, postgresql_only):
    access = access_to(db)
    repository = access.repository.id
    for key, state in (("a", "SUCCESSFUL"), ("b", "SUCCESSFUL"), ("c", "FAILED")):
        backend.portal.call(pipelined, backend.app.state.engine, status(access, state, key))
    request = BuildStatusSetRequest.model_validate({"key": "x", "state": "INPROGRESS", "url": "https://ci.example/1"})
    backend.portal.call(pipelined, backend.app.state.engine,
                        lambda conn: builds.set_status(conn, access, BASE_URL, OTHER_SHA, request))

    mine, others, none, mine_again = counted(backend, SHA, OTHER_SHA, "c" * 40, SHA)
    assert mine == mine_again == [(repository, "FAILED", 1), (repository, "SUCCESSFUL", 2)]
    assert others == [(repository, "INPROGRESS", 1)]
    assert none == []


def test_a_gathered_count_sees_every_write_acknowledged_before_it_asked(backend, db, repo, postgresql_only):
    access = access_to(db)

    async def scenario():
        from cairn.builds import store as statuses
        from cairn.db.direct import direct_connection
        engine = backend.app.state.engine
        seen = []
        for state in ("INPROGRESS", "SUCCESSFUL", "FAILED"):
            await pipelined(engine, status(access, state))
            async with direct_connection(engine, quick=True) as conn:
                seen.append([row[1] for row in await statuses.count_per_repository(conn, SHA)])
        return seen

    assert backend.portal.call(scenario) == [["INPROGRESS"], ["SUCCESSFUL"], ["FAILED"]]


def test_gathered_counts_that_lose_their_connection_fail_and_the_next_ones_are_answered(backend, db, repo,
                                                                                          postgresql_only):
    access = access_to(db)
    backend.portal.call(pipelined, backend.app.state.engine, status(access, "SUCCESSFUL"))
    assert counted(backend, SHA) == [[(access.repository.id, "SUCCESSFUL", 1)]]  # the lane's connection is open
    db("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query LIKE '%unnest%' "
       "AND pid <> pg_backend_pid()")  # the lane's connection goes away
    lost = counted(backend, SHA, SHA)
    assert all(isinstance(outcome, Exception) for outcome in lost)  # (the lane hands these to the full app)
    assert counted(backend, SHA, OTHER_SHA) == [[(access.repository.id, "SUCCESSFUL", 1)], []]


def test_the_gathered_count_looks_each_commit_up_in_the_index_even_in_a_plan_made_for_a_small_table(
        backend, db, repo, postgresql_only):
    """PostgreSQL caches a generic plan for a prepared statement; made while the table is small, it must still
    look each commit up by index (with commit_id = ANY($1) it was a sequential scan, and stayed one as the table
    grew: 1 -> 8.5 ms per count in a one-minute soak)."""
    from sqlalchemy.dialects.postgresql.asyncpg import dialect
    from cairn.builds import store as statuses
    from cairn.db.direct import _GATHERED

    sql = str(_GATHERED[statuses._COUNT_PER_REPOSITORY][0].compile(dialect=dialect()))

    async def plan():
        async with backend.app.state.engine.connect() as conn:
            driver = (await conn.get_raw_connection()).driver_connection
            await driver.execute("SET plan_cache_mode = force_generic_plan")
            try:
                await driver.execute(f"PREPARE counted(varchar[]) AS {sql.replace('$1::VARCHAR[]', '$1')}")
                return [row[0] for row in await driver.fetch("EXPLAIN EXECUTE counted(ARRAY['a'])")]
            finally:
                await driver.execute("DEALLOCATE counted")
                await driver.execute("RESET plan_cache_mode")

    lines = "\n".join(backend.portal.call(plan))
    assert "Index Cond: ((commit_id)::text = (asked.commit_id)::text)" in lines, lines
    assert "Seq Scan on build_statuses" not in lines, lines
