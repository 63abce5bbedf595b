"""The legacy, repository-less build-status API: /rest/build-status/{1.0,latest}/commits/{sha}."""

from __future__ import annotations

import pytest

from tests.builds.conftest import LEGACY, builds_url, status
from tests.fixtures.api import SHA, SHA2, assert_error

COMMIT = f"{LEGACY}/{SHA}"
AUTH_REQUIRED = "com.atlassian.plugins.rest.common.security.AuthenticationRequiredException"


def listing(api, url: str = COMMIT, **params) -> dict:
    r = api.get(url, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json;charset=UTF-8"
    return r.json()


def keys(api, url: str = COMMIT, **params) -> list[str]:
    return [s["key"] for s in listing(api, url, **params)["values"]]


# --- posting ---------------------------------------------------------------------------------------


def test_any_signed_in_user_may_post_without_any_repository_permission(api):
    user = api.user("ci")
    r = api.as_user(user).post(COMMIT, json={"state": "SUCCESSFUL", "key": "K", "url": "http://ci/1",
                                             "name": "Build", "description": "All good"})
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert r.headers["x-ausername"] == "ci"
    [got] = listing(api.as_user(user))["values"]
    assert {k: got[k] for k in ("key", "state", "url", "name", "description")} == {
        "key": "K", "state": "SUCCESSFUL", "url": "http://ci/1", "name": "Build", "description": "All good"}
    assert got["dateAdded"] == got["updatedDate"]
    assert "projectKey" not in got and "repositorySlug" not in got


def test_anonymous_post_is_401_and_nothing_stored(api, count):
    r = api.as_user(None).post(COMMIT, json=status("K"))
    assert_error(r, 401, AUTH_REQUIRED)
    assert count() == 0


def test_wrong_password_is_401(api, count):
    api.user("ci")
    r = api.as_user(("ci", "wrong")).post(COMMIT, json=status("K"))
    assert_error(r, 401, "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException")
    assert count() == 0


def test_anonymous_get_and_stats_are_401(api):
    anonymous = api.as_user(None)
    assert_error(anonymous.get(COMMIT), 401, AUTH_REQUIRED)
    assert_error(anonymous.get(f"{LEGACY}/stats/{SHA}"), 401, AUTH_REQUIRED)
    assert_error(anonymous.post(f"{LEGACY}/stats", json=[SHA]), 401, AUTH_REQUIRED)


def test_name_is_optional(api):
    # renovate posts without a name.
    assert api.post(COMMIT, json={"state": "FAILED", "key": "renovate/stability-days", "url": "http://r"}
                    ).status_code == 204
    [got] = listing(api)["values"]
    assert "name" not in got and got["state"] == "FAILED"


@pytest.mark.parametrize("state", ["SUCCESSFUL", "FAILED", "INPROGRESS", "CANCELLED", "UNKNOWN"])
def test_all_five_states_are_accepted(api, state):
    assert api.post(COMMIT, json=status("K", state)).status_code == 204
    assert listing(api)["values"][0]["state"] == state


def test_rich_members_and_unknown_members_are_tolerated(api):
    body = {**status("K"), "parent": "P", "buildNumber": 7, "ref": "refs/heads/x", "foo": [1]}
    assert api.post(COMMIT, json=body).status_code == 204
    assert keys(api) == ["K"]


def test_repost_replaces_one_status_per_commit_and_key(api, count):
    assert api.post(COMMIT, json=status("K", "INPROGRESS", name="first", lastUpdated=1000)).status_code == 204
    assert api.post(COMMIT, json={"key": "K", "state": "SUCCESSFUL", "url": "http://ci/2",
                                  "lastUpdated": 2000}).status_code == 204
    [got] = listing(api)["values"]
    assert (got["state"], got["url"], got["createdDate"], got["updatedDate"], got["dateAdded"]) == (
        "SUCCESSFUL", "http://ci/2", 1000, 2000, 2000)
    assert "name" not in got
    assert count() == 1


def test_upper_case_commit_is_the_same_commit(api, db):
    assert api.post(f"{LEGACY}/{SHA.upper()}", json=status("K", "FAILED")).status_code == 204
    assert api.post(COMMIT, json=status("K", "SUCCESSFUL")).status_code == 204
    assert [s["state"] for s in listing(api, f"{LEGACY}/{SHA.upper()}")["values"]] == ["SUCCESSFUL"]
    assert db("SELECT commit_id FROM build_statuses") == [(SHA,)]


def test_statuses_of_different_commits_are_separate(api):
    assert api.post(COMMIT, json=status("K", "SUCCESSFUL")).status_code == 204
    assert api.post(f"{LEGACY}/{SHA2}", json=status("K", "FAILED")).status_code == 204
    assert [s["state"] for s in listing(api)["values"]] == ["SUCCESSFUL"]
    assert [s["state"] for s in listing(api, f"{LEGACY}/{SHA2}")["values"]] == ["FAILED"]


def test_both_versions_answer(api):
    assert api.post(f"/rest/build-status/1.0/commits/{SHA}", json=status("A")).status_code == 204
    assert keys(api, f"/rest/build-status/1.0/commits/{SHA}") == ["A"]
    assert keys(api, f"/rest/build-status/latest/commits/{SHA}") == ["A"]


def test_legacy_status_is_visible_in_every_repository_listing_of_the_commit(api):
    # Shared by every repository holding the commit; the repository-scoped endpoints keep their own.
    api.project()
    api.repo()
    assert api.post(COMMIT, json=status("L")).status_code == 204
    assert keys(api) == ["L"]
    assert api.get(builds_url()).json()["values"] == []


# --- limits and bad input --------------------------------------------------------------------------

LIMITS = [("key", 255), ("name", 255), ("description", 255), ("url", 450)]


@pytest.mark.parametrize("field, limit", LIMITS)
def test_each_field_at_its_limit_is_stored(api, field, limit):
    value = "x" * limit
    assert api.post(COMMIT, json={**status("K"), field: value}).status_code == 204
    assert listing(api)["values"][0][field] == value


@pytest.mark.parametrize("field, limit", LIMITS)
def test_each_field_over_its_limit_is_400_and_nothing_stored(api, count, field, limit):
    assert_error(api.post(COMMIT, json={**status("K"), field: "x" * (limit + 1)}), 400, context=field)
    assert count() == 0


@pytest.mark.parametrize("body, context", [
    ({"key": "K", "url": "http://ci"}, "state"),
    ({"state": "SUCCESSFUL", "url": "http://ci"}, "key"),
    ({"key": "K", "state": "SUCCESSFUL"}, "url"),
    ({"key": "", "state": "SUCCESSFUL", "url": "http://ci"}, "key"),
    ({"key": "K", "state": "GREEN", "url": "http://ci"}, "state"),
    ({"key": 5, "state": "SUCCESSFUL", "url": "http://ci"}, "key"),
    ({"key": "K", "state": "SUCCESSFUL", "url": "http://ci", "name": 5}, "name"),
    ({"key": "K\x00", "state": "SUCCESSFUL", "url": "http://ci"}, "key"),
    ({"key": "K", "state": "SUCCESSFUL", "url": "http://ci", "description": "\x00"}, "description"),
    ({"key": "K", "state": "SUCCESSFUL", "url": "http://ci", "lastUpdated": 2**64}, "lastUpdated"),
], ids=["no state", "no key", "no url", "blank key", "bad state", "numeric key", "numeric name", "NUL in key",
        "NUL in description", "lastUpdated past int64"])
def test_bad_body_is_400_naming_the_field(api, count, body, context):
    assert_error(api.post(COMMIT, json=body), 400, context=context)
    assert count() == 0


@pytest.mark.parametrize("content", [b"", b"{", b"[]", b"null"])
def test_missing_or_malformed_body_is_400(api, count, content):
    assert_error(api.post(COMMIT, content=content, auth=api.auth), 400)
    assert count() == 0


@pytest.mark.parametrize("sha", ["abc", "z" * 40, SHA[:39], SHA + "a"])
def test_bad_commit_id_is_400(api, count, sha):
    assert_error(api.post(f"{LEGACY}/{sha}", json=status("K")), 400, context="commitId")
    assert_error(api.get(f"{LEGACY}/{sha}"), 400, context="commitId")
    assert count() == 0


def test_body_accepted_with_text_plain_or_no_content_type(api):
    raw = b'{"key":"A","state":"SUCCESSFUL","url":"http://ci"}'
    assert api.post(COMMIT, content=raw, headers={"Content-Type": "text/plain"}, auth=api.auth).status_code == 204
    assert api.post(COMMIT, content=raw.replace(b'"A"', b'"B"'), auth=api.auth).status_code == 204
    assert sorted(keys(api)) == ["A", "B"]


# --- listing ---------------------------------------------------------------------------------------


def _post_states(api):
    for key, state, when in (("a", "SUCCESSFUL", 1000), ("b", "FAILED", 2000), ("c", "INPROGRESS", 3000),
                             ("d", "SUCCESSFUL", 4000), ("e", "FAILED", 5000)):
        assert api.post(COMMIT, json=status(key, state, lastUpdated=when)).status_code == 204


@pytest.mark.parametrize("order_by, expected", [
    (None, ["e", "d", "c", "b", "a"]),
    ("NEWEST", ["e", "d", "c", "b", "a"]),
    ("newest", ["e", "d", "c", "b", "a"]),
    ("OLDEST", ["a", "b", "c", "d", "e"]),
    ("Oldest", ["a", "b", "c", "d", "e"]),
    # STATUS groups by state, newest first within a state; the order of the states is cairn's choice
    # (what needs attention first: FAILED, INPROGRESS, CANCELLED, UNKNOWN, SUCCESSFUL).
    ("STATUS", ["e", "b", "c", "d", "a"]),
    ("status", ["e", "b", "c", "d", "a"]),
])
def test_order_by(api, order_by, expected):
    _post_states(api)
    params = {} if order_by is None else {"orderBy": order_by}
    assert keys(api, **params) == expected


@pytest.mark.parametrize("order_by", ["NEW", "date", "1"])
def test_invalid_order_by_is_400(api, order_by):
    assert_error(api.get(COMMIT, params={"orderBy": order_by}), 400, context="orderBy")


def test_status_order_ranks_all_states(api):
    for i, state in enumerate(["SUCCESSFUL", "UNKNOWN", "CANCELLED", "INPROGRESS", "FAILED"]):
        assert api.post(COMMIT, json=status(state, state, lastUpdated=1000 + i)).status_code == 204
    assert keys(api, orderBy="STATUS") == ["FAILED", "INPROGRESS", "CANCELLED", "UNKNOWN", "SUCCESSFUL"]


def test_listing_is_paged(api):
    _post_states(api)
    first = listing(api, limit=2)
    assert [s["key"] for s in first["values"]] == ["e", "d"]
    assert (first["size"], first["limit"], first["start"], first["isLastPage"], first["nextPageStart"]) == (
        2, 2, 0, False, 2)
    last = listing(api, start=4, limit=2)
    assert [s["key"] for s in last["values"]] == ["a"]
    assert last["isLastPage"] is True and "nextPageStart" not in last
    oldest = listing(api, start=1, limit=2, orderBy="OLDEST")
    assert [s["key"] for s in oldest["values"]] == ["b", "c"]


def test_empty_commit_is_an_empty_last_page(api):
    assert listing(api) == {"size": 0, "limit": 25, "start": 0, "isLastPage": True, "values": []}


def test_only_the_newest_100_are_reachable(api, seed):
    # 105 statuses: the three oldest and the two newest posted over HTTP, the 100 between seeded in bulk.
    for i in (0, 1, 2, 103, 104):
        assert api.post(COMMIT, json=status(f"K{i:03}", lastUpdated=10_000 + i)).status_code == 204
    seed(SHA, [(f"K{i:03}", "SUCCESSFUL", 10_000 + i) for i in range(3, 103)])
    seen, start, pages = [], 0, 0
    while True:
        body = listing(api, start=start, limit=30)
        seen += [s["key"] for s in body["values"]]
        pages += 1
        if body["isLastPage"]:
            assert "nextPageStart" not in body
            break
        start = body["nextPageStart"]
    assert pages == 4
    assert seen == [f"K{i:03}" for i in range(104, 4, -1)]
    everything = listing(api, limit=1000)
    assert (everything["size"], everything["isLastPage"]) == (100, True)
    beyond = listing(api, start=100)
    assert (beyond["values"], beyond["isLastPage"]) == ([], True)
    # OLDEST orders the same newest 100: the five oldest statuses are out of reach.
    oldest = listing(api, limit=3, orderBy="OLDEST")
    assert [s["key"] for s in oldest["values"]] == ["K005", "K006", "K007"]
    assert len(listing(api, limit=1000, orderBy="STATUS")["values"]) == 100
    # A re-post makes an unreachable status the newest again.
    assert api.post(COMMIT, json=status("K000", "FAILED", lastUpdated=20_000)).status_code == 204
    assert keys(api, limit=1) == ["K000"]
    assert "K005" not in keys(api, limit=1000)


def test_page_that_ends_at_the_cap_is_the_last(api, seed):
    seed(SHA, [(f"K{i:03}", "SUCCESSFUL", 10_000 + i) for i in range(101)])
    body = listing(api, start=75, limit=25)
    assert (body["size"], body["isLastPage"]) == (25, True)
    assert "nextPageStart" not in body
    body = listing(api, start=50, limit=25)
    assert (body["size"], body["isLastPage"], body["nextPageStart"]) == (25, False, 75)
    body = listing(api, start=90, limit=25)
    assert (body["size"], body["isLastPage"]) == (10, True)


# --- repository-scoped statuses in the legacy listing (decision D6) --------------------------------


@pytest.fixture
def two_repos(api):
    """PRJ/repo (private, granted to `reader`) and PRJ/secret (private), a status on SHA in each, one legacy."""
    api.project()
    api.repo()
    api.repo(name="secret")
    reader = api.user("reader")
    api.grant_repo("reader", "REPO_READ")
    nobody = api.user("nobody")
    assert api.post(builds_url(), json=status("in-repo", "SUCCESSFUL", lastUpdated=1000)).status_code == 204
    assert api.post(builds_url(repo="secret"), json=status("in-secret", "FAILED", lastUpdated=2000)
                    ).status_code == 204
    assert api.post(COMMIT, json=status("legacy", "INPROGRESS", lastUpdated=3000)).status_code == 204
    return api, reader, nobody


def test_listing_includes_repository_statuses_only_of_readable_repositories(two_repos):
    api, reader, nobody = two_repos
    assert keys(api) == ["legacy", "in-secret", "in-repo"]
    assert keys(api.as_user(reader)) == ["legacy", "in-repo"]
    assert keys(api.as_user(nobody)) == ["legacy"]


def test_repository_statuses_in_the_listing_name_their_repository(two_repos):
    api, reader, _ = two_repos
    by_key = {s["key"]: s for s in listing(api.as_user(reader))["values"]}
    assert (by_key["in-repo"]["projectKey"], by_key["in-repo"]["repositorySlug"]) == ("PRJ", "repo")
    assert by_key["in-repo"]["dateAdded"] == 1000
    assert "projectKey" not in by_key["legacy"]


def test_project_permission_and_public_repositories_make_statuses_visible(two_repos):
    api, _, nobody = two_repos
    api.user("lead")
    api.grant_project("lead", "PROJECT_READ")
    assert keys(api.as_user(("lead", "lead-password"))) == ["legacy", "in-secret", "in-repo"]
    r = api.put("/rest/api/latest/projects/PRJ/repos/secret", json={"public": True})
    assert r.status_code in (200, 201), r.text  # the repository update's own status is not under test here
    assert keys(api.as_user(nobody)) == ["legacy", "in-secret"]


def test_the_100_cap_counts_only_what_the_caller_may_see(api, seed):
    api.project()
    secret = api.repo(name="secret")
    nobody = api.user("nobody")
    seed(SHA, [(f"S{i}", "SUCCESSFUL", 5000 + i) for i in range(100)], repository_id=secret["id"])
    assert api.post(COMMIT, json=status("legacy", lastUpdated=1)).status_code == 204
    # The oldest status is the only one the caller may see: hidden ones do not push it out of the 100.
    assert keys(api.as_user(nobody)) == ["legacy"]
    assert "legacy" not in keys(api, limit=1000)
