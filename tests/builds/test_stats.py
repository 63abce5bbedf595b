"""Build statistics: GET /rest/build-status/{v}/commits/stats/{sha} and POST /commits/stats."""

from __future__ import annotations

import pytest
from sqlalchemy.dialects import sqlite

from cairn.builds import store
from tests.builds.conftest import LEGACY, builds_url, status
from tests.fixtures.api import SHA, SHA2, assert_error

STATS = f"{LEGACY}/stats"
ZERO = {"successful": 0, "failed": 0, "inProgress": 0, "cancelled": 0, "unknown": 0}


def stats(api, sha: str = SHA, **params) -> dict:
    r = api.get(f"{STATS}/{sha}", params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json;charset=UTF-8"
    return r.json()


def many(api, body) -> dict:
    r = api.post(STATS, json=body)
    assert r.status_code == 200, r.text
    return r.json()


def test_unknown_commit_has_all_five_counters_at_zero(api):
    assert stats(api) == ZERO
    assert stats(api, includeUnique="true") == ZERO


def test_counts_per_state_over_legacy_and_repository_statuses(repo):
    for key, state in (("a", "SUCCESSFUL"), ("b", "SUCCESSFUL"), ("c", "FAILED"), ("d", "INPROGRESS"),
                       ("e", "CANCELLED"), ("f", "UNKNOWN"), ("g", "UNKNOWN")):
        assert repo.post(builds_url(), json=status(key, state)).status_code == 204
    assert repo.post(f"{LEGACY}/{SHA}", json=status("legacy", "FAILED")).status_code == 204
    assert repo.post(f"{LEGACY}/{SHA2}", json=status("other-commit", "FAILED")).status_code == 204
    assert stats(repo) == {"successful": 2, "failed": 2, "inProgress": 1, "cancelled": 1, "unknown": 2}
    assert stats(repo, SHA.upper()) == stats(repo)


def test_a_replaced_status_counts_once_in_its_new_state(api):
    assert api.post(f"{LEGACY}/{SHA}", json=status("K", "INPROGRESS")).status_code == 204
    assert api.post(f"{LEGACY}/{SHA}", json=status("K", "SUCCESSFUL")).status_code == 204
    assert stats(api) == {**ZERO, "successful": 1}


def test_a_deleted_status_is_no_longer_counted(repo):
    assert repo.post(builds_url(), json=status("K", "FAILED")).status_code == 204
    assert repo.delete(builds_url(), params={"key": "K"}).status_code == 204
    assert stats(repo) == ZERO


def test_same_key_in_two_repositories_counts_twice(repo):
    repo.repo(name="fork")
    assert repo.post(builds_url(), json=status("K", "FAILED")).status_code == 204
    assert repo.post(builds_url(repo="fork"), json=status("K", "FAILED")).status_code == 204
    assert stats(repo) == {**ZERO, "failed": 2}


def test_include_unique_adds_the_only_status(api):
    assert api.post(f"{LEGACY}/{SHA}", json=status("K", "FAILED", name="Build", lastUpdated=1234)
                    ).status_code == 204
    body = stats(api, includeUnique="true")
    assert body == {**ZERO, "failed": 1, "results": [
        {"key": "K", "state": "FAILED", "url": "https://ci.example/K", "name": "Build", "createdDate": 1234,
         "updatedDate": 1234, "dateAdded": 1234}]}
    assert stats(api) == {**ZERO, "failed": 1}
    assert stats(api, includeUnique="false") == {**ZERO, "failed": 1}


def test_include_unique_shows_a_repository_status_with_its_repository(repo):
    assert repo.post(builds_url(), json=status("K", "SUCCESSFUL")).status_code == 204
    [only] = stats(repo, includeUnique="true")["results"]
    assert (only["key"], only["projectKey"], only["repositorySlug"]) == ("K", "PRJ", "repo")


def test_include_unique_is_absent_with_more_than_one_status(api):
    # Decision D3: only when the commit has exactly one status, whatever their states.
    assert api.post(f"{LEGACY}/{SHA}", json=status("A", "FAILED")).status_code == 204
    assert api.post(f"{LEGACY}/{SHA}", json=status("B", "SUCCESSFUL")).status_code == 204
    assert stats(api, includeUnique="true") == {**ZERO, "failed": 1, "successful": 1}
    assert api.post(f"{LEGACY}/{SHA}", json=status("A", "SUCCESSFUL")).status_code == 204
    assert stats(api, includeUnique="true") == {**ZERO, "successful": 2}


def test_include_unique_must_be_a_boolean(api):
    assert_error(api.get(f"{STATS}/{SHA}", params={"includeUnique": "perhaps"}), 400, context="includeUnique")


@pytest.fixture
def hidden(api):
    """A FAILED status in a private repository, a SUCCESSFUL legacy one, and a user who may read neither repo."""
    api.project()
    api.repo(name="secret")
    assert api.post(builds_url(repo="secret"), json=status("hidden", "FAILED")).status_code == 204
    assert api.post(f"{LEGACY}/{SHA}", json=status("legacy", "SUCCESSFUL")).status_code == 204
    return api, api.user("nobody")


def test_statuses_of_unreadable_repositories_are_not_counted(hidden):
    api, nobody = hidden
    assert stats(api) == {**ZERO, "successful": 1, "failed": 1}
    assert stats(api.as_user(nobody)) == {**ZERO, "successful": 1}
    # ...nor shown as the unique one.
    assert stats(api.as_user(nobody), includeUnique="true")["results"][0]["key"] == "legacy"
    assert many(api.as_user(nobody), [SHA]) == {SHA: {**ZERO, "successful": 1}}
    api.grant_repo("nobody", "REPO_READ", slug="secret")
    api.client.app.state.authenticator.forget()
    assert stats(api.as_user(nobody)) == {**ZERO, "successful": 1, "failed": 1}


def test_commit_with_only_hidden_statuses_is_left_out_of_the_map(api):
    api.project()
    api.repo(name="secret")
    nobody = api.user("nobody")
    assert api.post(builds_url(repo="secret"), json=status("hidden", "FAILED")).status_code == 204
    assert many(api.as_user(nobody), [SHA]) == {}
    assert stats(api.as_user(nobody)) == ZERO


# --- many commits ----------------------------------------------------------------------------------


def test_many_commits_map_omits_commits_without_statuses(api):
    assert api.post(f"{LEGACY}/{SHA}", json=status("A", "SUCCESSFUL")).status_code == 204
    assert api.post(f"{LEGACY}/{SHA}", json=status("B", "INPROGRESS")).status_code == 204
    assert api.post(f"{LEGACY}/{SHA2}", json=status("A", "CANCELLED")).status_code == 204
    empty = "e00cf62997a027bbf785614a93e2e55bb331d268"
    assert many(api, [SHA, SHA2, empty]) == {
        SHA: {**ZERO, "successful": 1, "inProgress": 1},
        SHA2: {**ZERO, "cancelled": 1},
    }
    assert many(api, [empty]) == {}
    assert many(api, []) == {}


def test_many_commits_tolerates_duplicates_and_upper_case(api):
    assert api.post(f"{LEGACY}/{SHA}", json=status("A", "FAILED")).status_code == 204
    # cairn's choice: the map is keyed by the commit id as stored (lower case).
    assert many(api, [SHA, SHA.upper(), SHA]) == {SHA: {**ZERO, "failed": 1}}


def test_many_commits_answers_under_both_versions(api):
    assert api.post(f"{LEGACY}/{SHA}", json=status("A", "FAILED")).status_code == 204
    for version in ("1.0", "latest"):
        r = api.post(f"/rest/build-status/{version}/commits/stats", json=[SHA])
        assert r.json() == {SHA: {**ZERO, "failed": 1}}
        assert api.get(f"/rest/build-status/{version}/commits/stats/{SHA}").json() == {**ZERO, "failed": 1}


@pytest.mark.parametrize("body, context", [
    ([SHA, "abc"], "[1]"),
    (["z" * 40], "[0]"),
    ([SHA, 42], "[1]"),
    ([None], "[0]"),
    ([[SHA]], "[0]"),
])
def test_a_bad_commit_id_in_the_array_is_400(api, body, context):
    error = assert_error(api.post(STATS, json=body), 400, context=context)
    assert "commit" in error["message"]


@pytest.mark.parametrize("content", [b'{"commits": ["%s"]}' % SHA.encode(), b'"%s"' % SHA.encode(), b"42",
                                     b"null", b"", b"[", b"true"])
def test_a_body_that_is_not_an_array_is_400(api, content):
    assert_error(api.post(STATS, content=content, headers={"Content-Type": "application/json"}, auth=api.auth),
                 400)


def test_too_many_commits_at_once_is_400(api):
    # cairn's guard: one request asks for at most 1000 commits.
    assert_error(api.post(STATS, json=[SHA] * 1001), 400)
    assert many(api, [SHA] * 1000) == {}


def test_stats_reject_a_bad_commit_id(api):
    assert_error(api.get(f"{STATS}/abc"), 400, context="commitId")
    assert_error(api.get(f"{STATS}/{'x' * 40}"), 400, context="commitId")


@pytest.mark.parametrize("caller", [store._USER_KIND, store.ANONYMOUS])
def test_a_commits_statuses_are_checked_for_access_without_reading_every_repository(backend, db, caller):
    """SQLite's plan: the caller's access is looked up per repository of the commit's statuses (its repository by
    key, grants by index). With lists of every public and granted repository, a REPO_READ user's stats GET read all
    repositories each time (378 us with 3000 of them, against 19 us now)."""
    if backend.backend != "sqlite":
        pytest.skip("SQLite's plan is read here; PostgreSQL's depends on its statistics")
    compiled = store._count_one_commit(store._kind(caller)).compile(dialect=sqlite.dialect())
    plan = [row[3] for row in db("EXPLAIN QUERY PLAN " + str(compiled).replace("?", "1"))]
    assert not [step for step in plan if step.startswith("SCAN") and step != "SCAN theirs"], plan  # (its repositories)


def test_the_lanes_count_and_access_check_read_no_table_whole(backend, db):
    """SQLite's plans of the lane's stats GET for a signed-in caller (cairn.builds.service._count_readable): the
    commit's statuses by index, then one repository's grants by index."""
    if backend.backend != "sqlite":
        pytest.skip("SQLite's plan is read here; PostgreSQL's depends on its statistics")
    for statement in (store._COUNT_PER_REPOSITORY, store._MAY_READ):
        compiled = statement.compile(dialect=sqlite.dialect())
        plan = [row[3] for row in db("EXPLAIN QUERY PLAN " + str(compiled).replace("?", "1"))]
        assert not [step for step in plan if step.startswith("SCAN") and step != "SCAN CONSTANT ROW"], plan
