"""The fast lane (cairn.lane) answers POST .../commits/{commitId}/deployments and GET .../environments exactly as
the full app does.

The caller's first request fills the credential and access caches; its next deployment POSTs take the lane
(`fallbacks` lists what it hands to the full app). tests/builds/test_lane.py covers what the caches promise.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import text

from tests.deployments.conftest import (DEPLOYMENTS, ENVIRONMENTS, LISTING, SHA, SHA2, body, deployments_url,
                                        identity)
from tests.fixtures.api import assert_error, observed


@pytest.fixture
def warm(repo, fallbacks):
    """`repo` whose caches know the administrator and PRJ/repo (any repository request fills them)."""
    assert repo.get(LISTING).status_code == 200
    fallbacks.clear()
    return repo


def test_a_warm_post_takes_the_lane_and_answers_as_the_full_app(warm, fallbacks):
    repo = warm
    sent = body(1, lastUpdated=1700000000000)  # not the server's clock: both answers alike
    first = repo.post(DEPLOYMENTS, json=sent)
    # A query string (ignored by the route) sends the same request to the full app.
    full = repo.post(DEPLOYMENTS + "?via=full", json=sent)
    assert fallbacks == [DEPLOYMENTS]
    assert observed(first) == observed(full)
    assert first.status_code == 200


def test_the_lane_stores_updates_and_links_the_previous_commit(warm, fallbacks):
    repo = warm
    repo.post(deployments_url(), json=body(1))
    second = repo.post(deployments_url(SHA2), json=body(2, state="FAILED")).json()
    updated = repo.post(deployments_url(SHA2), json=body(2, state="SUCCESSFUL")).json()
    assert fallbacks == []
    assert second["fromCommit"]["id"] == updated["fromCommit"]["id"]
    assert updated["state"] == "SUCCESSFUL"
    stored = repo.get(deployments_url(SHA2), params=identity(seq=2)).json()
    assert stored == updated


def test_a_refusal_on_a_warm_path_is_the_full_apps(warm, fallbacks):
    repo = warm
    r = repo.post(DEPLOYMENTS, json=body(1, state="GREEN"))
    assert fallbacks == [DEPLOYMENTS]
    assert_error(r, 400, context="state")
    assert r.headers["x-ausername"] == "admin"
    assert repo.get(DEPLOYMENTS, params=identity()).status_code == 404


def test_the_environments_listing_takes_the_lane_and_answers_as_the_full_app(warm, fallbacks, db_write):
    repo = warm
    for seq, (env, state) in enumerate([("prod", "SUCCESSFUL"), ("prod", "FAILED"), ("test", "SUCCESSFUL"),
                                        ("stage", "IN_PROGRESS")], 1):
        sent = body(seq, env=env, state=state, lastUpdated=1700000000000 + seq)
        assert repo.post(deployments_url(SHA2) if seq % 2 else DEPLOYMENTS, json=sent).status_code == 200
    fallbacks.clear()
    queries = ("", "?limit=2", "?start=1&limit=2", "?start=2", "?limit=0", "?limit=5000", "?start=9&limit=")
    for query in queries:
        lane = repo.get(ENVIRONMENTS + query)
        # Another parameter (ignored by the route) sends the same request to the full app.
        full = repo.get(ENVIRONMENTS + (query + "&" if query else "?") + "via=full")
        assert observed(lane) == observed(full), query
        assert lane.status_code == 200
    assert fallbacks == [ENVIRONMENTS] * len(queries)
    assert [e["environment"]["key"] for e in repo.get(ENVIRONMENTS).json()["values"]] == ["stage", "test", "prod"]
    # On SQLite the lane remembers the page while nothing is committed: a write by another connection shows at once.
    db_write("UPDATE deployments SET display_name = 'renamed'")
    assert {e["latest"]["displayName"] for e in repo.get(ENVIRONMENTS).json()["values"]} == {"renamed"}
    assert fallbacks == [ENVIRONMENTS] * len(queries)
    # What the full app refuses, it answers.
    assert_error(repo.get(ENVIRONMENTS, params={"limit": "two"}), 400, context="limit")
    assert_error(repo.get(ENVIRONMENTS, params={"start": "-1"}), 400, context="start")


def test_a_request_that_loses_a_deadlock_is_run_again(repo, backend):
    """PostgreSQL breaks a deadlock by rolling one transaction back: the request is run once more, not a 500
    (db/outage.py). Here another transaction holds a new environment and then wants the deployment the request
    holds; the request, waiting longer, is the one rolled back."""
    if backend.backend != "postgresql":
        pytest.skip("SQLite takes one writer at a time: no deadlock")
    repository_id = repo.get("/rest/api/latest/projects/PRJ/repos/repo").json()["id"]
    outside = backend.portal.call(backend.app.state.engine.connect)
    other = backend.portal.call(outside.begin)
    run = lambda sql: backend.portal.call(outside.execute, text(sql), {"r": repository_id})  # noqa: E731
    run("INSERT INTO deployment_environments (repository_id, key) VALUES (:r, 'new')")
    with ThreadPoolExecutor(1) as pool:
        # A query string sends it to the full app, whose statement takes the deployment, then the environment.
        request = pool.submit(repo.post, DEPLOYMENTS + "?via=full", json=body(1, env="new"))
        time.sleep(0.5)  # it waits for the environment
        wanting = backend.portal.start_task_soon(outside.execute, text(
            f"INSERT INTO deployments (repository_id, commit_id, key, environment_key, sequence_number, display_name,"
            f" description, url, state, environment_display_name, last_updated) VALUES (:r, '{SHA}', 'deploy', 'new',"
            f" 1, 'outside', '', '', 'FAILED', 'New', 1)"), {"r": repository_id})
        time.sleep(2.5)  # PostgreSQL's deadlock_timeout (1 s): the request is rolled back, and waits once more
        wanting.result(timeout=10)
        backend.portal.call(other.commit)
        answer = request.result(timeout=30)
    backend.portal.call(outside.close)
    assert answer.status_code == 200, answer.text
    stored = repo.get(DEPLOYMENTS, params=identity(env="new")).json()
    assert (stored["displayName"], stored["state"]) == ("Deploy deploy", "SUCCESSFUL")  # the request's, after
