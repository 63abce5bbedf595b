"""Repository-scoped build statuses: POST/GET/DELETE /rest/api/{1.0,latest}/projects/../commits/{sha}/builds."""

from __future__ import annotations

import time

import pytest

from tests.builds.conftest import BUILDS, LEGACY, builds_url, status
from tests.fixtures.api import SHA, SHA2, assert_error

FULL = {"key": "TEST-REP3", "state": "CANCELLED", "url": "https://bamboo.example.com/browse/TEST-REP3",
        "name": "Database Matrix Tests", "description": "A description of the build goes here",
        "buildNumber": "3", "parent": "TEST-REP", "ref": "refs/heads/master", "duration": 2154,
        "testResults": {"successful": 134, "failed": 1, "skipped": 5}}


def get_key(api, key: str, url: str = BUILDS):
    r = api.get(url, params={"key": key})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json;charset=UTF-8"
    return r.json()


def listed(api, url: str = BUILDS, **params) -> list[dict]:
    r = api.get(url, params=params)
    assert r.status_code == 200, r.text
    return r.json()["values"]


# --- storing ---------------------------------------------------------------------------------------


def test_every_field_is_stored_and_returned(repo):
    r = repo.post(BUILDS, json={**FULL, "lastUpdated": 1587533699278})
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert get_key(repo, "TEST-REP3") == {**FULL, "createdDate": 1587533699278, "updatedDate": 1587533699278,
                                          "projectKey": "PRJ", "repositorySlug": "repo"}


def test_minimal_status_omits_absent_fields(repo):
    before = int(time.time() * 1000)
    assert repo.post(BUILDS, json=status("K")).status_code == 204
    body = get_key(repo, "K")
    created = body.pop("createdDate")
    assert before <= created <= int(time.time() * 1000) + 1
    assert body == {"key": "K", "state": "SUCCESSFUL", "url": "https://ci.example/K", "updatedDate": created,
                    "projectKey": "PRJ", "repositorySlug": "repo"}


@pytest.mark.parametrize("state", ["SUCCESSFUL", "FAILED", "INPROGRESS", "CANCELLED", "UNKNOWN"])
def test_each_state_is_stored(repo, state):
    assert repo.post(BUILDS, json=status("K", state)).status_code == 204
    assert get_key(repo, "K")["state"] == state


@pytest.mark.parametrize("sent, stored", [("7", "7"), (7, "7"), (0, "0"), ("build-42", "build-42")])
def test_build_number_as_string_or_integer_comes_back_as_string(repo, sent, stored):
    assert repo.post(BUILDS, json=status("K", buildNumber=sent)).status_code == 204
    assert get_key(repo, "K")["buildNumber"] == stored


@pytest.mark.parametrize("member", ["lastUpdated", "dateAdded"])
def test_last_updated_under_either_name_dates_the_status(repo, member):
    assert repo.post(BUILDS, json=status("K", **{member: 1359075920000})).status_code == 204
    body = get_key(repo, "K")
    assert body["createdDate"] == body["updatedDate"] == 1359075920000


def test_partial_test_results_count_missing_members_as_zero(repo):
    # cairn's choice: the OpenAPI object has no required members, so an omitted counter is 0.
    assert repo.post(BUILDS, json=status("K", testResults={"failed": 2})).status_code == 204
    assert get_key(repo, "K")["testResults"] == {"successful": 0, "failed": 2, "skipped": 0}


def test_largest_numbers_are_kept(repo):
    body = status("K", duration=2**63 - 1, lastUpdated=2**63 - 1,
                  testResults={"successful": 2**31 - 1, "failed": 0, "skipped": 2**31 - 1})
    assert repo.post(BUILDS, json=body).status_code == 204
    got = get_key(repo, "K")
    assert (got["duration"], got["updatedDate"], got["testResults"]["skipped"]) == (2**63 - 1, 2**63 - 1, 2**31 - 1)


def test_numeric_strings_are_read_as_numbers(repo):
    # Jackson (Bitbucket's JSON reader) coerces "2154" to a long; cairn does the same.
    assert repo.post(BUILDS, json=status("K", duration="2154", lastUpdated="1000")).status_code == 204
    got = get_key(repo, "K")
    assert (got["duration"], got["createdDate"]) == (2154, 1000)


def test_zero_duration_is_kept(repo):
    assert repo.post(BUILDS, json=status("K", duration=0)).status_code == 204
    assert get_key(repo, "K")["duration"] == 0


def test_upper_case_commit_is_accepted_and_stored_lower_case(repo, db):
    assert repo.post(builds_url(SHA.upper()), json=status("K")).status_code == 204
    assert get_key(repo, "K", builds_url(SHA))["key"] == "K"
    assert get_key(repo, "K", builds_url(SHA.upper()))["key"] == "K"
    assert db("SELECT commit_id FROM build_statuses") == [(SHA,)]


def test_project_key_and_slug_in_any_case_name_the_same_repository(repo):
    assert repo.post(builds_url(project="prj", repo="REPO"), json=status("K")).status_code == 204
    body = get_key(repo, "K")
    assert (body["projectKey"], body["repositorySlug"]) == ("PRJ", "repo")


def test_repost_replaces_the_status_keeps_created_and_moves_updated(repo, count):
    first = status("K", "INPROGRESS", name="Unit", description="started", parent="P", ref="refs/heads/a",
                   buildNumber="1", duration=5, testResults={"successful": 1}, lastUpdated=1000)
    assert repo.post(BUILDS, json=first).status_code == 204
    second = {"key": "K", "state": "FAILED", "url": "https://ci.example/K/2", "name": "Unit tests",
              "lastUpdated": 2000}
    assert repo.post(BUILDS, json=second).status_code == 204
    # The status is replaced whole: members the second post leaves out are gone.
    assert get_key(repo, "K") == {"key": "K", "state": "FAILED", "url": "https://ci.example/K/2",
                                  "name": "Unit tests", "createdDate": 1000, "updatedDate": 2000,
                                  "projectKey": "PRJ", "repositorySlug": "repo"}
    assert count() == 1


def test_repost_without_date_moves_updated_to_now(repo):
    assert repo.post(BUILDS, json=status("K", "INPROGRESS", lastUpdated=1000)).status_code == 204
    before = int(time.time() * 1000)
    assert repo.post(BUILDS, json=status("K", "SUCCESSFUL")).status_code == 204
    body = get_key(repo, "K")
    assert body["createdDate"] == 1000
    assert body["updatedDate"] >= before
    assert body["state"] == "SUCCESSFUL"


def test_different_keys_accumulate(repo):
    for key, state in (("A", "SUCCESSFUL"), ("B", "FAILED"), ("C", "INPROGRESS")):
        assert repo.post(BUILDS, json=status(key, state)).status_code == 204
    assert {s["key"]: s["state"] for s in listed(repo)} == {"A": "SUCCESSFUL", "B": "FAILED", "C": "INPROGRESS"}


def test_same_key_on_other_commits_and_repositories_is_separate(repo):
    repo.repo(name="other")
    assert repo.post(BUILDS, json=status("K", "SUCCESSFUL")).status_code == 204
    assert repo.post(builds_url(SHA2), json=status("K", "FAILED")).status_code == 204
    assert repo.post(builds_url(repo="other"), json=status("K", "INPROGRESS")).status_code == 204
    assert get_key(repo, "K")["state"] == "SUCCESSFUL"
    assert get_key(repo, "K", builds_url(SHA2))["state"] == "FAILED"
    assert get_key(repo, "K", builds_url(repo="other"))["state"] == "INPROGRESS"


def test_unknown_members_are_ignored(repo):
    body = {**status("K"), "foo": 1, "links": {"self": []}, "createdDate": 5, "projectKey": "X",
            "testResults": {"successful": 1, "failed": 0, "skipped": 0, "errored": 3}}
    assert repo.post(BUILDS, json=body).status_code == 204
    got = get_key(repo, "K")
    assert "foo" not in got and "links" not in got
    assert got["projectKey"] == "PRJ"
    assert got["testResults"] == {"successful": 1, "failed": 0, "skipped": 0}


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded",
                                          "application/json; charset=utf-8", "*/*"])
def test_json_body_accepted_whatever_the_content_type(repo, content_type):
    headers = {} if content_type is None else {"Content-Type": content_type}
    r = repo.post(BUILDS, content=b'{"key":"K","state":"FAILED","url":"http://ci/1"}', headers=headers,
                  auth=repo.auth)
    assert r.status_code == 204, r.text
    assert get_key(repo, "K")["state"] == "FAILED"


def test_both_api_versions_answer(repo):
    assert repo.post(builds_url(version="1.0"), json=status("A")).status_code == 204
    assert repo.post(builds_url(version="latest"), json=status("B")).status_code == 204
    assert get_key(repo, "B", builds_url(version="1.0"))["key"] == "B"
    assert get_key(repo, "A", builds_url(version="latest"))["key"] == "A"
    assert repo.delete(builds_url(version="1.0"), params={"key": "B"}).status_code == 204
    assert [s["key"] for s in listed(repo, builds_url(version="latest"))] == ["A"]


# --- limits ----------------------------------------------------------------------------------------

LIMITS = [("key", 255, ""), ("url", 450, "https://"), ("name", 255, ""), ("buildNumber", 255, ""),
          ("parent", 1024, ""), ("ref", 1024, "refs/heads/")]


def _long(prefix: str, length: int) -> str:
    return prefix + "x" * (length - len(prefix))


@pytest.mark.parametrize("field, limit, prefix", LIMITS)
def test_each_field_at_its_limit_is_stored_whole(repo, field, limit, prefix):
    value = _long(prefix, limit)
    body = {**status("K"), field: value}
    assert repo.post(BUILDS, json=body).status_code == 204
    got = listed(repo)
    assert len(got) == 1 and got[0][field] == value


@pytest.mark.parametrize("field, limit, prefix", LIMITS)
def test_each_field_over_its_limit_is_rejected_and_nothing_stored(repo, count, field, limit, prefix):
    body = {**status("K"), field: _long(prefix, limit + 1)}
    assert_error(repo.post(BUILDS, json=body), 400, context=field)
    assert count() == 0
    assert listed(repo) == []


def test_over_limit_repost_keeps_the_previous_status(repo):
    assert repo.post(BUILDS, json=status("K", "SUCCESSFUL", name="good")).status_code == 204
    assert_error(repo.post(BUILDS, json=status("K", "FAILED", name="n" * 256)), 400, context="name")
    got = get_key(repo, "K")
    assert (got["state"], got["name"]) == ("SUCCESSFUL", "good")


def test_long_description_is_accepted(repo):
    # The OpenAPI file gives description no limit; cairn keeps at least a few thousand characters.
    assert repo.post(BUILDS, json=status("K", description="d" * 2000)).status_code == 204
    assert get_key(repo, "K")["description"] == "d" * 2000


def test_non_ascii_text_counts_characters_not_bytes(repo):
    name = "é" * 255  # 510 bytes in UTF-8, 255 characters
    assert repo.post(BUILDS, json=status("K", name=name)).status_code == 204
    assert get_key(repo, "K")["name"] == name


# --- bad input -------------------------------------------------------------------------------------

BAD_BODIES = [
    ("key as number", {"key": 123, "state": "SUCCESSFUL", "url": "http://ci/1"}, "key"),
    ("state as number", {"key": "K", "state": 1, "url": "http://ci/1"}, "state"),
    ("url as object", {"key": "K", "state": "SUCCESSFUL", "url": {"href": "http://ci"}}, "url"),
    ("duration as text", status(duration="abc"), "duration"),
    ("negative duration", status(duration=-1), "duration"),
    ("testResults as text", status(testResults="all good"), "testResults"),
    ("testResults member as text", status(testResults={"successful": "many"}), "testResults.successful"),
    ("buildNumber as boolean", status(buildNumber=True), "buildNumber"),
    ("buildNumber as list", status(buildNumber=[1]), "buildNumber"),
    ("name as number", status(name=5), "name"),
    ("lastUpdated as text", status(lastUpdated="yesterday"), "lastUpdated"),
    ("missing key", {"state": "SUCCESSFUL", "url": "http://ci/1"}, "key"),
    ("missing state", {"key": "K", "url": "http://ci/1"}, "state"),
    ("missing url", {"key": "K", "state": "SUCCESSFUL"}, "url"),
    ("null key", {"key": None, "state": "SUCCESSFUL", "url": "http://ci/1"}, "key"),
    ("empty key", status(key=""), "key"),
    ("blank key", status(key="   "), "key"),
    ("empty url", {"key": "K", "state": "SUCCESSFUL", "url": ""}, "url"),
    ("unknown state", status(state="PASSED"), "state"),
    ("lower-case state", status(state="successful"), "state"),  # Bitbucket's enums are case-sensitive
    ("ref not under refs/", status(ref="heads/main"), "ref"),
    ("short ref name", status(ref="main"), "ref"),
    ("duration as boolean", status(duration=True), "duration"),
    ("fractional duration", status(duration=1.5), "duration"),
    # Past the wire types (int64 times, int32 counters) is a 400, not a database error.
    ("duration past int64", status(duration=2**63), "duration"),
    ("lastUpdated past int64", status(lastUpdated=2**63), "lastUpdated"),
    ("negative lastUpdated", status(lastUpdated=-1), "lastUpdated"),
    ("test count past int32", status(testResults={"successful": 2**31}), "testResults.successful"),
    ("negative test count", status(testResults={"failed": -1}), "testResults.failed"),
    # PostgreSQL cannot store U+0000: refused on both databases.
    ("NUL in key", status(key="a\x00b"), "key"),
    ("NUL in name", status(name="x\x00"), "name"),
    ("NUL in buildNumber", status(buildNumber="7\x00"), "buildNumber"),
]


@pytest.mark.parametrize("body, context", [b[1:] for b in BAD_BODIES], ids=[b[0] for b in BAD_BODIES])
def test_bad_field_is_400_naming_it_and_nothing_stored(repo, count, body, context):
    error = assert_error(repo.post(BUILDS, json=body), 400, context=context)
    assert context in error["message"] or error["context"] == context
    assert count() == 0


def test_several_bad_fields_are_each_named(repo):
    r = repo.post(BUILDS, json={"key": "", "state": "NOPE", "url": "u" * 451})
    assert_error(r, 400)
    assert {e["context"] for e in r.json()["errors"]} == {"key", "state", "url"}


@pytest.mark.parametrize("sha", ["abc123", "0123456789abcdef", "g" * 40, SHA + "0", SHA[:-1],
                                 "0123456789abcdef0123456789abcdef0123456z", "{commitId}",
                                 # SHA-256 ids are not supported: cairn takes SHA-1 commits only (decision D2).
                                 "0" * 64])
def test_bad_commit_id_is_400_on_every_method(repo, count, sha):
    assert_error(repo.post(builds_url(sha), json=status("K")), 400, context="commitId")
    assert_error(repo.get(builds_url(sha), params={"key": "K"}), 400, context="commitId")
    assert_error(repo.get(builds_url(sha)), 400, context="commitId")
    assert_error(repo.delete(builds_url(sha), params={"key": "K"}), 400, context="commitId")
    assert count() == 0


@pytest.mark.parametrize("content", [b'{"key": "K", "state": ', b"{key: 'K'}", b"not json", b'{"key":"K"}}',
                                     b"\xff\xfe"])
def test_malformed_json_is_400(repo, count, content):
    r = repo.post(BUILDS, content=content, headers={"Content-Type": "application/json"}, auth=repo.auth)
    assert_error(r, 400)
    assert count() == 0


@pytest.mark.parametrize("content", [b"", b"null", b"[]", b'"K"', b"42", b"true", b"[{}]"])
def test_empty_or_non_object_body_is_400(repo, count, content):
    r = repo.post(BUILDS, content=content, headers={"Content-Type": "application/json"}, auth=repo.auth)
    assert_error(r, 400)
    assert count() == 0


def test_validation_is_never_422(repo):
    for body in ({}, {"key": 1}, {"state": []}):
        assert repo.post(BUILDS, json=body).status_code == 400


# --- reading ---------------------------------------------------------------------------------------


def test_get_unknown_key_is_404_error_body(repo):
    assert repo.post(BUILDS, json=status("K")).status_code == 204
    assert_error(repo.get(BUILDS, params={"key": "nope"}), 404)


@pytest.mark.parametrize("key", ["", "  ", "a\x00"])
def test_get_or_delete_with_a_blank_or_unstorable_key_is_400(repo, count, key):
    assert repo.post(BUILDS, json=status("K")).status_code == 204
    context = None if "\x00" in key else "key"  # a NUL anywhere in the URL is refused before routing
    assert_error(repo.get(BUILDS, params={"key": key}), 400, context=context)
    assert_error(repo.delete(BUILDS, params={"key": key}), 400, context=context)
    assert count() == 1


def test_key_lookup_is_exact(repo):
    assert repo.post(BUILDS, json=status("Key")).status_code == 204
    assert_error(repo.get(BUILDS, params={"key": "key"}), 404)
    assert_error(repo.get(BUILDS, params={"key": "Ke"}), 404)


def test_keys_with_url_special_characters_round_trip(repo):
    key = "plan/job #1 & ünïcode?=x"
    assert repo.post(BUILDS, json=status(key)).status_code == 204
    assert get_key(repo, key)["key"] == key
    assert repo.delete(BUILDS, params={"key": key}).status_code == 204
    assert listed(repo) == []


def test_get_without_key_is_a_page_newest_first(repo):
    for key, when in (("old", 1000), ("newest", 3000), ("middle", 2000)):
        assert repo.post(BUILDS, json=status(key, lastUpdated=when)).status_code == 204
    r = repo.get(BUILDS)
    assert r.status_code == 200
    page = r.json()
    assert [s["key"] for s in page["values"]] == ["newest", "middle", "old"]
    assert (page["size"], page["start"], page["limit"], page["isLastPage"]) == (3, 0, 25, True)
    assert "nextPageStart" not in page
    assert page["values"][0] == {"key": "newest", "state": "SUCCESSFUL", "url": "https://ci.example/newest",
                                 "createdDate": 3000, "updatedDate": 3000, "projectKey": "PRJ",
                                 "repositorySlug": "repo"}


def test_get_without_key_pages_with_start_and_limit(repo):
    for i in range(5):
        assert repo.post(BUILDS, json=status(f"K{i}", lastUpdated=1000 + i)).status_code == 204
    first = repo.get(BUILDS, params={"limit": 2}).json()
    assert [s["key"] for s in first["values"]] == ["K4", "K3"]
    assert (first["size"], first["isLastPage"], first["nextPageStart"]) == (2, False, 2)
    second = repo.get(BUILDS, params={"start": 2, "limit": 2}).json()
    assert [s["key"] for s in second["values"]] == ["K2", "K1"]
    assert second["nextPageStart"] == 4
    last = repo.get(BUILDS, params={"start": 4, "limit": 2}).json()
    assert [s["key"] for s in last["values"]] == ["K0"]
    assert last["isLastPage"] is True and "nextPageStart" not in last
    beyond = repo.get(BUILDS, params={"start": 10}).json()
    assert (beyond["values"], beyond["size"], beyond["isLastPage"]) == ([], 0, True)
    assert_error(repo.get(BUILDS, params={"limit": "x"}), 400, context="limit")
    assert_error(repo.get(BUILDS, params={"start": -1}), 400, context="start")


def test_reposting_moves_a_status_to_the_top_of_the_page(repo):
    assert repo.post(BUILDS, json=status("A", lastUpdated=1000)).status_code == 204
    assert repo.post(BUILDS, json=status("B", lastUpdated=2000)).status_code == 204
    assert repo.post(BUILDS, json=status("A", "FAILED", lastUpdated=3000)).status_code == 204
    assert [s["key"] for s in listed(repo)] == ["A", "B"]


def test_page_lists_only_this_repository_and_commit(repo):
    repo.repo(name="other")
    assert repo.post(BUILDS, json=status("mine")).status_code == 204
    assert repo.post(builds_url(SHA2), json=status("other-commit")).status_code == 204
    assert repo.post(builds_url(repo="other"), json=status("other-repo")).status_code == 204
    assert [s["key"] for s in listed(repo)] == ["mine"]
    assert listed(repo, builds_url("f" * 40)) == []


def test_get_on_missing_repository_or_project_is_404(repo):
    assert_error(repo.get(builds_url(repo="nope")), 404,
                 "com.atlassian.bitbucket.repository.NoSuchRepositoryException", contains="PRJ/nope")
    assert_error(repo.post(builds_url(repo="nope"), json=status()), 404,
                 "com.atlassian.bitbucket.repository.NoSuchRepositoryException")
    assert_error(repo.delete(builds_url(repo="nope"), params={"key": "K"}), 404,
                 "com.atlassian.bitbucket.repository.NoSuchRepositoryException")
    assert_error(repo.get(builds_url(project="NOPE")), 404, "com.atlassian.bitbucket.project.NoSuchProjectException")


def test_get_and_delete_tolerate_a_json_content_type_without_body(repo):
    assert repo.post(BUILDS, json=status("K")).status_code == 204
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    assert repo.get(BUILDS, params={"key": "K"}, headers=headers, auth=repo.auth).status_code == 200
    assert repo.delete(BUILDS, params={"key": "K"}, headers=headers, auth=repo.auth).status_code == 204


# --- deleting --------------------------------------------------------------------------------------


def test_delete_removes_only_that_status(repo):
    repo.repo(name="other")
    for url in (BUILDS, builds_url(SHA2), builds_url(repo="other")):
        assert repo.post(url, json=status("K")).status_code == 204
    assert repo.post(BUILDS, json=status("L")).status_code == 204
    r = repo.delete(BUILDS, params={"key": "K"})
    assert r.status_code == 204 and r.content == b""
    assert_error(repo.get(BUILDS, params={"key": "K"}), 404)
    assert [s["key"] for s in listed(repo)] == ["L"]
    assert get_key(repo, "K", builds_url(SHA2))["key"] == "K"
    assert get_key(repo, "K", builds_url(repo="other"))["key"] == "K"


def test_delete_with_upper_case_commit(repo):
    assert repo.post(BUILDS, json=status("K")).status_code == 204
    assert repo.delete(builds_url(SHA.upper()), params={"key": "K"}).status_code == 204
    assert listed(repo) == []


def test_delete_unknown_key_is_204(repo, count):
    assert repo.post(BUILDS, json=status("K")).status_code == 204
    assert repo.delete(BUILDS, params={"key": "nope"}).status_code == 204
    assert count() == 1


@pytest.mark.parametrize("params", [{}, {"key": ""}])
def test_delete_without_key_is_400_and_deletes_nothing(repo, count, params):
    assert repo.post(BUILDS, json=status("K")).status_code == 204
    assert_error(repo.delete(BUILDS, params=params), 400, context="key")
    assert count() == 1


def test_delete_does_not_remove_a_legacy_status_with_the_same_key(repo):
    assert repo.post(f"{LEGACY}/{SHA}", json=status("K", "FAILED")).status_code == 204
    assert repo.post(BUILDS, json=status("K", "SUCCESSFUL")).status_code == 204
    assert repo.delete(BUILDS, params={"key": "K"}).status_code == 204
    legacy = repo.get(f"{LEGACY}/{SHA}").json()["values"]
    assert [(s["key"], s["state"]) for s in legacy] == [("K", "FAILED")]
    assert "projectKey" not in legacy[0]


def test_deleting_the_repository_deletes_its_statuses(repo, count):
    assert repo.post(BUILDS, json=status("K")).status_code == 204
    assert repo.post(f"{LEGACY}/{SHA}", json=status("L")).status_code == 204
    assert repo.delete("/rest/api/latest/projects/PRJ/repos/repo").status_code in (202, 204)
    assert count() == 1  # the legacy status belongs to no repository and stays
