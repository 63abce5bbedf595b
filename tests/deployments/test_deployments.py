"""Bitbucket's three deployment operations on a commit: POST (create or update), GET and DELETE.

POST/GET/DELETE /rest/api/{1.0,latest}/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/deployments
"""

from __future__ import annotations

import copy
import time

import pytest

from tests.deployments.conftest import (
    DEPLOYMENTS,
    ENVIRONMENTS,
    JENKINS_BODY,
    LISTING,
    NO_ENTITY,
    NO_PROJECT,
    NO_REPO,
    SHA,
    SHA2,
    SHA3,
    SHA4,
    body,
    commit,
    deploy,
    deployments_url,
    fetch,
    identity,
    repo_url,
)
from tests.fixtures.api import assert_error


def now_ms() -> int:
    return int(time.time() * 1000)


def stored(api, sha: str = SHA, key: str = "deploy", env: str = "prod", seq=1, version: str = "latest") -> dict:
    r = fetch(api, sha, key, env, seq, version)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json;charset=UTF-8"
    return r.json()


# --- storing ---------------------------------------------------------------------------------------


def test_the_jenkins_plugin_body_is_stored_and_answered(repo):
    repository = repo.get(repo_url()).json()
    r = repo.post(DEPLOYMENTS, json={**JENKINS_BODY, "lastUpdated": 1587533699278})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json;charset=UTF-8"
    expected = {**JENKINS_BODY, "lastUpdated": 1587533699278, "repository": repository, "toCommit": commit(SHA)}
    assert r.json() == expected
    assert stored(repo, key="my-key", env="My-env", seq=42) == expected


def test_repository_is_exactly_the_repository_resource(repo):
    got = deploy(repo)
    assert got["repository"] == repo.get(repo_url()).json()
    assert got["repository"]["slug"] == "repo" and got["repository"]["project"]["key"] == "PRJ"


def test_last_updated_defaults_to_now(repo):
    before = now_ms()
    got = deploy(repo)
    assert before - 1000 <= got["lastUpdated"] <= now_ms() + 1000
    assert stored(repo)["lastUpdated"] == got["lastUpdated"]


@pytest.mark.parametrize("state", ["PENDING", "IN_PROGRESS", "CANCELLED", "FAILED", "ROLLED_BACK", "SUCCESSFUL",
                                   "UNKNOWN"])
def test_each_state_is_stored(repo, state):
    assert deploy(repo, state=state)["state"] == state
    assert stored(repo)["state"] == state


@pytest.mark.parametrize("sent, answered", [
    ("DEVELOPMENT", "DEVELOPMENT"), ("TESTING", "TESTING"), ("STAGING", "STAGING"), ("PRODUCTION", "PRODUCTION"),
    ("production", "PRODUCTION"), ("Staging", "STAGING"), ("development", "DEVELOPMENT"), ("tEsTiNg", "TESTING"),
])
def test_environment_type_in_any_case_is_answered_upper_case(repo, sent, answered):
    environment = {"key": "env", "displayName": "Env", "type": sent}
    assert deploy(repo, env="env", environment=environment)["environment"]["type"] == answered
    assert stored(repo, env="env")["environment"] == {"key": "env", "displayName": "Env", "type": answered}
    listed = repo.get(LISTING, params={"environmentType": answered}).json()["values"]
    assert [d["environment"]["type"] for d in listed] == [answered]


def test_environment_type_and_url_are_optional(repo):
    got = deploy(repo, environment={"key": "prod", "displayName": "Prod"})
    assert got["environment"] == {"key": "prod", "displayName": "Prod"}
    assert stored(repo)["environment"] == {"key": "prod", "displayName": "Prod"}
    # null means absent, as Jackson reads it
    got = deploy(repo, environment={"key": "prod", "displayName": "Prod", "type": None, "url": None},
                 lastUpdated=None)
    assert got["environment"] == {"key": "prod", "displayName": "Prod"}


def test_empty_display_names_and_description_are_allowed(repo):
    got = deploy(repo, displayName="", description="", environment={"key": "prod", "displayName": ""})
    assert (got["displayName"], got["description"], got["environment"]["displayName"]) == ("", "", "")
    assert stored(repo) == got


def test_unknown_members_are_ignored(repo, count):
    got = deploy(repo, buildNumber="7", toCommit={"id": SHA2}, fromCommit={"id": SHA3}, repository={"id": 99},
                 environment={"key": "prod", "displayName": "Prod", "colour": "red"})
    assert got["toCommit"] == commit(SHA) and "fromCommit" not in got
    assert got["environment"] == {"key": "prod", "displayName": "Prod"}
    assert "buildNumber" not in got and got["repository"]["slug"] == "repo"
    assert count() == 1


def test_upper_case_commit_id_is_stored_lower_case(repo):
    got = deploy(repo, sha=SHA2.upper())
    assert got["toCommit"] == commit(SHA2)
    assert stored(repo, sha=SHA2)["toCommit"] == commit(SHA2)
    assert stored(repo, sha=SHA2.upper()) == got


@pytest.mark.parametrize("seq", [0, -1, 2**31, 2**63 - 1, -(2**63)])
def test_sequence_number_is_a_long(repo, seq):
    assert deploy(repo, seq=seq)["deploymentSequenceNumber"] == seq
    assert stored(repo, seq=seq)["deploymentSequenceNumber"] == seq


@pytest.mark.parametrize("when", [0, 1, 2**63 - 1])
def test_last_updated_is_kept(repo, when):
    assert deploy(repo, lastUpdated=when)["lastUpdated"] == when
    assert stored(repo)["lastUpdated"] == when


def test_non_ascii_text_at_the_limits_is_kept(repo):
    long = "é" * 255
    got = deploy(repo, key=long, displayName="ü" * 255, description="日" * 255,
                 environment={"key": "ß" * 255, "displayName": "ø" * 255})
    assert got["key"] == long and got["description"] == "日" * 255
    assert stored(repo, key=long, env="ß" * 255) == got


# --- the limits: N accepted, N + 1 refused (naming the field), nothing stored -----------------------


def _set(document: dict, path: str, value) -> dict:
    """A copy of document with the dotted member set (or removed when value is _REMOVE)."""
    out = copy.deepcopy(document)
    *parents, last = path.split(".")
    target = out
    for part in parents:
        target = target[part]
    if value is _REMOVE:
        del target[last]
    else:
        target[last] = value
    return out


_REMOVE = object()
LIMITS = [("key", 255), ("displayName", 255), ("description", 255), ("url", 1024),
          ("environment.key", 255), ("environment.displayName", 255), ("environment.url", 1024)]


def _text(field: str, n: int) -> str:
    if field.endswith("url"):
        prefix = "https://ci.example.com/"
        return prefix + "a" * (n - len(prefix))
    return "k" * n


@pytest.mark.parametrize("field, limit", LIMITS, ids=[f for f, _ in LIMITS])
def test_limit_is_accepted(repo, count, field, limit):
    sent = _set(body(), field, _text(field, limit))
    r = repo.post(DEPLOYMENTS, json=sent)
    assert r.status_code == 200, r.text
    assert count() == 1
    got = stored(repo, key=sent["key"], env=sent["environment"]["key"])
    value = got
    for part in field.split("."):
        value = value[part]
    assert value == _text(field, limit)
    assert got == r.json()


@pytest.mark.parametrize("field, limit", LIMITS, ids=[f for f, _ in LIMITS])
def test_limit_plus_one_is_refused(repo, count, field, limit):
    sent = _set(body(), field, _text(field, limit + 1))
    assert_error(repo.post(DEPLOYMENTS, json=sent), 400, context=field)
    assert count() == 0 and count("deployment_environments") == 0
    assert repo.get(LISTING).json()["values"] == []


# --- bad values: 400 naming the field, nothing stored -------------------------------------------------

BAD = [
    ("deploymentSequenceNumber", True), ("deploymentSequenceNumber", False), ("deploymentSequenceNumber", 1.0),
    ("deploymentSequenceNumber", 1.5), ("deploymentSequenceNumber", "1"), ("deploymentSequenceNumber", None),
    ("deploymentSequenceNumber", []), ("deploymentSequenceNumber", {}), ("deploymentSequenceNumber", 2**63),
    ("deploymentSequenceNumber", -(2**63) - 1),
    ("key", ""), ("key", "   "), ("key", "\t\n"), ("key", None), ("key", 1), ("key", ["k"]), ("key", "a\x00b"),
    ("displayName", None), ("displayName", 1), ("displayName", "\x00"), ("displayName", {}),
    ("description", None), ("description", 5), ("description", "x\x00"), ("description", False),
    ("url", ""), ("url", " "), ("url", None), ("url", 5), ("url", "https://ci.example.com/\x00"),
    ("state", "successful"), ("state", "Successful"), ("state", "DONE"), ("state", ""), ("state", None),
    ("state", 1), ("state", "INPROGRESS"), ("state", "SUCCESSFUL\x00"),
    ("environment", None), ("environment", "prod"), ("environment", []), ("environment", 1),
    ("environment.key", ""), ("environment.key", "  "), ("environment.key", None), ("environment.key", 1),
    ("environment.key", "p\x00"),
    ("environment.displayName", None), ("environment.displayName", 1), ("environment.displayName", "\x00"),
    ("environment.type", "QA"), ("environment.type", "PROD"), ("environment.type", ""), ("environment.type", 1),
    ("environment.type", "PRODUCTION\x00"), ("environment.type", ["PRODUCTION"]),
    ("environment.url", 5), ("environment.url", "https://prod\x00.example.com"),
    ("lastUpdated", -1), ("lastUpdated", 1.5), ("lastUpdated", 1.0), ("lastUpdated", "1587533699278"),
    ("lastUpdated", True), ("lastUpdated", 2**63),
]


def _bad_id(case) -> str:
    field, value = case
    return f"{field}={value!r}"


@pytest.mark.parametrize("case", BAD, ids=[_bad_id(c) for c in BAD])
def test_bad_value_is_a_400_naming_the_field(repo, count, case):
    field, value = case
    assert_error(repo.post(DEPLOYMENTS, json=_set(body(), field, value)), 400, context=field)
    assert count() == 0 and count("deployment_environments") == 0
    assert_error(fetch(repo), 404, NO_ENTITY)


REQUIRED = ["deploymentSequenceNumber", "key", "displayName", "description", "url", "state", "environment",
            "environment.key", "environment.displayName"]


@pytest.mark.parametrize("field", REQUIRED)
def test_missing_required_member_is_a_400_naming_it(repo, count, field):
    assert_error(repo.post(DEPLOYMENTS, json=_set(body(), field, _REMOVE)), 400, context=field)
    assert count() == 0 and count("deployment_environments") == 0


@pytest.mark.parametrize("field", ["lastUpdated", "environment.type", "environment.url"])
def test_optional_member_may_be_missing(repo, field):
    sent = _set(body(lastUpdated=5), field, _REMOVE)
    r = repo.post(DEPLOYMENTS, json=sent)
    assert r.status_code == 200, r.text


def test_every_bad_field_is_named(repo, count):
    sent = body(key="", state="DONE", environment={"key": "", "displayName": 1, "type": "QA"})
    r = repo.post(DEPLOYMENTS, json=sent)
    assert_error(r, 400)
    contexts = {e["context"] for e in r.json()["errors"]}
    assert {"key", "state", "environment.key", "environment.displayName", "environment.type"} <= contexts
    assert count() == 0


@pytest.mark.parametrize("raw", [b'{"key": "k", ', b"not json", b'{"key": "k"}}', b"\x00", b'{"key": "\x00"}'],
                         ids=["truncated", "text", "trailing", "nul-byte", "raw-nul-in-string"])
def test_malformed_json_is_a_400(repo, count, raw):
    r = repo.post(DEPLOYMENTS, content=raw, headers={"Content-Type": "application/json"}, auth=repo.auth)
    assert_error(r, 400)
    assert count() == 0


@pytest.mark.parametrize("sent", [[], [body()], "deploy", 1, None], ids=["list", "list-of-body", "string",
                                                                          "number", "null"])
def test_a_body_that_is_not_an_object_is_a_400(repo, count, sent):
    assert_error(repo.post(DEPLOYMENTS, json=sent), 400)
    assert count() == 0


def test_no_body_is_a_400(repo, count):
    assert_error(repo.post(DEPLOYMENTS, headers={"Content-Type": "application/json"}, auth=repo.auth), 400)
    assert count() == 0


def test_escaped_nul_in_any_string_is_a_400(repo, count):
    for field in ("key", "displayName", "description", "url", "environment.key", "environment.displayName",
                  "environment.url"):
        raw = _set(body(), field, "https://ci.example.com/a\u0000b")
        assert_error(repo.post(DEPLOYMENTS, json=raw), 400, context=field)
    assert count() == 0


@pytest.mark.parametrize("sha", ["abc123", SHA[:39], SHA + "0", "g" * 40, SHA[:39] + " "])
def test_bad_commit_id_is_a_400(repo, count, sha):
    assert_error(repo.post(deployments_url(sha), json=body()), 400, context="commitId")
    assert_error(repo.get(deployments_url(sha), params=identity()), 400, context="commitId")
    assert_error(repo.delete(deployments_url(sha), params=identity()), 400, context="commitId")
    assert count() == 0


def test_missing_project_or_repository_is_a_404(repo, count):
    for method, kwargs in (("POST", {"json": body()}), ("GET", {"params": identity()}),
                           ("DELETE", {"params": identity()})):
        assert_error(repo.request(method, deployments_url(project="NOPE"), **kwargs), 404, NO_PROJECT)
        assert_error(repo.request(method, deployments_url(repo="nope"), **kwargs), 404, NO_REPO)
    assert count() == 0


# --- update in place ----------------------------------------------------------------------------------


def test_same_identity_twice_updates_in_place(repo, count):
    first = deploy(repo, state="IN_PROGRESS", lastUpdated=1000)
    second = deploy(repo, state="SUCCESSFUL", lastUpdated=2000, displayName="Done", description="finished",
                    url="https://ci.example.com/done",
                    environment={"key": "prod", "displayName": "Production", "type": "staging",
                                 "url": "https://new.example.com"})
    assert count() == 1 and count("deployment_environments") == 1
    assert first["state"] == "IN_PROGRESS"
    assert second == {**first, "state": "SUCCESSFUL", "lastUpdated": 2000, "displayName": "Done",
                      "description": "finished", "url": "https://ci.example.com/done",
                      "environment": {"key": "prod", "displayName": "Production", "type": "STAGING",
                                      "url": "https://new.example.com"}}
    assert stored(repo) == second
    # An update may also drop the environment's optional members.
    third = deploy(repo, environment={"key": "prod", "displayName": "Production"}, lastUpdated=3000)
    assert third["environment"] == {"key": "prod", "displayName": "Production"}
    assert count() == 1


def test_update_without_last_updated_restamps_it(repo):
    deploy(repo, state="IN_PROGRESS", lastUpdated=1000)
    before = now_ms()
    assert deploy(repo, state="SUCCESSFUL")["lastUpdated"] >= before - 1000


@pytest.mark.parametrize("changed", [{"sha": SHA2}, {"key": "other"}, {"env": "stage"}, {"seq": 2}])
def test_any_other_identity_is_another_deployment(repo, count, changed):
    deploy(repo, state="FAILED")
    deploy(repo, **{"state": "SUCCESSFUL", **changed})
    assert count() == 2
    assert stored(repo)["state"] == "FAILED"
    sha = changed.get("sha", SHA)
    assert stored(repo, sha=sha, key=changed.get("key", "deploy"), env=changed.get("env", "prod"),
                  seq=changed.get("seq", 1))["state"] == "SUCCESSFUL"


def test_a_refused_update_changes_nothing(repo, count):
    first = deploy(repo, state="IN_PROGRESS")
    assert_error(repo.post(DEPLOYMENTS, json=body(state="DONE")), 400, context="state")
    assert_error(repo.post(DEPLOYMENTS, json=body(url="")), 400, context="url")
    assert stored(repo) == first and count() == 1


# --- fromCommit (decisions D7, D15) ------------------------------------------------------------------------


def test_from_commit_follows_the_sequence(repo):
    one = deploy(repo, sha=SHA, seq=1)
    two = deploy(repo, sha=SHA2, seq=2)
    three = deploy(repo, sha=SHA3, seq=3)
    assert "fromCommit" not in one
    assert two["fromCommit"] == commit(SHA)
    assert three["fromCommit"] == commit(SHA2)
    assert "fromCommit" not in stored(repo, SHA, seq=1)
    assert stored(repo, SHA2, seq=2)["fromCommit"] == commit(SHA)
    assert stored(repo, SHA3, seq=3)["fromCommit"] == commit(SHA2)


def test_from_commit_skips_gaps_and_uses_the_highest_lower_number(repo):
    deploy(repo, sha=SHA, seq=10)
    deploy(repo, sha=SHA2, seq=3)
    assert deploy(repo, sha=SHA3, seq=100)["fromCommit"] == commit(SHA)


def test_from_commit_ignores_other_keys_and_environments(repo):
    deploy(repo, sha=SHA, seq=1)
    deploy(repo, sha=SHA2, seq=2, key="other")   # another key
    deploy(repo, sha=SHA2, seq=2, env="stage")   # another environment
    deploy(repo, sha=SHA4, seq=2, key="deploy", env="Prod")  # keys are case-sensitive
    got = deploy(repo, sha=SHA3, seq=3)
    assert got["fromCommit"] == commit(SHA)
    assert "fromCommit" not in stored(repo, SHA2, key="other", seq=2)
    assert "fromCommit" not in stored(repo, SHA2, env="stage", seq=2)


def test_from_commit_ignores_other_repositories(repo):
    repo.repo(name="other")
    r = repo.post(deployments_url(SHA2, repo="other"), json=body(seq=1))
    assert r.status_code == 200, r.text
    assert "fromCommit" not in deploy(repo, sha=SHA, seq=2)


def test_from_commit_is_the_same_commit_when_it_was_deployed_before(repo):
    deploy(repo, sha=SHA, seq=1)
    assert deploy(repo, sha=SHA, seq=2)["fromCommit"] == commit(SHA)


def test_a_lower_sequence_number_posted_later_slots_in(repo):
    deploy(repo, sha=SHA, seq=1)
    deploy(repo, sha=SHA3, seq=3)
    two = deploy(repo, sha=SHA2, seq=2)  # posted last, numbered between
    assert two["fromCommit"] == commit(SHA)
    assert stored(repo, SHA3, seq=3)["fromCommit"] == commit(SHA2)
    zero = deploy(repo, sha=SHA4, seq=0)  # lower than all: no previous one
    assert "fromCommit" not in zero
    assert stored(repo, SHA, seq=1)["fromCommit"] == commit(SHA4)


def test_deleting_the_previous_deployment_moves_from_commit_back(repo):
    deploy(repo, sha=SHA, seq=1)
    deploy(repo, sha=SHA2, seq=2)
    deploy(repo, sha=SHA3, seq=3)
    assert repo.delete(deployments_url(SHA2), params=identity(seq=2)).status_code == 204
    assert stored(repo, SHA3, seq=3)["fromCommit"] == commit(SHA)
    assert repo.delete(deployments_url(SHA), params=identity(seq=1)).status_code == 204
    assert "fromCommit" not in stored(repo, SHA3, seq=3)


def test_updating_a_deployment_keeps_its_from_commit(repo):
    deploy(repo, sha=SHA, seq=1)
    deploy(repo, sha=SHA2, seq=2, state="IN_PROGRESS")
    assert deploy(repo, sha=SHA2, seq=2, state="SUCCESSFUL")["fromCommit"] == commit(SHA)


def test_from_commit_in_the_listings(repo):
    deploy(repo, sha=SHA, seq=1, lastUpdated=1)
    deploy(repo, sha=SHA2, seq=2, lastUpdated=2)
    values = repo.get(LISTING).json()["values"]
    assert [v.get("fromCommit") for v in values] == [commit(SHA), None]
    env = repo.get(ENVIRONMENTS).json()["values"][0]
    assert env["latest"]["fromCommit"] == commit(SHA)
    assert env["latestSuccessful"]["fromCommit"] == commit(SHA)


# --- GET ----------------------------------------------------------------------------------------------


def test_get_absent_is_a_404_naming_it(repo):
    error = assert_error(fetch(repo), 404, NO_ENTITY)
    assert "deploy" in error["message"]
    deploy(repo)
    assert_error(fetch(repo, seq=2), 404, NO_ENTITY)
    assert_error(fetch(repo, key="Deploy"), 404, NO_ENTITY)
    assert_error(fetch(repo, env="Prod"), 404, NO_ENTITY)
    assert_error(fetch(repo, sha=SHA2), 404, NO_ENTITY)


@pytest.mark.parametrize("param", ["key", "environmentKey", "deploymentSequenceNumber"])
@pytest.mark.parametrize("how", ["missing", "empty", "blank"])
def test_get_and_delete_need_every_parameter(repo, count, param, how):
    deploy(repo)
    params = identity()
    if how == "missing":
        del params[param]
    else:
        params[param] = "" if how == "empty" else "  "
    assert_error(repo.get(DEPLOYMENTS, params=params), 400, context=param)
    assert_error(repo.delete(DEPLOYMENTS, params=params), 400, context=param)
    assert count() == 1


@pytest.mark.parametrize("seq", ["abc", "1.5", "1e3", "0x1", "true", str(2**63), str(-(2**63) - 1)])
def test_get_and_delete_need_an_integer_sequence_number(repo, count, seq):
    deploy(repo)
    assert_error(fetch(repo, seq=seq), 400, context="deploymentSequenceNumber")
    assert_error(repo.delete(DEPLOYMENTS, params=identity(seq=seq)), 400, context="deploymentSequenceNumber")
    assert count() == 1


def test_get_refuses_an_underscored_sequence_number(repo, count):
    deploy(repo, seq=1000)
    assert_error(fetch(repo, seq="1_000"), 400, context="deploymentSequenceNumber")
    assert_error(repo.delete(DEPLOYMENTS, params=identity(seq="1_000")), 400, context="deploymentSequenceNumber")
    assert count() == 1


def test_get_reads_negative_and_largest_sequence_numbers(repo):
    deploy(repo, seq=-5)
    deploy(repo, seq=2**63 - 1)
    assert stored(repo, seq="-5")["deploymentSequenceNumber"] == -5
    assert stored(repo, seq=str(2**63 - 1))["deploymentSequenceNumber"] == 2**63 - 1


# --- DELETE -------------------------------------------------------------------------------------------


def test_delete_removes_only_the_named_deployment(repo, count):
    deploy(repo, seq=1)
    deploy(repo, seq=2)
    r = repo.delete(DEPLOYMENTS, params=identity(seq=1))
    assert r.status_code == 204, r.text
    assert r.content == b""
    assert_error(fetch(repo, seq=1), 404, NO_ENTITY)
    assert stored(repo, seq=2)["deploymentSequenceNumber"] == 2
    assert count() == 1


def test_delete_of_an_absent_deployment_is_a_204(repo, count):
    r = repo.delete(DEPLOYMENTS, params=identity())
    assert r.status_code == 204, r.text
    deploy(repo)
    for params in (identity(seq=2), identity(key="x"), identity(env="x")):
        assert repo.delete(DEPLOYMENTS, params=params).status_code == 204
    assert repo.delete(deployments_url(SHA2), params=identity()).status_code == 204
    assert count() == 1
    assert repo.delete(DEPLOYMENTS, params=identity()).status_code == 204
    assert repo.delete(DEPLOYMENTS, params=identity()).status_code == 204  # twice
    assert count() == 0


def test_delete_with_upper_case_commit_id(repo, count):
    deploy(repo)
    assert repo.delete(deployments_url(SHA.upper()), params=identity()).status_code == 204
    assert count() == 0


def test_delete_then_post_again(repo):
    deploy(repo, state="FAILED")
    assert repo.delete(DEPLOYMENTS, params=identity()).status_code == 204
    assert deploy(repo, state="SUCCESSFUL")["state"] == "SUCCESSFUL"
    assert stored(repo)["state"] == "SUCCESSFUL"


# --- both versions -------------------------------------------------------------------------------------


@pytest.mark.parametrize("write, read", [("1.0", "latest"), ("latest", "1.0"), ("1.0", "1.0")])
def test_1_0_and_latest_are_the_same_api(repo, count, write, read):
    posted = deploy(repo, version=write, lastUpdated=7)
    assert stored(repo, version=read) == posted
    assert posted["repository"] == repo.get(repo_url(read)).json()
    assert repo.get(repo_url(read) + "/deployments").json()["values"] == [posted]
    assert repo.get(repo_url(read) + "/environments").json()["values"][0]["latest"] == posted
    assert repo.delete(deployments_url(version=read), params=identity()).status_code == 204
    assert count() == 0


@pytest.mark.parametrize("version", ["2.0", "1", "LATEST"])
def test_other_versions_are_not_served(repo, count, version):
    r = repo.post(deployments_url(version=version), json=body())
    assert r.status_code == 404, r.text
    assert count() == 0


# --- the repository's lifetime ---------------------------------------------------------------------------


def test_deleting_the_repository_removes_its_deployments(repo, count):
    repo.repo(name="other")
    deploy(repo, seq=1)
    deploy(repo, seq=2, env="stage")
    assert repo.post(deployments_url(repo="other"), json=body()).status_code == 200
    assert count() == 3 and count("deployment_environments") == 3
    assert repo.delete(repo_url()).status_code == 202
    assert count() == 1 and count("deployment_environments") == 1
    repo.repo()  # the same name again: a new repository with no history
    assert_error(fetch(repo), 404, NO_ENTITY)
    assert repo.get(LISTING).json()["values"] == []
    assert repo.get(ENVIRONMENTS).json()["values"] == []
    assert "fromCommit" not in deploy(repo, seq=5)
    other = repo.get(repo_url(repo="other") + "/deployments").json()["values"]
    assert [d["repository"]["slug"] for d in other] == ["other"]


def test_deployments_of_another_repository_are_not_visible(repo):
    repo.repo(name="other")
    assert repo.post(deployments_url(repo="other"), json=body()).status_code == 200
    assert_error(fetch(repo), 404, NO_ENTITY)
    assert repo.get(LISTING).json()["values"] == []
    assert repo.get(ENVIRONMENTS).json()["values"] == []
    assert repo.delete(DEPLOYMENTS, params=identity()).status_code == 204
    assert repo.get(repo_url(repo="other") + "/deployments").json()["size"] == 1


def test_the_answer_shows_the_repository_as_it_is_now(repo):
    """The answer's repository is computed from the current repository, not stored."""
    deploy(repo)
    r = repo.put(repo_url(), json={"description": "now with a description"})
    assert r.status_code in (200, 201), r.text
    assert r.json()["description"] == "now with a description"
    assert stored(repo)["repository"] == repo.get(repo_url()).json()


def test_key_with_url_characters_round_trips(repo):
    key = "release/1.0 & hotfix?#%"
    got = deploy(repo, key=key, env="eu west/1")
    assert stored(repo, key=key, env="eu west/1") == got
    assert repo.delete(DEPLOYMENTS, params=identity(key, "eu west/1")).status_code == 204
