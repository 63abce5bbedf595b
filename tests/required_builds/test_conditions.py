"""Required-builds conditions through the API (spec/api-notes.md §4): CRUD, filled-in fields, every 400."""

from __future__ import annotations

import json

import pytest

from tests.fixtures.api import assert_error
from tests.required_builds.conftest import (
    CONDITION,
    CONDITIONS,
    NO_ENTITY,
    condition_body,
    create,
    matcher,
    rb_url,
)

JSON_UTF8 = "application/json;charset=UTF-8"


def conditions(api, url: str = CONDITIONS, **params) -> list[dict]:
    r = api.get(url, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == JSON_UTF8
    return r.json()["values"]


# --- create: what Bitbucket fills in ---------------------------------------------------------------

# (refMatcher as given) -> (id, displayId, type.name) as answered
FILLED = {
    "branch short": (("BRANCH", "main"), ("refs/heads/main", "main", "Branch")),
    "branch full": (("BRANCH", "refs/heads/main"), ("refs/heads/main", "main", "Branch")),
    "branch nested": (("BRANCH", "release/1.0"), ("refs/heads/release/1.0", "release/1.0", "Branch")),
    "any ref": (("ANY_REF", "ANY_REF_MATCHER_ID"), ("ANY_REF_MATCHER_ID", "ANY_REF_MATCHER_ID", "Any branch")),
    "any ref without id": (("ANY_REF",), ("ANY_REF_MATCHER_ID", "ANY_REF_MATCHER_ID", "Any branch")),
    "pattern": (("PATTERN", "release/*"), ("release/*", "release/*", "Pattern")),
    "category": (("MODEL_CATEGORY", "FEATURE"), ("FEATURE", "Feature", "Branching model category")),
    "category hotfix": (("MODEL_CATEGORY", "HOTFIX"), ("HOTFIX", "Hotfix", "Branching model category")),
    "model development": (("MODEL_BRANCH", "development"), ("development", "Development", "Branching model branch")),
    "model production": (("MODEL_BRANCH", "production"), ("production", "Production", "Branching model branch")),
}


@pytest.mark.parametrize("name", list(FILLED))
def test_create_fills_display_id_and_type_name(repo, count, name):
    given, (mid, display, type_name) = FILLED[name]
    r = repo.post(CONDITION, json={"buildParentKeys": ["ci"], "refMatcher": matcher(*given)})
    assert r.status_code == 200, r.text  # 200, not 201, as Bitbucket answers
    assert r.headers["content-type"] == JSON_UTF8
    body = r.json()
    assert isinstance(body["id"], int)
    assert body["refMatcher"]["id"] == mid
    assert body["refMatcher"]["displayId"] == display
    assert body["refMatcher"]["type"] == {"id": given[0], "name": type_name}
    assert body.get("exemptRefMatcher") is None
    assert count() == 1
    assert conditions(repo) == [body]  # stored as answered


def test_create_answers_the_full_condition(repo):
    body = create(repo, keys=["ci", "lint"], ref=("BRANCH", "main"), exempt=("MODEL_CATEGORY", "HOTFIX"))
    assert body == {
        "id": body["id"],
        "buildParentKeys": ["ci", "lint"],
        "refMatcher": {"id": "refs/heads/main", "displayId": "main", "type": {"id": "BRANCH", "name": "Branch"},
                       "active": True},
        "exemptRefMatcher": {"id": "HOTFIX", "displayId": "Hotfix",
                             "type": {"id": "MODEL_CATEGORY", "name": "Branching model category"}, "active": True},
        "requiredForPullRequest": True,
        "requiredForMergeQueue": True,
    }


def test_filled_in_fields_given_by_the_client_are_ignored(repo):
    r = repo.post(CONDITION, json={"buildParentKeys": ["ci"], "refMatcher": {
        "id": "main", "displayId": "something else", "type": {"id": "BRANCH", "name": "Pattern"}}})
    assert r.status_code == 200, r.text
    assert r.json()["refMatcher"]["displayId"] == "main"
    assert r.json()["refMatcher"]["type"] == {"id": "BRANCH", "name": "Branch"}


def test_key_of_255_characters_is_accepted(repo):
    assert create(repo, keys=["k" * 255])["buildParentKeys"] == ["k" * 255]


def test_keys_keep_their_order_and_100_are_accepted(repo):
    keys = [f"key-{i:03d}" for i in range(100)][::-1]
    body = create(repo, keys=keys)
    assert body["buildParentKeys"] == keys
    assert conditions(repo)[0]["buildParentKeys"] == keys


@pytest.mark.parametrize("version", ["1.0", "latest"])
def test_both_versions(repo, version):
    body = create(repo, url=rb_url(version) + "/condition")
    assert [c["id"] for c in conditions(repo, rb_url(version) + "/conditions")] == [body["id"]]


# --- the 10.x booleans -----------------------------------------------------------------------------

@pytest.mark.parametrize("pull_request, merge_queue", [(True, True), (False, True), (True, False), (False, False)])
def test_booleans_round_trip(repo, pull_request, merge_queue):
    body = create(repo, requiredForPullRequest=pull_request, requiredForMergeQueue=merge_queue)
    assert (body["requiredForPullRequest"], body["requiredForMergeQueue"]) == (pull_request, merge_queue)
    [stored] = conditions(repo)
    assert (stored["requiredForPullRequest"], stored["requiredForMergeQueue"]) == (pull_request, merge_queue)


def test_booleans_default_true_also_on_update(repo):
    created = create(repo, requiredForPullRequest=False, requiredForMergeQueue=False)
    r = repo.put(f"{CONDITION}/{created['id']}", json=condition_body())
    assert r.status_code == 200, r.text
    assert (r.json()["requiredForPullRequest"], r.json()["requiredForMergeQueue"]) == (True, True)


# --- listing ---------------------------------------------------------------------------------------

def test_empty_list_is_a_page(repo):
    r = repo.get(CONDITIONS)
    assert r.status_code == 200, r.text
    assert r.json() == {"size": 0, "limit": 25, "isLastPage": True, "start": 0, "values": []}


def test_list_is_paged_in_creation_order(repo):
    ids = [create(repo, keys=[f"k{i}"])["id"] for i in range(5)]
    r = repo.get(CONDITIONS, params={"limit": 2})
    page = r.json()
    assert [c["id"] for c in page["values"]] == ids[:2]
    assert (page["size"], page["limit"], page["isLastPage"], page["start"], page["nextPageStart"]) == \
        (2, 2, False, 0, 2)
    page = repo.get(CONDITIONS, params={"start": 4, "limit": 2}).json()
    assert [c["id"] for c in page["values"]] == ids[4:]
    assert page["isLastPage"] is True and "nextPageStart" not in page
    assert [c["buildParentKeys"] for c in conditions(repo)] == [[f"k{i}"] for i in range(5)]


def test_conditions_belong_to_their_repository(repo, count):
    repo.repo(name="other")
    mine = create(repo)
    other = create(repo, url=rb_url(repo="other") + "/condition", keys=["other-ci"])
    assert [c["id"] for c in conditions(repo)] == [mine["id"]]
    assert [c["id"] for c in conditions(repo, rb_url(repo="other") + "/conditions")] == [other["id"]]
    # Another repository's condition is unknown here: PUT 404, DELETE 204 and it survives.
    assert_error(repo.put(f"{CONDITION}/{other['id']}", json=condition_body()), 404, NO_ENTITY)
    assert repo.delete(f"{CONDITION}/{other['id']}").status_code == 204
    assert count() == 2
    assert conditions(repo, rb_url(repo="other") + "/conditions")[0]["buildParentKeys"] == ["other-ci"]


# --- update and delete ------------------------------------------------------------------------------

def test_update_replaces_the_condition(repo):
    created = create(repo, keys=["ci"], ref=("BRANCH", "main"), exempt=("MODEL_CATEGORY", "HOTFIX"))
    r = repo.put(f"{CONDITION}/{created['id']}",
                 json=condition_body(keys=["ci", "e2e"], ref=("PATTERN", "release/*"), requiredForMergeQueue=False))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["id"] == created["id"]
    assert body["buildParentKeys"] == ["ci", "e2e"]
    assert body["refMatcher"] == {"id": "release/*", "displayId": "release/*",
                                  "type": {"id": "PATTERN", "name": "Pattern"}, "active": True}
    assert body.get("exemptRefMatcher") is None  # not given: removed
    assert body["requiredForMergeQueue"] is False
    assert conditions(repo) == [body]


def test_update_unknown_id_is_404_and_stores_nothing(repo, count):
    assert_error(repo.put(f"{CONDITION}/999999", json=condition_body()), 404, NO_ENTITY)
    assert_error(repo.put(f"{CONDITION}/-1", json=condition_body()), 404, NO_ENTITY)
    assert count() == 0


def test_delete_is_204_also_when_absent(repo, count):
    created = create(repo)
    kept = create(repo, keys=["kept"])
    r = repo.delete(f"{CONDITION}/{created['id']}")
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert [c["id"] for c in conditions(repo)] == [kept["id"]]
    again = repo.delete(f"{CONDITION}/{created['id']}")
    assert again.status_code == 204, again.text
    assert repo.delete(f"{CONDITION}/123456789").status_code == 204
    assert count() == 1


def test_deleting_the_repository_deletes_its_conditions_and_model(repo, count, db):
    create(repo)
    assert repo.put(rb_url().replace("/rest/required-builds/", "/rest/branch-utils/") + "/branchmodel/configuration",
                    json={"production": {"refId": "prod"}}).status_code == 200
    assert repo.delete("/rest/api/latest/projects/PRJ/repos/repo").status_code == 202
    assert count() == 0
    assert db("SELECT COUNT(*) FROM branch_models")[0][0] == 0


def test_non_numeric_id_is_400_or_404(repo):
    assert repo.delete(f"{CONDITION}/abc").status_code in (400, 404)
    assert repo.put(f"{CONDITION}/abc", json=condition_body()).status_code in (400, 404)


# --- bad input: 400 naming the field, nothing stored --------------------------------------------------

def _with(**changes) -> dict:
    body = condition_body(keys=["ci"], ref=("BRANCH", "main"))
    for key, value in changes.items():
        if value is _DROP:
            body.pop(key)
        else:
            body[key] = value
    return body


_DROP = object()

# name -> (body, context named in the error)
BAD = {
    "empty buildParentKeys": (_with(buildParentKeys=[]), "buildParentKeys"),
    "101 keys": (_with(buildParentKeys=[f"k{i}" for i in range(101)]), "buildParentKeys"),
    "blank key": (_with(buildParentKeys=["ci", "  "]), "buildParentKeys"),
    "empty key": (_with(buildParentKeys=[""]), "buildParentKeys"),
    "null key": (_with(buildParentKeys=[None]), "buildParentKeys"),
    "key of 256 characters": (_with(buildParentKeys=["k" * 256]), "buildParentKeys"),
    "keys not a list": (_with(buildParentKeys="ci"), "buildParentKeys"),
    "missing buildParentKeys": (_with(buildParentKeys=_DROP), "buildParentKeys"),
    "missing refMatcher": (_with(refMatcher=_DROP), "refMatcher"),
    "null refMatcher": (_with(refMatcher=None), "refMatcher"),
    "refMatcher without type": (_with(refMatcher={"id": "main"}), "refMatcher"),
    "refMatcher type without id": (_with(refMatcher={"id": "main", "type": {}}), "refMatcher"),
    "unknown type": (_with(refMatcher=matcher("NOPE", "main")), "refMatcher"),
    "unknown category": (_with(refMatcher=matcher("MODEL_CATEGORY", "EPIC")), "refMatcher"),
    "empty pattern": (_with(refMatcher=matcher("PATTERN", "")), "refMatcher"),
    "pattern without id": (_with(refMatcher=matcher("PATTERN")), "refMatcher"),
    "empty branch": (_with(refMatcher=matcher("BRANCH", "")), "refMatcher"),
    "bad MODEL_BRANCH id": (_with(refMatcher=matcher("MODEL_BRANCH", "staging")), "refMatcher"),
    "branch longer than a ref may be": (_with(refMatcher=matcher("BRANCH", "x" * 1020)), "refMatcher"),
    "bad exempt category": (_with(exemptRefMatcher=matcher("MODEL_CATEGORY", "feature")), "exemptRefMatcher"),
    "bad exempt type": (_with(exemptRefMatcher=matcher("TAG", "v1")), "exemptRefMatcher"),
    "empty exempt pattern": (_with(exemptRefMatcher=matcher("PATTERN", "")), "exemptRefMatcher"),
    "non-boolean requiredForPullRequest": (_with(requiredForPullRequest="no"), "requiredForPullRequest"),
    "numeric requiredForPullRequest": (_with(requiredForPullRequest=1), "requiredForPullRequest"),
    "non-boolean requiredForMergeQueue": (_with(requiredForMergeQueue="true"), "requiredForMergeQueue"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_create_is_400_naming_the_field(repo, count, name):
    body, context = BAD[name]
    error = assert_error(repo.post(CONDITION, json=body), 400)
    assert error["context"] is not None and error["context"].split(".")[0] == context, error
    assert count() == 0


@pytest.mark.parametrize("name", ["empty buildParentKeys", "101 keys", "blank key", "missing refMatcher",
                                  "unknown type", "unknown category", "empty pattern", "bad MODEL_BRANCH id",
                                  "non-boolean requiredForPullRequest"])
def test_bad_update_is_400_and_changes_nothing(repo, name):
    created = create(repo, keys=["ci"], ref=("PATTERN", "release/*"))
    body, context = BAD[name]
    error = assert_error(repo.put(f"{CONDITION}/{created['id']}", json=body), 400)
    assert error["context"].split(".")[0] == context, error
    assert conditions(repo) == [created]


ARGUMENT_VALIDATION = "com.atlassian.bitbucket.validation.ArgumentValidationException"


@pytest.mark.parametrize("name, message", [
    ("unknown type", "NOPE"), ("unknown category", "EPIC"), ("bad MODEL_BRANCH id", "staging")])
def test_impossible_matcher_message_names_it(repo, name, message):
    assert_error(repo.post(CONDITION, json=BAD[name][0]), 400, ARGUMENT_VALIDATION, contains=message)


def test_missing_matcher_is_bitbucket_s_argument_validation_error(repo):
    error = assert_error(repo.post(CONDITION, json=BAD["missing refMatcher"][0]), 400, ARGUMENT_VALIDATION,
                         context="refMatcher")
    assert error["message"] == ("A refMatcher with ID and type is required when creating or updating a new "
                                "condition.")


@pytest.mark.parametrize("raw", [b'{"buildParentKeys": [', b"not json", b"", b"[]", b'"text"', b"null"])
def test_malformed_or_non_object_body_is_400(repo, count, raw):
    r = repo.post(CONDITION, content=raw, headers={"Content-Type": "application/json",
                                                   "Authorization": _basic()})
    assert_error(r, 400)
    assert count() == 0


def test_unknown_members_are_ignored(repo):
    body = condition_body()
    body["colour"] = "blue"
    body["refMatcher"]["active"] = False
    r = repo.post(CONDITION, json=body)
    assert r.status_code == 200, r.text
    assert "colour" not in r.json()


def test_body_of_many_valid_conditions_all_stored_on_both_databases(repo, count):
    for i in range(20):
        create(repo, keys=[f"k{i}", "shared"], ref=("PATTERN", f"release/{i}/*"))
    assert count() == 20
    stored = conditions(repo, limit=100)
    assert [json.dumps(c["buildParentKeys"]) for c in stored] == [json.dumps([f"k{i}", "shared"]) for i in range(20)]


def _basic() -> str:
    import base64
    return "Basic " + base64.b64encode(b"admin:admin-password").decode()
