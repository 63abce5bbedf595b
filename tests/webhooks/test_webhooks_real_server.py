"""Webhooks and the live stream through real `cairn serve` processes: atlassian-python-api's webhook methods,
at-least-once delivery across a SIGKILL, two processes on one PostgreSQL delivering each event once, and
Server-Sent Events with Last-Event-ID resumption."""

from __future__ import annotations

import signal
import threading
import time

import httpx
import pytest
from atlassian import Bitbucket

from tests.fixtures.postgres import PG_URL, create_database, drop_database
from tests.fixtures.server import (
    ADMIN,
    PROJECT,
    SLUG,
    _free_port,
    new_sha,
    ok,
    set_up_repository,
    start_server,
    stop_server,
)
from tests.webhooks.conftest import Receiver

BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])
REPO = f"/rest/api/1.0/projects/{PROJECT}/repos/{SLUG}"
EVENTS = f"/rest/cairn/latest/projects/{PROJECT}/repos/{SLUG}/events"


def _status(client: httpx.Client, sha: str, key: str = "ci", state: str = "SUCCESSFUL") -> None:
    ok(client.post(f"{REPO}/commits/{sha}/builds", json={"key": key, "state": state, "url": "https://ci/1"}), 204)


@pytest.fixture(params=BACKENDS)
def database(request):
    """(backend, database URL or None): a fresh one per test, dropped afterwards."""
    if request.param == "sqlite":
        yield "sqlite", None
        return
    name, url = create_database("cairn_hooks")
    try:
        yield "postgresql", url
    finally:
        drop_database(name)


def test_atlassian_python_api_manages_webhooks_unmodified(database, tmp_path):
    backend, url = database
    server = start_server(backend, tmp_path, url, CAIRN_WEBHOOK_ALLOW_PRIVATE="1")
    try:
        set_up_repository(server)
        bitbucket = Bitbucket(url=server.url, username=ADMIN[0], password=ADMIN[1])
        created = bitbucket.create_webhook(PROJECT, SLUG, "chat", ["build:status_set"], "https://chat.example/h",
                                           True, secret="s3cret")
        assert created["name"] == "chat" and created["events"] == ["build:status_set"] and created["active"]
        assert [h["id"] for h in bitbucket.get_webhooks(PROJECT, SLUG)] == [created["id"]]
        assert [h["id"] for h in bitbucket.get_webhooks(PROJECT, SLUG, event="build:status_set")] == [created["id"]]
        assert bitbucket.get_webhook(PROJECT, SLUG, created["id"])["url"] == "https://chat.example/h"
        updated = bitbucket.update_webhook(PROJECT, SLUG, created["id"], name="renamed", active=False)
        assert updated["name"] == "renamed" and updated["active"] is False and updated["url"] == created["url"]
        bitbucket.delete_webhook(PROJECT, SLUG, created["id"])
        assert list(bitbucket.get_webhooks(PROJECT, SLUG)) == []
    finally:
        stop_server(server)


def test_every_acknowledged_event_is_delivered_after_a_sigkill(database, tmp_path):
    """The receiver is down while the statuses are stored, the server is killed with the deliveries pending, and
    a new server on the same database delivers each of them once the receiver is up."""
    backend, url = database
    port = _free_port()
    server = start_server(backend, tmp_path, url, CAIRN_WEBHOOK_ALLOW_PRIVATE="1")
    receiver = None
    try:
        set_up_repository(server)
        with httpx.Client(base_url=server.url, auth=ADMIN, timeout=30) as client:
            ok(client.post(f"{REPO}/webhooks", json={"name": "h", "url": f"http://127.0.0.1:{port}/h",
                                                      "events": ["build:status_set"]}), 200)
            for n in range(20):
                _status(client, new_sha(), key=f"k{n}")
        server.proc.kill()  # SIGKILL: no shutdown of any kind
        server.proc.wait(10)
        receiver = Receiver(port)
        server = start_server(backend, tmp_path, url, CAIRN_WEBHOOK_ALLOW_PRIVATE="1")
        got = receiver.wait_for(20, seconds=60)
        keys = {r.json["buildStatus"]["key"] for r in got}
        assert keys == {f"k{n}" for n in range(20)}
        ids = [int(r.headers["X-Cairn-Event-Id"]) for r in got]
        assert ids == sorted(ids)
    finally:
        stop_server(server)
        if receiver:
            receiver.close()


@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (CAIRN_TEST_POSTGRES_URL)")
def test_two_processes_on_one_postgresql_deliver_each_event_once_in_order(tmp_path):
    name, url = create_database("cairn_hooks2")
    receiver = Receiver()
    servers = []
    try:
        servers = [start_server("postgresql", tmp_path / f"s{i}", url, CAIRN_WEBHOOK_ALLOW_PRIVATE="1")
                   for i in range(2) if (tmp_path / f"s{i}").mkdir() is None]
        set_up_repository(servers[0])
        with httpx.Client(base_url=servers[0].url, auth=ADMIN, timeout=30) as client:
            ok(client.post(f"{REPO}/webhooks", json={"name": "h", "url": receiver.url,
                                                      "events": ["build:status_set"]}), 200)

        def write(server, writer: int):
            with httpx.Client(base_url=server.url, auth=ADMIN, timeout=30) as client:
                for n in range(50):
                    _status(client, new_sha(), key=f"w{writer}-{n}")

        threads = [threading.Thread(target=write, args=(servers[w % 2], w)) for w in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        got = receiver.wait_for(200, seconds=60)
        ids = [int(r.headers["X-Cairn-Event-Id"]) for r in got]
        assert len(ids) == len(set(ids)) == 200  # none twice: the lease lets one process deliver at a time
        # In commit order: each writer's statuses as its calls returned. (Not in id order: two transactions take
        # their ids in one order and may commit in the other; each event goes out once it has committed.)
        for writer in range(4):
            mine = [int(r.json["buildStatus"]["key"].split("-")[1]) for r in got
                    if r.json["buildStatus"]["key"].startswith(f"w{writer}-")]
            assert mine == list(range(50))
    finally:
        for server in servers:
            stop_server(server)
        receiver.close()
        drop_database(name)


def _events(response, count: int) -> list[dict]:
    """The next `count` events of an open stream: {"id", "event", "data"}."""
    found, current = [], {}
    for line in response.iter_lines():
        if line == "":
            if "id" in current:
                found.append(current)
                if len(found) == count:
                    return found
            current = {}
        elif not line.startswith(":"):
            field, _, value = line.partition(": ")
            current[field] = value
    return found


def test_the_event_stream_sends_events_as_they_commit_and_resumes_after_last_event_id(database, tmp_path):
    backend, url = database
    server = start_server(backend, tmp_path, url)
    try:
        set_up_repository(server, ("reader", "reader-pw", "Reader"))
        sha = new_sha()
        with httpx.Client(base_url=server.url, auth=ADMIN, timeout=30) as client, \
                httpx.Client(base_url=server.url, auth=("reader", "reader-pw"),
                             timeout=httpx.Timeout(30, read=10)) as reader:  # (an event missed fails in 10 s)
            with reader.stream("GET", EVENTS) as stream:
                assert stream.status_code == 200
                assert stream.headers["content-type"].startswith("text/event-stream")
                _status(client, sha, state="INPROGRESS")
                [first] = _events(stream, 1)
            assert first["event"] == "build:status_set" and '"state":"INPROGRESS"' in first["data"].replace(" ", "")
            _status(client, sha, state="SUCCESSFUL")
            ok(client.put(f"/rest/insights/1.0/projects/{PROJECT}/repos/{SLUG}/commits/{sha}/reports/lint",
                          json={"title": "Lint"}), 200)
            with reader.stream("GET", EVENTS, headers={"Last-Event-ID": first["id"]}) as stream:
                missed = _events(stream, 2)
            assert [e["event"] for e in missed] == ["build:status_set", "insights:report_set"]
            assert int(missed[0]["id"]) > int(first["id"])
            other = new_sha()
            _status(client, other, key="other")
            with reader.stream("GET", f"{EVENTS[:-len('/events')]}/commits/{other}/events",
                               params={"lastEventId": "0"}) as stream:  # from the start: that commit's only
                [only] = _events(stream, 1)
            assert '"key":"other"' in only["data"].replace(" ", "")
            assert ok(reader.get(EVENTS, params={"lastEventId": "x"}), 400).json()["errors"][0]["context"] == \
                "lastEventId"
            stranger = httpx.get(f"{server.url}{EVENTS}", timeout=10)
            assert stranger.status_code == 401
    finally:
        stop_server(server)


def test_an_open_live_page_does_not_hold_webhook_deliveries_back(database, tmp_path):
    """A stream is a request that lasts minutes; counted as load, it would pace deliveries (GIVE_WAY) all day."""
    backend, url = database
    server = start_server(backend, tmp_path, url, CAIRN_WEBHOOK_ALLOW_PRIVATE="1")
    receiver = Receiver()
    receiver.delay = 0.01  # each send takes 10 ms: paced, 100 ms or more would pass between two
    try:
        set_up_repository(server)
        sha = new_sha()
        with httpx.Client(base_url=server.url, auth=ADMIN, timeout=30) as client:
            ok(client.post(f"{REPO}/webhooks", json={"name": "h", "url": receiver.url,
                                                     "events": ["build:status_set"]}), 200)
            with client.stream("GET", EVENTS) as stream:
                lines = stream.iter_lines()  # (kept: a dropped iterator would close the stream)
                assert next(lines).startswith("retry:")
                for n in range(6):
                    _status(client, sha, key=f"k{n}")
                got = receiver.wait_for(6)
        gaps = sorted(b.at - a.at for a, b in zip(got, got[1:]))
        assert gaps[len(gaps) // 2] < 0.05, gaps  # (one gap may be a poll's half second)
    finally:
        receiver.close()
        stop_server(server)


def test_a_stopping_server_ends_its_event_streams_at_once(tmp_path):
    """SIGTERM: an open stream would hold the server's shutdown for minutes; it ends, and the server exits."""
    server = start_server("sqlite", tmp_path, None)
    try:
        set_up_repository(server)
        with httpx.Client(base_url=server.url, auth=ADMIN, timeout=30) as client:
            with client.stream("GET", EVENTS) as stream:
                lines = stream.iter_lines()
                assert next(lines).startswith("retry:")
                started = time.monotonic()
                server.proc.send_signal(signal.SIGTERM)
                assert list(lines) in ([], [""])  # the stream ends
        assert server.proc.wait(10) in (0, -signal.SIGTERM)  # (uvicorn re-raises the signal once drained)
        assert time.monotonic() - started < 8
    finally:
        stop_server(server)
