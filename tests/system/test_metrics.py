"""GET /metrics in Prometheus' text format: requests by route template, latency, rows written; who may read it
is a setting; with several worker processes the figures are summed over all of them."""

from __future__ import annotations

import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from prometheus_client import CollectorRegistry, Histogram
from prometheus_client.parser import text_string_to_metric_families
from starlette.testclient import TestClient

from cairn.app import create_app
from cairn.config import Settings
from cairn.system import metrics
from tests.fixtures.api import BUILDS
from tests.fixtures.postgres import PG_URL, create_database, drop_database
from tests.fixtures.server import ADMIN, start_server, stop_server


def _samples(text: str) -> dict:
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def _value(samples: dict, name: str, **labels) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def test_requests_and_writes_are_counted_by_route_template(repo):
    before = _samples(repo.get("/metrics").text)
    body = {"key": "k", "state": "SUCCESSFUL", "url": "https://ci.example/1"}
    for _ in range(3):
        assert repo.post(BUILDS, json=body).status_code == 204
    r = repo.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    after = _samples(r.text)
    route = "/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/builds"
    counted = ("cairn_requests_total", dict(method="POST", route=route, status="204"))
    assert _value(after, counted[0], **counted[1]) - _value(before, counted[0], **counted[1]) == 3
    assert (_value(after, "cairn_rows_written_total", kind="build_status")
            - _value(before, "cairn_rows_written_total", kind="build_status")) == 3
    assert _value(after, "cairn_request_duration_seconds_count", route=route) >= 3
    assert ("cairn_db_pool_size", ()) in after and ("cairn_requests_in_flight", ()) in after
    # Labels name routes as templates and kinds, never a project, repository or user.
    ours = [labels for name, labels in after if name.startswith("cairn_")]
    assert {label for labels in ours for label, _ in labels} <= {"method", "route", "status", "kind", "le"}
    assert not [labels for labels in ours if any("PRJ" in value for _, value in labels)]


@pytest.mark.parametrize("reader, caller, status", [
    ("off", ADMIN, 404), ("ops", None, 401), ("ops", ADMIN, 401), ("admin", ADMIN, 200), ("public", None, 200)])
def test_who_may_read_the_metrics_is_a_setting(tmp_path, reader, caller, status):
    settings = Settings(home=tmp_path, admin_username=ADMIN[0], admin_password=ADMIN[1], argon2_profile="cheapest",
                        metrics=reader)
    with TestClient(create_app(settings)) as client:
        assert client.get("/metrics", auth=caller).status_code == status


@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (CAIRN_TEST_POSTGRES_URL)")
def test_two_workers_sum_their_metrics(tmp_path):
    name, url = create_database("cairn_metrics")
    srv = start_server("postgresql", tmp_path, url, "--workers", "2")
    try:
        with httpx.Client(base_url=srv.url, auth=ADMIN) as client:
            for _ in range(40):  # new connections: the kernel spreads them over both workers
                with httpx.Client(base_url=srv.url, auth=ADMIN) as fresh:
                    assert fresh.get("/rest/api/latest/projects").status_code == 200
            # The worker that answers /metrics counts its own at once, the other's within FLUSH_SECONDS.
            deadline = time.monotonic() + 5 * metrics.FLUSH_SECONDS
            while (counted := _value(_samples(client.get("/metrics").text), "cairn_requests_total", method="GET",
                                     route="/rest/api/latest/projects", status="200")) < 40:
                assert time.monotonic() < deadline, f"{counted} of 40 requests counted"
                time.sleep(0.05)
        assert counted == 40
    finally:
        stop_server(srv)
        drop_database(name)


def test_requests_waiting_for_a_database_connection_are_counted(tmp_path):
    srv = start_server("sqlite", tmp_path, None, CAIRN_DB_POOL_SIZE="1")
    try:
        with httpx.Client(base_url=srv.url, auth=ADMIN, timeout=60) as client:
            assert client.post("/rest/api/latest/projects", json={"key": "PRJ", "name": "P"}).status_code == 201
            assert client.post("/rest/api/latest/projects/PRJ/repos", json={"name": "repo"}).status_code == 201
            outside = sqlite3.connect(tmp_path / "cairn.db", isolation_level=None)
            outside.execute("BEGIN IMMEDIATE")  # the POST below holds the one connection, waiting for this lock
            with ThreadPoolExecutor(2) as pool:
                post = pool.submit(client.post, BUILDS, json={"key": "k", "state": "SUCCESSFUL", "url": "https://x/1"})
                time.sleep(0.5)
                get = pool.submit(client.get, BUILDS)
                deadline = time.monotonic() + 10
                # The GET waits, and so may the server's own housekeeping (rate limit settings every second).
                while _value(_samples(client.get("/metrics").text), "cairn_db_pool_waiting") < 1:
                    assert time.monotonic() < deadline, "the GET never showed as waiting for a connection"
                    time.sleep(0.1)
                outside.execute("ROLLBACK")
                assert post.result().status_code == 204 and get.result().status_code == 200
            # Nobody waits once they are through (the server's background work, held back by the lock too, may
            # take the connection a moment longer).
            deadline = time.monotonic() + 5
            while _value(_samples(client.get("/metrics").text), "cairn_db_pool_waiting") != 0:
                assert time.monotonic() < deadline, "a request still waits for a connection"
                time.sleep(0.1)
    finally:
        stop_server(srv)


def test_tallied_latencies_land_in_the_buckets_observe_would_choose():
    route = "/test/tally"  # a series of its own: nothing else counts into it
    reference = Histogram("reference_seconds", "the same buckets, observed one by one",
                          buckets=metrics._BOUNDS[:-1], registry=CollectorRegistry())
    for seconds in (0.0, 0.001, 0.0011, 0.0999, 0.1, 2.5, 10.0, 11.0):  # on, just past and far past the bounds
        metrics.count_request("GET", route, 200, seconds)
        reference.observe(seconds)
    metrics.flush()

    def spread(histogram, name):
        return {(s.name.removeprefix(name), s.labels.get("le")): round(s.value, 9)
                for s in histogram.collect()[0].samples if not s.name.endswith("_created")}

    assert spread(metrics.LATENCY.labels(route), "cairn_request_duration_seconds") == spread(reference,
                                                                                            "reference_seconds")
