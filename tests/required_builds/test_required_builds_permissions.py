"""Who may read and change conditions and the branching model, and ask for a verdict."""

from __future__ import annotations

import pytest

from tests.fixtures.api import SHA, assert_error
from tests.fixtures.callers import make_caller
from tests.required_builds.conftest import (
    AUTH_REQUIRED,
    AUTHORISATION,
    CONDITION,
    CONDITIONS,
    CONFIGURATION,
    DEFAULT_BRANCH,
    MODEL,
    NO_PROJECT,
    NO_REPO,
    VERDICT,
    condition_body,
    create,
)

READS = ("conditions", "model", "configuration", "verdict")
WRITES = ("create", "update", "delete", "put-configuration", "delete-configuration", "default-branch")


def send(api, headers: dict, operation: str, condition_id: int):
    caller = api.as_user(None)
    requests = {
        "conditions": lambda: caller.get(CONDITIONS, headers=headers),
        "model": lambda: caller.get(MODEL, headers=headers),
        "configuration": lambda: caller.get(CONFIGURATION, headers=headers),
        "verdict": lambda: caller.get(VERDICT, params={"targetRef": "main", "commitId": SHA}, headers=headers),
        "create": lambda: caller.post(CONDITION, json=condition_body(keys=["new"]), headers=headers),
        "update": lambda: caller.put(f"{CONDITION}/{condition_id}", json=condition_body(keys=["changed"]),
                                     headers=headers),
        "delete": lambda: caller.delete(f"{CONDITION}/{condition_id}", headers=headers),
        "put-configuration": lambda: caller.put(CONFIGURATION, json={"production": {"refId": "prod"}},
                                                headers=headers),
        "delete-configuration": lambda: caller.delete(CONFIGURATION, headers=headers),
        "default-branch": lambda: caller.put(DEFAULT_BRANCH, json={"id": "refs/heads/develop"}, headers=headers),
    }
    return requests[operation]()


SUCCESS = {"conditions": 200, "model": 200, "configuration": 200, "verdict": 200, "create": 200, "update": 200,
           "delete": 204, "put-configuration": 200, "delete-configuration": 204, "default-branch": 204}

# caller kind -> (status of reads, status of writes, exceptionName of the refusals)
MATRIX = {
    "anonymous": (401, 401, AUTH_REQUIRED),
    "no-access": (404, 404, NO_PROJECT),
    "global-PROJECT_CREATE": (404, 404, NO_PROJECT),
    "REPO_READ": ("ok", 401, AUTHORISATION),
    "REPO_WRITE": ("ok", 401, AUTHORISATION),
    "REPO_ADMIN": ("ok", "ok", None),
    "PROJECT_READ": ("ok", 401, AUTHORISATION),
    "PROJECT_ADMIN": ("ok", "ok", None),
    "global-ADMIN": ("ok", "ok", None),
    "token-bearer-REPO_READ": ("ok", 401, AUTHORISATION),
    "token-basic-REPO_WRITE": ("ok", 401, AUTHORISATION),
    "token-bearer-REPO_ADMIN": ("ok", "ok", None),
}


def _state(api) -> tuple:
    """What the writes could change: conditions, configuration, default branch."""
    conditions = [(c["id"], c["buildParentKeys"]) for c in api.get(CONDITIONS).json()["values"]]
    return conditions, api.get(CONFIGURATION).json(), api.get(DEFAULT_BRANCH).json()["id"]


@pytest.mark.parametrize("kind", list(MATRIX))
@pytest.mark.parametrize("operation", READS + WRITES)
def test_permission_matrix(repo, kind, operation):
    reads, writes, exception = MATRIX[kind]
    headers = make_caller(repo, kind).headers
    existing = create(repo, keys=["existing"])
    repo.put(CONFIGURATION, json={"types": [{"id": "FEATURE", "prefix": "f/"}]})
    before = _state(repo)

    r = send(repo, headers, operation, existing["id"])
    expected = reads if operation in READS else writes
    if expected == "ok":
        assert r.status_code == SUCCESS[operation], r.text
    else:
        assert_error(r, expected, exception)
        assert _state(repo) == before  # a refused write changes nothing


def test_refusal_says_not_permitted(repo):
    reader = repo.user("reader")
    repo.grant_repo("reader", "REPO_READ")
    error = assert_error(repo.as_user(reader).post(CONDITION, json=condition_body()), 401, AUTHORISATION)
    assert error["message"] == "You are not permitted to access this resource"


def test_no_access_user_learns_nothing_about_the_repository(repo):
    nobody = repo.as_user(repo.user("nobody"))
    for url in (CONDITIONS, MODEL, CONFIGURATION):
        hidden = nobody.get(url)
        missing = nobody.get(url.replace("/repos/repo/", "/repos/missing/"))
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json()["errors"][0]["exceptionName"] == missing.json()["errors"][0]["exceptionName"]


def test_user_who_sees_the_project_gets_no_such_repository(repo):
    repo.repo(name="other")
    sibling = repo.user("sibling")
    repo.grant_repo("sibling", "REPO_READ", slug="other")
    assert_error(repo.as_user(sibling).get(CONDITIONS), 404, NO_REPO)
    assert_error(repo.as_user(sibling).get(VERDICT, params={"targetRef": "main", "commitId": SHA}), 404, NO_REPO)


def test_bad_credentials_are_401(repo):
    assert_error(repo.as_user(("admin", "wrong")).get(CONDITIONS), 401,
                 "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException")
    assert_error(repo.as_user(None).get(VERDICT, params={"targetRef": "main", "commitId": SHA},
                                        headers={"Authorization": "Bearer not-a-token"}), 401,
                 "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException")


def test_public_repository_lets_anonymous_read_but_not_write(api):
    api.project()
    api.repo(public=True)
    create(api, keys=["ci"])
    anonymous = api.as_user(None)
    assert [c["buildParentKeys"] for c in anonymous.get(CONDITIONS).json()["values"]] == [["ci"]]
    assert anonymous.get(MODEL).status_code == 200
    assert anonymous.get(CONFIGURATION).status_code == 200
    r = anonymous.get(VERDICT, params={"targetRef": "main", "commitId": SHA})
    assert r.status_code == 200 and r.json()["canMerge"] is False
    assert_error(anonymous.post(CONDITION, json=condition_body()), 401, AUTH_REQUIRED)
    assert_error(anonymous.put(CONFIGURATION, json={}), 401, AUTH_REQUIRED)
    nobody = api.as_user(api.user("nobody"))
    assert nobody.get(CONDITIONS).status_code == 200
    assert_error(nobody.post(CONDITION, json=condition_body()), 401, AUTHORISATION)
    assert_error(nobody.delete(CONFIGURATION), 401, AUTHORISATION)
    assert len(api.get(CONDITIONS).json()["values"]) == 1
