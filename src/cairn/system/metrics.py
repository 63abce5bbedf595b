"""Prometheus metrics (prometheus-client): requests by route template, method and status; latency by route
template; requests in flight; the database pool; and (cairn.kit.written) rows the API wrote.

With several worker processes (`cairn serve --workers N`, which then sets PROMETHEUS_MULTIPROC_DIR before the
workers start) every process writes its values to files there and /metrics sums them (multiprocess mode).
"""

from __future__ import annotations

import os

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest, multiprocess

from cairn.kit import written  # noqa: F401 - registers the rows-written counters
from prometheus_client import CONTENT_TYPE_LATEST  # noqa: F401 - re-exported for the route

REQUESTS = Counter("cairn_requests_total", "HTTP requests answered", ["method", "route", "status"])
LATENCY = Histogram("cairn_request_duration_seconds", "Time to answer a request", ["route"],
                    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0))
IN_FLIGHT = Gauge("cairn_requests_in_flight", "Requests being answered", multiprocess_mode="livesum")
POOL_IN_USE = Gauge("cairn_db_pool_connections_in_use", "Database connections checked out",
                    multiprocess_mode="livesum")
POOL_SIZE = Gauge("cairn_db_pool_size", "Database connections each process may hold", multiprocess_mode="livesum")


def count_request(method: str, route: str, status: int | None, seconds: float,
                  _children: dict = {}) -> None:  # noqa: B006 - the labelled series, looked up once each
    """One answered request. A series' `labels()` lookup cost more than the count itself (3 us a request)."""
    series = _children.get((method, route, status))
    if series is None:
        series = _children[(method, route, status)] = (REQUESTS.labels(method, route, str(status)),
                                                       LATENCY.labels(route))
    series[0].inc()
    series[1].observe(seconds)


def watch_pool(engine) -> None:
    """Count the pool's connections in use as they are checked out and in (so every process keeps its own)."""
    from sqlalchemy import event

    pool = engine.sync_engine.pool
    POOL_SIZE.set(pool.size())
    event.listen(pool, "checkout", lambda *_: POOL_IN_USE.inc())
    event.listen(pool, "checkin", lambda *_: POOL_IN_USE.dec())


def render() -> bytes:
    if "PROMETHEUS_MULTIPROC_DIR" in os.environ:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry)
    return generate_latest()


def route_template(scope) -> str:
    """The route a request matched, as a template ("/rest/api/latest/projects/{projectKey}"), for labels."""
    route = scope.get("route")
    if route is None:
        return scope.get("cairn.route", "unmatched")
    path = route.path
    if path.startswith(("/rest/", "/status")) or not scope["path"][len(scope.get("root_path", "")):].startswith(
            "/rest/"):
        return path
    module = scope["path"][len(scope.get("root_path", "")):].split("/")[2]
    return f"/rest/{module}/latest{path}"  # 1.0 and latest are one route
