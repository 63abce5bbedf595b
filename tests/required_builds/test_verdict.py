"""The verdict endpoint (decision D17) on both databases: gathers conditions, statuses and the model."""

from __future__ import annotations

import pytest

from tests.fixtures.api import SHA, SHA2, assert_error
from tests.required_builds.conftest import (
    LEGACY,
    VERDICT,
    builds_url,
    create,
    post_status,
    rb_url,
    verdict,
)


def unmet(body: dict) -> list[tuple[str, str]]:
    return [(u["key"], u["state"]) for c in body["conditions"] for u in c["unmet"]]


def test_no_conditions_may_merge(repo):
    assert verdict(repo, "refs/heads/main", "refs/heads/feature/x") == {
        "canMerge": True, "vetoes": [], "conditions": []}


def test_passing(repo):
    condition = create(repo, keys=["ci"], ref=("BRANCH", "main"))
    post_status(repo, "ci", "SUCCESSFUL")
    assert verdict(repo, "refs/heads/main", "refs/heads/feature/x") == {
        "canMerge": True, "vetoes": [],
        "conditions": [{"id": condition["id"], "buildParentKeys": ["ci"], "applies": True, "unmet": []}]}


@pytest.mark.parametrize("state", ["FAILED", "INPROGRESS", "CANCELLED", "UNKNOWN"])
def test_blocked_by_state(repo, state):
    condition = create(repo, keys=["ci"])
    post_status(repo, "ci", state)
    body = verdict(repo, "refs/heads/main", "refs/heads/feature/x")
    assert body["canMerge"] is False
    assert body["conditions"] == [{"id": condition["id"], "buildParentKeys": ["ci"], "applies": True,
                                   "unmet": [{"key": "ci", "state": state}]}]
    [veto] = body["vetoes"]
    assert set(veto) == {"summaryMessage", "detailedMessage"}
    assert "'ci'" in veto["detailedMessage"] and state in veto["detailedMessage"], veto


def test_missing(repo):
    create(repo, keys=["ci", "lint"])
    post_status(repo, "ci", "SUCCESSFUL")
    body = verdict(repo, "main")
    assert body["canMerge"] is False
    assert unmet(body) == [("lint", "MISSING")]
    assert "'lint'" in body["vetoes"][0]["detailedMessage"]


def test_the_latest_status_of_a_key_counts(repo):
    create(repo, keys=["ci"])
    post_status(repo, "ci", "INPROGRESS")
    assert verdict(repo, "main")["canMerge"] is False
    post_status(repo, "ci", "SUCCESSFUL")  # same key: replaces it
    assert verdict(repo, "main")["canMerge"] is True
    post_status(repo, "ci", "FAILED")
    assert unmet(verdict(repo, "main")) == [("ci", "FAILED")]


def test_parent_groups_statuses(repo):
    create(repo, keys=["pipeline"])
    post_status(repo, "pipeline-linux", "SUCCESSFUL", parent="pipeline")
    assert verdict(repo, "main")["canMerge"] is True
    post_status(repo, "pipeline-mac", "INPROGRESS", parent="pipeline")
    assert unmet(verdict(repo, "main")) == [("pipeline", "INPROGRESS")]
    post_status(repo, "pipeline-mac", "SUCCESSFUL", parent="pipeline")
    post_status(repo, "pipeline-win", "CANCELLED", parent="pipeline")
    assert verdict(repo, "main")["canMerge"] is True  # CANCELLED beside SUCCESSFUL changes nothing


def test_key_of_a_status_with_another_parent_does_not_count(repo):
    create(repo, keys=["ci"])
    post_status(repo, "ci", "SUCCESSFUL", parent="nightly")
    assert unmet(verdict(repo, "main")) == [("ci", "MISSING")]


def test_status_on_another_commit_does_not_count(repo):
    create(repo, keys=["ci"])
    post_status(repo, "ci", "SUCCESSFUL", sha=SHA2)
    assert unmet(verdict(repo, "main", sha=SHA)) == [("ci", "MISSING")]
    assert verdict(repo, "main", sha=SHA2)["canMerge"] is True


def test_status_of_another_repository_does_not_count(repo):
    repo.repo(name="other")
    create(repo, keys=["ci"])
    r = repo.post(builds_url(repo="other"), json={"key": "ci", "state": "SUCCESSFUL", "url": "https://ci/1"})
    assert r.status_code == 204, r.text
    assert unmet(verdict(repo, "main")) == [("ci", "MISSING")]


def test_legacy_status_does_not_satisfy_a_condition(repo):
    create(repo, keys=["ci"])
    r = repo.post(f"{LEGACY}/{SHA}", json={"key": "ci", "state": "SUCCESSFUL", "url": "https://ci.example/1"})
    assert r.status_code == 204, r.text
    # The legacy status is there (visible from the repository's commit)...
    assert [s["key"] for s in repo.get(f"{LEGACY}/{SHA}").json()["values"]] == ["ci"]
    # ...but it is not repository-scoped, so the key is still missing.
    body = verdict(repo, "refs/heads/main")
    assert body["canMerge"] is False
    assert unmet(body) == [("ci", "MISSING")]


def test_legacy_failure_does_not_block_either(repo):
    create(repo, keys=["ci"])
    post_status(repo, "ci", "SUCCESSFUL")
    r = repo.post(f"{LEGACY}/{SHA}", json={"key": "ci-legacy", "state": "FAILED", "url": "https://ci.example/2"})
    assert r.status_code == 204, r.text
    assert verdict(repo, "main")["canMerge"] is True


def test_exempted(repo):
    condition = create(repo, keys=["ci"], ref=("ANY_REF",), exempt=("MODEL_CATEGORY", "HOTFIX"))
    body = verdict(repo, "refs/heads/main", "refs/heads/hotfix/urgent")
    assert body == {"canMerge": True, "vetoes": [],
                    "conditions": [{"id": condition["id"], "buildParentKeys": ["ci"], "applies": False,
                                    "unmet": []}]}
    assert verdict(repo, "refs/heads/main", "hotfix/urgent")["canMerge"] is True  # short source name
    assert verdict(repo, "refs/heads/main", "refs/heads/feature/x")["canMerge"] is False


def test_without_source_nothing_is_exempt(repo):
    create(repo, keys=["ci"], ref=("ANY_REF",), exempt=("ANY_REF",))
    assert verdict(repo, "refs/heads/main", "refs/heads/feature/x")["canMerge"] is True
    assert unmet(verdict(repo, "refs/heads/main")) == [("ci", "MISSING")]
    assert unmet(verdict(repo, "refs/heads/main", "")) == [("ci", "MISSING")]


def test_not_applicable(repo):
    condition = create(repo, keys=["ci"], ref=("PATTERN", "release/*"))
    post_status(repo, "ci", "FAILED")
    body = verdict(repo, "refs/heads/main", "refs/heads/feature/x")
    assert body == {"canMerge": True, "vetoes": [],
                    "conditions": [{"id": condition["id"], "buildParentKeys": ["ci"], "applies": False,
                                    "unmet": []}]}
    assert unmet(verdict(repo, "refs/heads/release/2.0")) == [("ci", "FAILED")]


def test_several_conditions(repo):
    main = create(repo, keys=["ci"], ref=("BRANCH", "main"))
    release = create(repo, keys=["ci", "e2e"], ref=("PATTERN", "release/"))
    everything = create(repo, keys=["lint"], ref=("ANY_REF",))
    post_status(repo, "ci", "SUCCESSFUL")
    post_status(repo, "lint", "INPROGRESS")
    body = verdict(repo, "refs/heads/release/1.0")
    assert body["canMerge"] is False
    assert [(c["id"], c["applies"], [(u["key"], u["state"]) for u in c["unmet"]]) for c in body["conditions"]] == [
        (main["id"], False, []), (release["id"], True, [("e2e", "MISSING")]),
        (everything["id"], True, [("lint", "INPROGRESS")])]
    assert len(body["vetoes"]) == 2
    post_status(repo, "e2e", "SUCCESSFUL")
    post_status(repo, "lint", "SUCCESSFUL")
    assert verdict(repo, "refs/heads/release/1.0")["canMerge"] is True


def test_deleted_condition_no_longer_blocks(repo):
    condition = create(repo, keys=["ci"])
    assert verdict(repo, "main")["canMerge"] is False
    assert repo.delete(f"{rb_url()}/condition/{condition['id']}").status_code == 204
    assert verdict(repo, "main")["canMerge"] is True


def test_updated_condition_is_what_counts(repo):
    condition = create(repo, keys=["ci"])
    post_status(repo, "ci", "SUCCESSFUL")
    assert verdict(repo, "main")["canMerge"] is True
    r = repo.put(f"{rb_url()}/condition/{condition['id']}",
                 json={"buildParentKeys": ["ci", "security"], "refMatcher": {"id": "main", "type": {"id": "BRANCH"}}})
    assert r.status_code == 200, r.text
    assert unmet(verdict(repo, "main")) == [("security", "MISSING")]


def test_upper_case_commit_id_is_the_same_commit(repo):
    create(repo, keys=["ci"])
    post_status(repo, "ci", "SUCCESSFUL")
    assert verdict(repo, "main", sha=SHA.upper())["canMerge"] is True


@pytest.mark.parametrize("version", ["1.0", "latest"])
def test_both_versions(repo, version):
    create(repo, keys=["ci"])
    assert verdict(repo, "main", url=rb_url(version) + "/verdict")["canMerge"] is False


# --- bad requests ----------------------------------------------------------------------------------

@pytest.mark.parametrize("params, context", [
    ({"commitId": SHA}, "targetRef"),
    ({"commitId": SHA, "targetRef": ""}, "targetRef"),
    ({"commitId": SHA, "targetRef": "   "}, "targetRef"),
    ({"targetRef": "main"}, "commitId"),
    ({"targetRef": "main", "commitId": ""}, "commitId"),
    ({}, None),
    ({"targetRef": "main", "commitId": "abc123"}, "commitId"),
    ({"targetRef": "main", "commitId": SHA + "0"}, "commitId"),
    ({"targetRef": "main", "commitId": "g" * 40}, "commitId"),
    ({"targetRef": "main", "commitId": SHA + "\n"}, "commitId"),
])
def test_missing_or_bad_parameters_are_400(repo, params, context):
    create(repo, keys=["ci"])
    error = assert_error(repo.get(VERDICT, params=params), 400)
    if context is not None:
        assert error["context"] == context, error
    else:
        assert error["context"] in ("targetRef", "commitId"), error


def test_bad_commit_message_names_it(repo):
    assert_error(repo.get(VERDICT, params={"targetRef": "main", "commitId": "nope"}), 400, contains="nope")


def test_unknown_repository_is_404(repo):
    r = repo.get(rb_url(repo="missing") + "/verdict", params={"targetRef": "main", "commitId": SHA})
    assert_error(r, 404, "com.atlassian.bitbucket.repository.NoSuchRepositoryException")
    r = repo.get(rb_url(project="NOPE") + "/verdict", params={"targetRef": "main", "commitId": SHA})
    assert_error(r, 404, "com.atlassian.bitbucket.project.NoSuchProjectException")


def test_a_ref_longer_than_a_ref_may_be_is_400(repo):
    r = repo.get(VERDICT, params={"targetRef": "a" * 1020, "commitId": SHA})
    assert_error(r, 400, context="targetRef")
