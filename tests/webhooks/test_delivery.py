"""Webhook deliveries, received by a real HTTP server: every event kind after the API call that causes it,
Bitbucket's headers and a signature verified here, scopes and filters, retries, and what never fires."""

from __future__ import annotations

import asyncio
import json
import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.dialects import sqlite

from cairn.app import prune_events
from cairn.events import service as events
from cairn.kit import load
from cairn.webhooks import store as webhook_store
from cairn.webhooks.delivery import GIVE_WAY, KEEP_HISTORY, SEND_WORK, Deliverer

from tests.fixtures.api import SHA, SHA2
from tests.webhooks.conftest import HISTORY, HOOKS, create_hook, eventually

REPO = "/projects/PRJ/repos/repo"
BUILDS = f"/rest/api/latest{REPO}/commits/{SHA}/builds"
DEPLOYMENTS = f"/rest/api/latest{REPO}/commits/{SHA}/deployments"
REPORT = f"/rest/insights/latest{REPO}/commits/{SHA}/reports/lint"


def status(state: str = "SUCCESSFUL", key: str = "ci") -> dict:
    return {"key": key, "state": state, "url": "https://ci.example/1"}


def deployment(sequence: int = 1) -> dict:
    return {"deploymentSequenceNumber": sequence, "description": "d", "displayName": f"#{sequence}", "key": "app",
            "state": "SUCCESSFUL", "url": "https://ci.example/d", "environment": {"key": "prod", "displayName": "P"}}


def test_each_event_reaches_the_receiver_after_its_call_signed_as_bitbucket_signs(repo, receiver):
    create_hook(repo, receiver.url, configuration={"secret": "s3cret"})
    calls = [
        ("POST", BUILDS, {"json": status("INPROGRESS")}, "build:status_set"),
        ("DELETE", BUILDS, {"params": {"key": "ci"}}, "build:status_deleted"),
        ("PUT", REPORT, {"json": {"title": "Lint", "result": "PASS"}}, "insights:report_set"),
        ("POST", f"{REPORT}/annotations", {"json": {"annotations": [
            {"line": 1, "message": "m", "severity": "LOW", "externalId": "a"},
            {"line": 2, "message": "n", "severity": "HIGH", "externalId": "b"}]}}, "insights:annotations_added"),
        ("DELETE", f"{REPORT}/annotations", {"params": {"externalId": "a"}}, "insights:annotations_deleted"),
        ("DELETE", REPORT, {}, "insights:report_deleted"),
        ("POST", DEPLOYMENTS, {"json": deployment()}, "deployment:set"),
        ("DELETE", DEPLOYMENTS, {"params": {"key": "app", "environmentKey": "prod", "deploymentSequenceNumber": 1}},
         "deployment:deleted"),
    ]
    for number, (method, path, kw, event) in enumerate(calls, 1):
        r = repo.request(method, path, **kw)
        assert r.status_code in (200, 204), r.text
        got = receiver.wait_for(number)[-1]  # each arrives after its own call, in order
        assert got.event == event
        assert got.headers["Content-Type"] == "application/json; charset=utf-8"
        assert got.signed_with("s3cret") and not got.signed_with("other")
        assert got.headers["X-Request-Id"] and got.headers["X-Cairn-Event-Id"].isdigit()
        body = got.json
        assert body["eventKey"] == event and body["commit"] == SHA
        assert body["actor"]["name"] == "admin" and body["actor"]["slug"] == "admin"
        assert body["repository"]["slug"] == "repo" and body["repository"]["project"]["key"] == "PRJ"
        assert body["date"].endswith("+0000")
    bodies = [r.json for r in receiver.received]
    assert bodies[0]["buildStatus"]["state"] == "INPROGRESS" and bodies[0]["buildStatus"]["projectKey"] == "PRJ"
    assert bodies[1]["buildStatus"]["key"] == "ci"
    assert bodies[2]["report"]["title"] == "Lint" and bodies[2]["report"]["result"] == "PASS"
    assert bodies[3]["annotations"] == {"reportKey": "lint", "count": 2}  # never the annotations themselves
    assert bodies[4]["annotations"] == {"reportKey": "lint", "count": 1}
    assert bodies[5]["report"]["key"] == "lint"
    assert bodies[6]["deployment"]["displayName"] == "#1" and bodies[6]["deployment"]["toCommit"]["id"] == SHA
    assert bodies[7]["deployment"]["key"] == "app"
    assert len({r.headers["X-Cairn-Event-Id"] for r in receiver.received}) == 8


def test_a_payload_carries_the_entity_as_stored(repo, receiver):
    """A re-posted status keeps its first createdDate, a later deployment names its fromCommit: the payload says
    what the API then answers (on PostgreSQL both come from the one statement that stores them)."""
    create_hook(repo, receiver.url, ["build:status_set", "deployment:set"])
    assert repo.post(BUILDS, json={**status("INPROGRESS"), "lastUpdated": 1000}).status_code == 204
    assert repo.post(BUILDS, json={**status("SUCCESSFUL"), "lastUpdated": 2000}).status_code == 204
    assert repo.post(DEPLOYMENTS, json=deployment(1)).status_code == 200
    second = f"/rest/api/latest{REPO}/commits/{SHA2}/deployments"
    answer = repo.post(second, json=deployment(2)).json()
    first, again, deployed, later = [r.json for r in receiver.wait_for(4)]
    assert (first["buildStatus"]["createdDate"], first["buildStatus"]["updatedDate"]) == (1000, 1000)
    assert (again["buildStatus"]["createdDate"], again["buildStatus"]["updatedDate"]) == (1000, 2000)
    assert again["buildStatus"] == repo.get(BUILDS, params={"key": "ci"}).json() | {"projectKey": "PRJ",
                                                                                     "repositorySlug": "repo"}
    assert "fromCommit" not in deployed["deployment"]
    assert later["deployment"] == answer and later["deployment"]["fromCommit"]["id"] == SHA


def test_a_legacy_status_and_a_refused_change_fire_nothing(repo, receiver, db):
    create_hook(repo, receiver.url)
    assert repo.post(f"/rest/build-status/latest/commits/{SHA}", json=status()).status_code == 204  # no repository
    assert repo.post(BUILDS, json={"key": "ci", "state": "NOPE", "url": "x"}).status_code == 400
    assert repo.put(REPORT, json={"title": "Lint"}).status_code == 200
    over = {"annotations": [{"line": 1, "message": "m", "severity": "LOW"}] * 1001}
    assert repo.post(f"{REPORT}/annotations", json=over).status_code == 400  # rolled back
    assert repo.delete(BUILDS, params={"key": "nothing"}).status_code == 204  # nothing deleted: nothing to tell
    assert [r.event for r in receiver.wait_for(1)] == ["insights:report_set"]
    time.sleep(1.5)
    assert [r.event for r in receiver.received] == ["insights:report_set"]
    assert db("SELECT event_key FROM events") == [("insights:report_set",)]


def test_project_webhooks_hear_every_repository_and_each_hears_only_its_events(repo, receiver):
    repo.repo("PRJ", "other")
    create_hook(repo, receiver.url, ["deployment:set"], path="/rest/api/latest/projects/PRJ/webhooks")
    create_hook(repo, receiver.url + "/repo", ["build:status_set"])
    assert repo.post(BUILDS, json=status()).status_code == 204
    assert repo.post(BUILDS.replace("/repo/", "/other/"), json=status()).status_code == 204  # no hook hears it
    assert repo.post(DEPLOYMENTS.replace("/repo/", "/other/"), json=deployment()).status_code == 200
    receiver.wait_for(2)
    time.sleep(1)
    assert sorted((r.event, r.json["repository"]["slug"]) for r in receiver.received) == [
        ("build:status_set", "repo"), ("deployment:set", "other")]


def test_an_inactive_webhook_hears_nothing(repo, receiver):
    hook = create_hook(repo, receiver.url, active=False)
    assert repo.post(BUILDS, json=status()).status_code == 204
    assert repo.put(f"{HOOKS}/{hook['id']}", json={"active": True}).status_code == 200
    assert repo.post(BUILDS, json=status("FAILED")).status_code == 204
    assert [r.json["buildStatus"]["state"] for r in receiver.wait_for(1)] == ["FAILED"]


def test_a_failing_receiver_is_retried_with_backoff_and_later_events_wait_in_order(repo, receiver):
    receiver.answers = [(503, {}), (500, {})]
    hook = create_hook(repo, receiver.url, ["build:status_set"])
    for state in ("INPROGRESS", "FAILED", "SUCCESSFUL"):
        assert repo.post(BUILDS, json=status(state, key=state)).status_code == 204
    got = receiver.wait_for(5)
    assert [r.json["buildStatus"]["state"] for r in got] == ["INPROGRESS"] * 3 + ["FAILED", "SUCCESSFUL"]
    assert len({r.headers["X-Cairn-Event-Id"] for r in got[:3]}) == 1  # one event, three attempts
    first, second, third = (r.at for r in got[:3])
    assert 0.4 <= second - first and 0.9 <= third - second  # 1 s then 2 s, each with jitter down to half
    history = repo.get(f"{HISTORY}/{hook['id']}/deliveries").json()["values"]
    assert [(d["result"]["state"], d["result"]["attempts"]) for d in history] == [("SUCCESS", 1)] * 2 + [
        ("SUCCESS", 3)]


def test_delivering_gives_way_while_requests_are_answered_and_catches_up_after(repo, receiver, monkeypatch):
    receiver.delay = 0.01  # a send's wall time is over SEND_WORK: each paced send is followed by a full pause
    create_hook(repo, receiver.url, ["build:status_set"])
    monkeypatch.setattr(load, "busy", lambda: True)  # as under a saturating load
    for n in range(4):
        assert repo.post(BUILDS, json=status(key=f"k{n}")).status_code == 204
    paced = receiver.wait_for(3)
    gaps = [b.at - a.at for a, b in zip(paced, paced[1:])]
    assert min(gaps) >= SEND_WORK * GIVE_WAY * 0.9, gaps  # unpaced, about 10 ms apart
    monkeypatch.undo()
    for n in range(4, 8):
        assert repo.post(BUILDS, json=status(key=f"k{n}")).status_code == 204
    assert len(receiver.wait_for(8)) == 8  # and then it catches up


def test_a_loaded_process_pauses_after_each_step_of_delivery_work(monkeypatch):
    deliverer = Deliverer(engine=None, sender=None)

    async def steps(work: float = 0.005) -> list[float]:
        began = []
        for _ in range(2):
            async with deliverer._step():
                began.append(time.monotonic())
                await asyncio.sleep(work)
        return began

    monkeypatch.setattr(load, "busy", lambda: True)
    first, second = asyncio.run(steps())
    assert second - first >= 0.005 * (1 + GIVE_WAY) * 0.95
    monkeypatch.setattr(load, "busy", lambda: False)
    first, second = asyncio.run(steps())
    assert second - first < 0.005 * GIVE_WAY


def test_delivery_work_done_while_no_request_is_answered_owes_no_pause_later(monkeypatch):
    # (Catching up after a load, thousands of sends once ran up a pause of many minutes for the next load.)
    deliverer = Deliverer(engine=None, sender=None)

    async def idle_then_loaded() -> float:
        monkeypatch.setattr(load, "busy", lambda: False)
        for _ in range(50):
            async with deliverer._step():
                await asyncio.sleep(0.002)
        monkeypatch.setattr(load, "busy", lambda: True)
        began = time.monotonic()
        async with deliverer._step():
            return time.monotonic() - began

    assert asyncio.run(idle_then_loaded()) < 0.05


def test_retry_after_is_honoured_and_a_4xx_fails_for_good(repo, receiver):
    receiver.answers = [(429, {"Retry-After": "2"}), (404, {})]
    hook = create_hook(repo, receiver.url, ["build:status_set"])
    assert repo.post(BUILDS, json=status("INPROGRESS", key="a")).status_code == 204
    assert repo.post(BUILDS, json=status("FAILED", key="b")).status_code == 204
    got = receiver.wait_for(3)
    assert got[1].at - got[0].at >= 1.9  # the receiver asked for 2 s
    assert [r.json["buildStatus"]["key"] for r in got] == ["a", "a", "b"]
    time.sleep(1.5)
    assert len(receiver.received) == 3  # 404: not tried again; the next event went on
    failed = repo.get(f"{HOOKS}/{hook['id']}/latest", params={"outcome": "FAILURE"}).json()
    assert failed["result"]["statusCode"] == 404 and failed["result"]["state"] == "FAILURE"
    assert failed["result"]["attempts"] == 2 and failed["event"] == "build:status_set"
    assert repo.get(f"{HOOKS}/{hook['id']}/latest").json()["result"]["statusCode"] == 200
    assert repo.get(f"{HOOKS}/{hook['id']}/latest", params={"outcome": "ERROR"}).status_code == 204
    stats = repo.get(f"{HOOKS}/{hook['id']}/statistics").json()
    assert stats["counts"] == {"successes": 1, "failures": 1, "errors": 0, "window": 86400000}
    assert stats["lastFailure"]["result"]["statusCode"] == 404
    summary = repo.get(f"{HOOKS}/{hook['id']}/statistics/summary").json()
    assert summary["counts"]["successes"] == 1


def test_an_endless_answer_is_read_no_further_than_64_kib(repo, receiver, db):
    receiver.endless = True
    create_hook(repo, receiver.url, ["build:status_set"])
    assert repo.post(BUILDS, json=status()).status_code == 204
    eventually(lambda: db("SELECT state FROM webhook_deliveries") == [("SUCCESS",)])  # not a 10 s timeout
    (description, started, finished), = db("SELECT description, started, finished FROM webhook_deliveries")
    assert description == "x" * 1024 and finished - started < 5000


def test_a_webhook_keeps_its_last_100_deliveries(repo, receiver, db):
    hook = create_hook(repo, receiver.url, ["build:status_set"])
    for n in range(KEEP_HISTORY + 20):
        assert repo.post(BUILDS, json=status(key=f"k{n}")).status_code == 204
    receiver.wait_for(KEEP_HISTORY + 20)
    assert repo.post(BUILDS, json=status(key="last")).status_code == 204  # the next turn trims
    receiver.wait_for(KEEP_HISTORY + 21)
    eventually(lambda: db("SELECT count(*) FROM webhook_deliveries") == [(KEEP_HISTORY,)])
    history = repo.get(f"{HISTORY}/{hook['id']}/deliveries", params={"limit": 1000}).json()
    assert len(history["values"]) == KEEP_HISTORY and history["isLastPage"]
    payloads = db("SELECT e.payload FROM webhook_deliveries d JOIN events e ON e.id = d.event_id")
    kept = {json.loads(payload)["buildStatus"]["key"] for payload, in payloads}
    assert kept == {f"k{n}" for n in range(21, KEEP_HISTORY + 20)} | {"last"}  # the oldest went first


def test_a_redirect_is_not_followed_and_fails_the_delivery(repo, receiver, db):
    receiver.answers = [(302, {"Location": "http://169.254.169.254/latest/meta-data/"})]
    create_hook(repo, receiver.url, ["build:status_set"])
    assert repo.post(BUILDS, json=status()).status_code == 204
    eventually(lambda: db("SELECT state, status_code FROM webhook_deliveries") == [("FAILURE", 302)])
    assert len(receiver.received) == 1


def test_a_redelivery_sends_the_same_event_again(repo, receiver):
    hook = create_hook(repo, receiver.url, ["build:status_set"])
    assert repo.post(BUILDS, json=status()).status_code == 204
    first = receiver.wait_for(1)[0]
    delivery = repo.get(f"{HISTORY}/{hook['id']}/deliveries").json()["values"][0]
    r = repo.post(f"{HISTORY}/{hook['id']}/deliveries/{delivery['id']}/redeliver")
    assert r.status_code == 200 and r.json()["result"]["state"] == "PENDING", r.text
    again = receiver.wait_for(2)[1]
    assert again.body == first.body and again.headers["X-Cairn-Event-Id"] == first.headers["X-Cairn-Event-Id"]
    assert again.headers["X-Request-Id"] != first.headers["X-Request-Id"]
    assert repo.post(f"{HISTORY}/{hook['id']}/deliveries/999999/redeliver").status_code == 404


def test_deleting_a_webhook_or_its_repository_drops_what_was_pending(repo, db):
    closed = "http://127.0.0.1:9/nobody-listens"
    hook = create_hook(repo, closed, ["build:status_set"])
    assert repo.post(BUILDS, json=status()).status_code == 204
    eventually(lambda: db("SELECT attempts >= 1 FROM webhook_deliveries") == [(True,)])  # tried, failed, waiting
    assert db("SELECT state FROM webhook_deliveries") == [("PENDING",)]
    assert repo.delete(f"{HOOKS}/{hook['id']}").status_code == 204
    assert db("SELECT count(*) FROM webhook_deliveries") == [(0,)]
    create_hook(repo, closed, ["build:status_set"])
    assert repo.post(BUILDS, json=status("FAILED")).status_code == 204
    assert repo.delete("/rest/api/latest/projects/PRJ/repos/repo").status_code == 202
    assert db("SELECT count(*) FROM webhooks") == [(0,)] and db("SELECT count(*) FROM events") == [(0,)]
    assert db("SELECT count(*) FROM webhook_deliveries") == [(0,)]


def test_events_past_their_day_are_pruned_unless_a_delivery_still_points_at_them(repo, receiver, backend, db,
                                                                                   db_write):
    for key in ("a", "b"):
        assert repo.post(BUILDS, json=status(key=key)).status_code == 204  # no webhook hears these
    hook = create_hook(repo, receiver.url, ["build:status_set"])
    assert repo.post(BUILDS, json=status(key="c")).status_code == 204
    receiver.wait_for(1)
    eventually(lambda: db("SELECT state FROM webhook_deliveries") == [("SUCCESS",)])  # kept in the history
    kept = db("SELECT event_id FROM webhook_deliveries")[0][0]
    db_write("UPDATE events SET created = created - :day", {"day": events.KEEP + 60_000})
    assert repo.post(BUILDS, json=status(key="d")).status_code == 204  # a fresh one
    backend.portal.call(prune_events, backend.app)
    receiver.wait_for(2)
    assert [row[0] for row in db("SELECT id FROM events ORDER BY id")] == [kept, kept + 1]
    history = repo.get(f"{HISTORY}/{hook['id']}/deliveries").json()["values"]
    assert len(history) == 2 and {d["event"] for d in history} == {"build:status_set"}


def test_an_event_of_a_transaction_that_commits_late_is_not_overtaken_nor_lost(repo, receiver, backend):
    """PostgreSQL: ids are taken as rows are written, not as transactions commit. An event queued past one whose
    transaction is still open would leave that one behind the queue's cursor for good."""
    if backend.backend != "postgresql":
        pytest.skip("SQLite's writers take turns: ids come in commit order")
    create_hook(repo, receiver.url, ["build:status_set"])
    conn = backend.portal.call(backend.app.state.engine.connect)
    try:
        backend.portal.call(conn.begin)
        backend.portal.call(conn.execute, text(
            "INSERT INTO events (repository_id, commit_id, event_key, created, payload, tx) SELECT id, :sha, "
            "'build:status_set', 0, '{\"early\": true}', pg_current_xact_id()::text::bigint FROM repositories"),
            {"sha": SHA})
        assert repo.post(BUILDS, json=status()).status_code == 204  # a later writer commits first
        time.sleep(1.5)  # three looks for events to queue
        assert receiver.received == []
        backend.portal.call(conn.commit)
    finally:
        backend.portal.call(conn.close)  # (rolls back what a failed assertion left open)
    assert [r.json.get("early") for r in receiver.wait_for(2)] == [True, None]


def test_a_database_copied_from_another_server_goes_on_delivering(repo, receiver, db_write):
    """cairn copy, or a restore onto a new PostgreSQL server: the queue's cursor holds a transaction id this
    server never issued (beyond any it will issue for a long time)."""
    create_hook(repo, receiver.url, ["build:status_set"])
    db_write("UPDATE event_queue SET tx = :tx", {"tx": 1 << 60})
    assert repo.post(BUILDS, json=status()).status_code == 204
    assert len(receiver.wait_for(1)) == 1


def test_concurrent_writers_events_arrive_in_commit_order(repo, receiver):
    """Each writer's statuses are delivered in the order its calls returned, whatever the others do, once each."""
    create_hook(repo, receiver.url, ["build:status_set"])
    writers, per_writer = 4, 10

    def write(writer: int):
        for n in range(per_writer):
            r = repo.post(BUILDS, json={**status(), "key": f"w{writer}", "description": str(n)})
            assert r.status_code == 204

    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    got = receiver.wait_for(writers * per_writer, seconds=30)
    assert len(got) == writers * per_writer
    assert len({r.headers["X-Cairn-Event-Id"] for r in got}) == len(got)
    for writer in range(writers):
        mine = [int(r.json["buildStatus"]["description"]) for r in got if r.json["buildStatus"]["key"] == f"w{writer}"]
        assert mine == list(range(per_writer))


def test_cairn_webhook_redeliver_sends_failed_deliveries_again(repo, receiver, cli, db):
    from click.testing import CliRunner

    from cairn.cli import main

    receiver.answers = [(400, {})]  # failed for good: a 4xx is not retried
    hook = create_hook(repo, receiver.url, ["build:status_set"])
    assert repo.post(BUILDS, json=status()).status_code == 204
    eventually(lambda: db("SELECT state FROM webhook_deliveries") == [("FAILURE",)])

    def cairn(*args):
        return cli("webhook", *args)

    [listed] = cairn("list")
    assert listed.startswith(f"{hook['id']}  PRJ/repo  hook  {receiver.url}  active")
    [delivery] = cairn("deliveries", str(hook["id"]))
    assert "  FAILURE  1  build:status_set  400  " in delivery
    [done] = cairn("redeliver", str(hook["id"]), "--failed")
    assert done.startswith(f"delivery {delivery.split()[0]}: delivered again as ")
    again = receiver.wait_for(2)[1]
    assert again.body == receiver.received[0].body
    assert db("SELECT action FROM audit_events WHERE action = 'WEBHOOK_REDELIVERED'") == [("WEBHOOK_REDELIVERED",)]
    r = CliRunner().invoke(main, ["webhook", "redeliver", str(hook["id"])])
    assert r.exit_code != 0 and "--failed" in r.output


def test_queueing_reads_only_the_events_after_the_cursor_by_key(backend, db):
    """SQLite: the queue's statements find the events after the cursor in the primary key. SQLite reads a (tx, id)
    row comparison as no index range: every half second they scanned all of a day's events inside the writers'
    batch (30 ms at 130k events, growing with the day's traffic)."""
    if backend.backend != "sqlite":
        pytest.skip("PostgreSQL's btree reads a row comparison as an index range")
    for stmt in (webhook_store._NEXT["sqlite"], webhook_store._WAITING["sqlite"], webhook_store._ENQUEUE["sqlite"]):
        compiled = stmt.compile(dialect=sqlite.dialect())
        plan = db("EXPLAIN QUERY PLAN " + str(compiled).replace("?", "0"))
        searches = [row[3] for row in plan if " events " in f" {row[3]} "]
        assert searches and all("PRIMARY KEY (rowid>" in step for step in searches), (str(compiled), plan)
