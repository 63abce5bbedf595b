"""Rate limiting as Bitbucket Data Center does it: off until an administrator turns it on, then a token bucket
per user (per client address for anonymous callers), 429 with Retry-After, per-user buckets and whitelisting."""

import time

import pytest

from cairn.app import record_batches
from cairn.ratelimit.limiter import Bucket, RateLimiter, Settings
from tests.fixtures.api import BUILDS, assert_error

S = "/rest/api/latest/admin/rate-limit/settings"
H = "/rest/api/latest/admin/rate-limit/history"
BODY = {"key": "ci", "state": "SUCCESSFUL", "url": "https://ci.example/1"}


def _limit(api, capacity: int, fill_rate: int, enabled: bool = True) -> None:
    r = api.put(S, json={"enabled": enabled, "defaultSettings": {"capacity": capacity, "fillRate": fill_rate}})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("steps, expected", [
    # (seconds since start, user) per request; a bucket of 2 refilled at 1 a second
    ([(0, 1), (0, 1), (0, 1)], [None, None, 1]),
    ([(0, 1), (0, 1), (0.5, 1), (1.0, 1)], [None, None, 1, None]),
    ([(0, 1), (0, 1), (0, 2), (0, 2)], [None, None, None, None]),  # each user has their own bucket
    ([(0, 7), (0, 7), (0, 7), (0, 7)], [None] * 4),  # whitelisted
    ([(0, 8), (0, 8), (0.2, 8)], [None, 1, 1]),  # an own bucket of 1; the wait is rounded up to a second
    ([(0, None), (0, None), (0, None)], [None, None, 1]),  # anonymous: by address
])
def test_the_bucket(steps, expected):
    now = [0.0]
    limiter = RateLimiter(clock=lambda: now[0])
    limiter.configure(Settings(True, Bucket(2, 1), {7: None, 8: Bucket(1, 1)}))
    got = []
    for at, user in steps:
        now[0] = at
        got.append(limiter.retry_after(user, "10.0.0.1"))
    assert got == expected


def test_it_is_off_until_an_administrator_turns_it_on(api):
    assert api.get(S).json() == {"enabled": False, "defaultSettings": {"capacity": 60, "fillRate": 5}}
    for _ in range(80):  # more than the default bucket holds
        assert api.get("/rest/api/latest/projects").status_code == 200
    assert_error(api.as_user(None).get(S), 401)


def test_over_the_limit_is_429_with_retry_after_then_recovers(repo):
    api = repo
    ci = api.user("ci")
    api.grant_repo("ci", "REPO_READ")
    _limit(api, 3, 1)
    assert api.get(S).json() == {"enabled": True, "defaultSettings": {"capacity": 3, "fillRate": 1}}
    as_ci = api.as_user(ci)
    answers = [as_ci.post(BUILDS, json=BODY).status_code for _ in range(3)]  # the hot path (fast lane) too
    assert answers == [204, 204, 204]
    r = as_ci.post(BUILDS, json=BODY)
    error = assert_error(r, 429)
    assert r.headers["retry-after"] == "1" and "rate limit" in error["message"]
    assert_error(as_ci.get("/rest/api/latest/projects"), 429)  # every request of the user draws on one bucket
    assert api.get("/rest/api/latest/projects").status_code == 200  # another user's bucket is untouched
    time.sleep(1.1)
    assert as_ci.post(BUILDS, json=BODY).status_code == 204
    # Refusals are history, written in a batch.
    api.client.portal.call(record_batches, api.client.app)
    (entry,) = api.get(H).json()["values"]
    assert entry["user"]["name"] == "ci" and entry["rejectCount"] == 2 and entry["lastRejectTime"] > 0


def test_whitelisted_users_and_their_own_buckets(repo):
    api = repo
    bot, slow = api.user("bot"), api.user("slow")
    _limit(api, 2, 1)
    r = api.post(f"{S}/users", json={"usernames": ["admin", "bot"], "whitelisted": True})
    assert r.status_code == 200, r.text
    assert [(u["user"]["name"], u["whitelisted"]) for u in r.json()] == [("admin", True), ("bot", True)]
    r = api.put(f"{S}/users/slow", json={"settings": {"capacity": 1, "fillRate": 1}})
    assert r.status_code == 200 and r.json()["settings"] == {"capacity": 1, "fillRate": 1}
    assert all(api.as_user(bot).get("/rest/api/latest/projects").status_code == 200 for _ in range(10))
    assert api.as_user(slow).get("/rest/api/latest/projects").status_code == 200
    assert api.as_user(slow).get("/rest/api/latest/projects").status_code == 429
    assert [u["user"]["name"] for u in api.get(f"{S}/users").json()["values"]] == ["admin", "bot", "slow"]
    assert api.as_user(slow).get(f"{S}/users/slow").status_code == 429  # still over: the bucket is shared
    time.sleep(1.1)
    assert api.as_user(slow).get(f"{S}/users/slow").json()["whitelisted"] is False  # a user may read their own
    assert api.delete(f"{S}/users/slow").status_code == 204
    assert_error(api.get(f"{S}/users/slow"), 404)
    assert_error(api.delete(f"{S}/users/slow"), 404)


def test_anonymous_callers_are_limited_by_address(repo):
    api = repo
    assert api.put("/rest/api/latest/projects/PRJ/repos/repo", json={"public": True}).status_code == 201
    _limit(api, 2, 1)
    anonymous = api.as_user(None)
    codes = [anonymous.get("/rest/api/latest/projects/PRJ/repos/repo").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


def test_bad_settings_are_refused_and_change_nothing(api):
    alice = api.user("alice")
    for body, context in (({}, None), ({"enabled": "yes"}, "enabled"),
                          ({"defaultSettings": {"capacity": 10}}, "defaultSettings"),
                          ({"defaultSettings": {"capacity": 0, "fillRate": 1}}, "defaultSettings.capacity"),
                          ({"defaultSettings": {"capacity": 5, "fillRate": -1}}, "defaultSettings.fillRate"),
                          ({"defaultSettings": {"capacity": 1.5, "fillRate": 1}}, "defaultSettings.capacity")):
        assert_error(api.put(S, json=body), 400, context=context)
    assert_error(api.as_user(alice).put(S, json={"enabled": True}), 401)
    assert_error(api.post(f"{S}/users", json={"usernames": ["alice", "ghost"], "whitelisted": True}), 404)
    assert_error(api.put(f"{S}/users/alice", json={"whitelisted": False}), 400, context="settings")
    assert_error(api.get(H, params={"order": "LOUDEST"}), 400, context="order")
    assert api.get(S).json()["enabled"] is False
    assert api.get(f"{S}/users").json()["values"] == []
