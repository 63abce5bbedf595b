"""The fast lane (cairn.lane) answers the busiest requests exactly as the full app does.

A caller's first request goes through the full app, which fills the credential and access caches; the
next ones take the lane. Each test compares what a client sees on both, and what the caches promise:
another process's revocation applies within the TTL, a deleted repository at once.
"""

from __future__ import annotations

import base64
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor

from argon2 import PasswordHasher

import pytest
from sqlalchemy import text

from cairn.lane import FastLane
from tests.builds.conftest import BUILDS, status
from tests.fixtures.api import SHA, assert_error, observed

STATS = f"/rest/build-status/latest/commits/stats/{SHA}"
TTL = 0.5  # auth_cache_seconds of the test app (tests/conftest.py)


@pytest.fixture
def elsewhere(backend):
    """Write to the database behind this app's back, as another cairn process would (its caches are not told)."""
    async def run(*statements: str):
        async with backend.app.state.engine.begin() as conn:
            for statement in statements:
                await conn.execute(text(statement))
    return lambda *statements: backend.portal.call(run, *statements)


class _SlowHasher(PasswordHasher):
    """A real argon2 hasher that takes a moment over each verification, as one under load does."""

    def verify(self, hash, password):  # noqa: A002 - argon2's name
        time.sleep(0.3)
        return super().verify(hash, password)


def reader(repo):
    user = repo.user("reader")
    repo.grant_repo("reader", "REPO_READ")
    return repo.as_user(user)


def test_repeated_posts_answer_alike_and_all_are_stored(repo, count, fallbacks):
    caller = reader(repo)
    fallbacks.clear()
    first, second = caller.post(BUILDS, json=status("A")), caller.post(BUILDS, json=status("B"))
    assert fallbacks == [BUILDS]  # the first fills the caches; the second takes the lane
    assert observed(first) == observed(second) == (204, None, "reader", first.headers["x-auserid"], b"")
    assert count() == 2
    assert caller.get(BUILDS, params={"key": "B"}).json()["url"] == "https://ci.example/B"


def test_repeated_stats_answer_alike(repo, fallbacks):
    caller = reader(repo)
    caller.post(BUILDS, json=status("A", "FAILED"))
    fallbacks.clear()
    first, second = caller.get(STATS), caller.get(STATS)
    assert fallbacks == []  # the POST filled the caches
    assert observed(first) == observed(second)
    assert second.json() == {"successful": 0, "failed": 1, "inProgress": 0, "cancelled": 0, "unknown": 0}


def test_stats_answer_at_once_with_what_is_committed_while_another_process_writes(repo, fallbacks, backend):
    if backend.backend != "sqlite":
        pytest.skip("PostgreSQL readers never wait on a writer's lock")
    caller = reader(repo)
    caller.post(BUILDS, json=status("A", "FAILED"))
    outside = sqlite3.connect(backend.app.state.engine.url.database, isolation_level=None)
    outside.execute("BEGIN IMMEDIATE")  # another process, half-way through a write: it holds the write lock
    outside.execute("UPDATE build_statuses SET state = 'SUCCESSFUL'")
    try:
        fallbacks.clear()
        started = time.monotonic()
        answer = caller.get(STATS)
        took = time.monotonic() - started
    finally:
        outside.execute("ROLLBACK")
        outside.close()
    assert answer.json() == {"successful": 0, "failed": 1, "inProgress": 0, "cancelled": 0, "unknown": 0}
    assert fallbacks == []  # answered by the lane's read on the event loop's thread (db/direct.py quick)
    assert took < 5  # not after the write lock's 30-s busy timeout


ZERO = {"successful": 0, "failed": 0, "inProgress": 0, "cancelled": 0, "unknown": 0}


def test_stats_show_another_process_s_writes_at_once(repo, fallbacks, elsewhere):
    """On SQLite the lane's reader remembers a commit's counts only while nothing was committed since
    (db/direct.py _Remembering): a write by any other connection shows on the next read."""
    caller = reader(repo)
    caller.post(BUILDS, json=status("A", "FAILED"))
    fallbacks.clear()
    assert caller.get(STATS).json() == caller.get(STATS).json() == {**ZERO, "failed": 1}
    elsewhere("UPDATE build_statuses SET state = 'SUCCESSFUL'")
    assert caller.get(STATS).json() == {**ZERO, "successful": 1}
    assert fallbacks == []  # every one answered by the lane


def test_stats_count_only_repositories_the_caller_may_read(repo, fallbacks, seed, backend):
    """The lane counts a commit's statuses per repository and takes the caller's access to each from its cache."""
    caller = reader(repo)
    caller.post(BUILDS, json=status("A", "FAILED"))
    other = repo.repo(name="other")["id"]  # private: the reader has no grant on it
    seed(SHA, [("B", "SUCCESSFUL", 1), ("C", "SUCCESSFUL", 2)], other)
    seed(SHA, [("L", "INPROGRESS", 3)])  # a legacy status: everyone sees it
    fallbacks.clear()
    assert caller.get(STATS).json() == caller.get(STATS).json() == {**ZERO, "failed": 1, "inProgress": 1}
    assert fallbacks == []
    assert repo.get(STATS).json() == {**ZERO, "failed": 1, "successful": 2, "inProgress": 1}  # the administrator
    # A grant given or revoked through this process shows at once (the change drops the credential cache too:
    # the first request after it refills that through the full app, the second is the lane's).
    repo.grant_repo("reader", "REPO_READ", slug="other")
    all_of_them = {**ZERO, "failed": 1, "successful": 2, "inProgress": 1}
    fallbacks.clear()
    assert caller.get(STATS).json() == caller.get(STATS).json() == all_of_them
    assert fallbacks == [STATS]
    r = repo.delete("/rest/api/latest/projects/PRJ/repos/other/permissions/users", params={"name": "reader"})
    assert r.status_code == 204
    fallbacks.clear()
    assert caller.get(STATS).json() == caller.get(STATS).json() == {**ZERO, "failed": 1, "inProgress": 1}
    assert fallbacks == [STATS]


def test_stats_stop_counting_a_repository_whose_grant_another_process_revoked_within_the_ttl(repo, fallbacks,
                                                                                            elsewhere):
    caller = reader(repo)
    caller.post(BUILDS, json=status("A", "FAILED"))
    assert caller.get(STATS).json() == {**ZERO, "failed": 1}
    elsewhere("DELETE FROM repository_permissions")
    time.sleep(TTL + 0.1)
    assert caller.get(STATS).json() == ZERO
    assert repo.get(STATS).json() == {**ZERO, "failed": 1}  # the administrator's counts are their own


def test_bad_body_on_a_warm_path_gets_the_full_apps_400(repo, count):
    caller = reader(repo)
    caller.post(BUILDS, json=status("A"))
    r = caller.post(BUILDS, json={"key": "B", "state": "GREEN", "url": "https://ci.example/B"})
    assert_error(r, 400, context="state")
    assert r.headers["x-ausername"] == "reader"
    assert count() == 1


def test_repository_deleted_by_another_process_is_404_at_once(repo, count, elsewhere):
    caller = reader(repo)
    caller.post(BUILDS, json=status("A"))
    elsewhere("DELETE FROM build_statuses", "DELETE FROM repository_permissions", "DELETE FROM repositories")
    assert_error(caller.post(BUILDS, json=status("B")), 404)
    assert count() == 0


def test_grant_revoked_by_another_process_stops_within_the_ttl(repo, count, elsewhere):
    caller = reader(repo)
    caller.post(BUILDS, json=status("A"))
    elsewhere("DELETE FROM repository_permissions")
    assert caller.post(BUILDS, json=status("B")).status_code == 204  # still trusted, as documented
    time.sleep(TTL + 0.1)
    assert_error(caller.post(BUILDS, json=status("C")), 404)
    assert count() == 2


def test_the_caches_are_checked_again_in_the_background_before_they_expire(repo, fallbacks):
    """Past most of the TTL the lane has the credential and the grant checked again in the background while the
    entries serve on, so no request waits for the check and none finds them expired (auth/access.py
    REFRESH_AHEAD)."""
    caller = reader(repo)
    caller.post(BUILDS, json=status("A"))  # fills both caches
    fallbacks.clear()
    time.sleep(TTL * 0.85)
    assert caller.post(BUILDS, json=status("B")).status_code == 204  # answered by the lane; starts the check
    time.sleep(TTL * 0.3)  # past the first check's TTL, not the second's
    assert caller.post(BUILDS, json=status("C")).status_code == 204
    assert fallbacks == []


def lane_of(backend) -> FastLane:
    lane = backend.app.middleware_stack
    while not isinstance(lane, FastLane):
        lane = lane.app
    return lane


def test_a_grant_the_background_check_finds_revoked_is_forgotten_at_once(repo, count, elsewhere, backend, fallbacks):
    caller = reader(repo)
    caller.post(BUILDS, json=status("A"))
    authorization = "Basic " + base64.b64encode(":".join(caller.auth).encode()).decode()
    state = backend.app.state
    backend.portal.call(lane_of(backend)._refresh, state, authorization, "PRJ", "repo")  # nothing changed
    fallbacks.clear()
    assert caller.post(BUILDS, json=status("B")).status_code == 204
    assert fallbacks == []  # the check kept the entries
    elsewhere("DELETE FROM repository_permissions")
    backend.portal.call(lane_of(backend)._refresh, state, authorization, "PRJ", "repo")
    assert_error(caller.post(BUILDS, json=status("C")), 404)  # well within the TTL
    assert count() == 2


def test_a_password_the_background_check_finds_changed_is_forgotten_at_once(repo, count, elsewhere, backend):
    caller = reader(repo)
    caller.post(BUILDS, json=status("A"))
    elsewhere("UPDATE users SET password_hash = 'changed elsewhere' WHERE name = 'reader'")
    authorization = "Basic " + base64.b64encode(":".join(caller.auth).encode()).decode()
    time.sleep(TTL * 0.85)  # when the lane has it checked again
    backend.portal.call(lane_of(backend)._refresh, backend.app.state, authorization, "PRJ", "repo")
    assert not backend.app.state.authenticator.known(authorization)  # forgotten (an expired entry is still known)
    assert_error(caller.post(BUILDS, json=status("B")), 401)
    assert count() == 1


def test_of_concurrent_requests_on_cold_caches_one_fills_them_and_the_others_take_the_lane(repo, fallbacks,
                                                                                           count, backend):
    """After a pause longer than the TTL, every connection's next request finds the caches cold: one goes to the
    full app, which checks the credential (a slow hash here) and the grant; the others wait for it and take the
    lane (cairn.lane _after_warming). Before, all of them went to the full app together."""
    caller = reader(repo)
    caller.post(BUILDS, json=status("A"))
    time.sleep(TTL + 0.1)
    authenticator = backend.app.state.authenticator
    original, authenticator.hasher = authenticator.hasher, _SlowHasher()
    fallbacks.clear()
    try:
        with ThreadPoolExecutor(6) as pool:
            answers = list(pool.map(lambda i: caller.post(BUILDS, json=status(f"k{i}")), range(6)))
    finally:
        authenticator.hasher = original
    assert [a.status_code for a in answers] == [204] * 6
    assert fallbacks == [BUILDS]
    assert count() == 7


def test_a_wrong_password_is_never_cached_so_each_concurrent_request_gets_its_401(repo, fallbacks):
    caller = reader(repo)
    caller.post(BUILDS, json=status("A"))
    wrong = repo.as_user(("reader", "not-the-password"))
    fallbacks.clear()
    with ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda i: wrong.post(BUILDS, json=status(f"k{i}")), range(4)))
    assert [a.status_code for a in answers] == [401] * 4
    assert fallbacks == [BUILDS] * 4  # none waited for another: the full app answered each


def test_grant_revoked_through_this_process_stops_at_once(repo, count):
    caller = reader(repo)
    caller.post(BUILDS, json=status("A"))
    r = repo.delete("/rest/api/latest/projects/PRJ/repos/repo/permissions/users", params={"name": "reader"})
    assert r.status_code == 204
    assert_error(caller.post(BUILDS, json=status("B")), 404)
    assert count() == 1
