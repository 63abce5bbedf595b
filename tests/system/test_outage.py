"""PostgreSQL drops every connection, again and again, under concurrent writers: no request gets a 500, every
acknowledged write is stored, refusals are fast 503s with Retry-After, and service returns by itself."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import Counter

import httpx
import pytest

from tests.fixtures.postgres import PG_URL, create_database, drop_database
from tests.fixtures.server import ADMIN, start_server, stop_server

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (CAIRN_TEST_POSTGRES_URL)")
SHA = "0123456789abcdef0123456789abcdef01234567"
BUILDS = f"/rest/api/latest/projects/PRJ/repos/repo/commits/{SHA}/builds"


def _terminate_backends(database: str, seconds: float) -> None:
    """Kill every connection to `database`, over and over for `seconds` (new ones die as they come)."""
    async def run():
        import asyncpg
        admin = await asyncpg.connect(PG_URL)
        try:
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                await admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                    "WHERE datname = $1 AND pid <> pg_backend_pid()", database)
                await asyncio.sleep(0.02)
        finally:
            await admin.close()
    asyncio.run(run())


def _set_connections(database: str, allowed: bool) -> None:
    async def run():
        import asyncpg
        admin = await asyncpg.connect(PG_URL)
        try:
            await admin.execute(f'ALTER DATABASE "{database}" ALLOW_CONNECTIONS {"true" if allowed else "false"}')
        finally:
            await admin.close()
    asyncio.run(run())


def test_dropped_connections_cost_no_500_and_no_acknowledged_write(tmp_path):
    name, url = create_database("cairn_outage")
    srv = start_server("postgresql", tmp_path, url)
    statuses: Counter = Counter()
    acknowledged: list[str] = []
    slow_refusals: list[float] = []
    stop = threading.Event()
    try:
        with httpx.Client(base_url=srv.url, auth=ADMIN) as client:
            assert client.post("/rest/api/latest/projects", json={"key": "PRJ", "name": "P"}).status_code == 201
            assert client.post("/rest/api/latest/projects/PRJ/repos", json={"name": "repo"}).status_code == 201

        def write(worker: int):
            n = 0
            with httpx.Client(base_url=srv.url, auth=ADMIN, timeout=30) as writer:
                while not stop.is_set():
                    key = f"w{worker}-{n}"
                    began = time.monotonic()
                    r = writer.post(BUILDS, json={"key": key, "state": "SUCCESSFUL", "url": "https://ci.example/1"})
                    statuses[r.status_code] += 1
                    if r.status_code == 204:
                        acknowledged.append(key)
                    elif r.status_code == 503:
                        assert r.headers["retry-after"] and r.json()["errors"][0]["message"]
                        if time.monotonic() - began > 6:
                            slow_refusals.append(time.monotonic() - began)
                    n += 1
                    time.sleep(0.005)
        writers = [threading.Thread(target=write, args=(i,)) for i in range(3)]
        for thread in writers:
            thread.start()
        time.sleep(0.5)
        for _ in range(3):  # three outages: single drops, then a stretch where every new connection dies
            _terminate_backends(name, 0.05)
            time.sleep(0.5)
        _terminate_backends(name, 1.5)
        time.sleep(1.0)
        refused_before = statuses[503]
        _set_connections(name, allowed=False)  # down: no connection can be made at all
        _terminate_backends(name, 0.05)
        time.sleep(1.0)
        assert statuses[503] > refused_before  # answered at once, with Retry-After, while it is down
        _set_connections(name, allowed=True)
        time.sleep(2.0)  # the database is back: service returns by itself
        before = statuses[204]
        time.sleep(1.0)
        stop.set()
        for thread in writers:
            thread.join()
        assert statuses[204] > before  # writes succeed again after the outage
        assert statuses[500] == 0, statuses
        assert set(statuses) <= {204, 503}, statuses
        assert not slow_refusals
        stored, start = set(), 0
        with httpx.Client(base_url=srv.url, auth=ADMIN) as client:
            while start is not None:
                page = client.get(BUILDS, params={"limit": 1000, "start": start}).json()
                stored |= {s["key"] for s in page["values"]}
                start = page.get("nextPageStart")
        assert set(acknowledged) <= stored
        output = srv.log_text()
        assert "Traceback" not in output and "the database went away during POST" in output
    finally:
        stop.set()
        stop_server(srv)
        _set_connections(name, allowed=True)
        drop_database(name)
