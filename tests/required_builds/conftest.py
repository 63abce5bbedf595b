"""Shared set-up for the required-builds tests: URLs on PRJ/repo (the `repo` fixture) and small builders."""

from __future__ import annotations

import pytest

from tests.fixtures.api import SHA

AUTH_REQUIRED = "com.atlassian.plugins.rest.common.security.AuthenticationRequiredException"
AUTHORISATION = "com.atlassian.bitbucket.AuthorisationException"
NO_ENTITY = "com.atlassian.bitbucket.NoSuchEntityException"
NO_PROJECT = "com.atlassian.bitbucket.project.NoSuchProjectException"
NO_REPO = "com.atlassian.bitbucket.repository.NoSuchRepositoryException"


def rb_url(version: str = "latest", project: str = "PRJ", repo: str = "repo") -> str:
    return f"/rest/required-builds/{version}/projects/{project}/repos/{repo}"


def model_url(version: str = "latest", project: str = "PRJ", repo: str = "repo") -> str:
    return f"/rest/branch-utils/{version}/projects/{project}/repos/{repo}/branchmodel"


def builds_url(sha: str = SHA, project: str = "PRJ", repo: str = "repo") -> str:
    return f"/rest/api/latest/projects/{project}/repos/{repo}/commits/{sha}/builds"


CONDITIONS = rb_url() + "/conditions"
CONDITION = rb_url() + "/condition"
VERDICT = rb_url() + "/verdict"
MODEL = model_url()
CONFIGURATION = MODEL + "/configuration"
DEFAULT_BRANCH = "/rest/api/latest/projects/PRJ/repos/repo/default-branch"
LEGACY = "/rest/build-status/1.0/commits"


def matcher(type_id: str, matcher_id: str | None = None) -> dict:
    body: dict = {"type": {"id": type_id}}
    if matcher_id is not None:
        body["id"] = matcher_id
    return body


def condition_body(keys=("ci",), ref=("BRANCH", "main"), exempt=None, **extra) -> dict:
    body = {"buildParentKeys": list(keys), "refMatcher": matcher(*ref), **extra}
    if exempt is not None:
        body["exemptRefMatcher"] = matcher(*exempt)
    return body


def create(api, url: str = CONDITION, **kw) -> dict:
    """POST a condition (condition_body(**kw)), asserting 200; the stored condition."""
    r = api.post(url, json=condition_body(**kw))
    assert r.status_code == 200, r.text
    return r.json()


def post_status(api, key: str, state: str, sha: str = SHA, **extra) -> None:
    """A repository-scoped build status on PRJ/repo."""
    body = {"key": key, "state": state, "url": f"https://ci.example/{key}", **extra}
    r = api.post(builds_url(sha), json=body)
    assert r.status_code == 204, r.text


def verdict(api, target: str, source: str | None = None, sha: str = SHA, url: str = VERDICT) -> dict:
    params = {"targetRef": target, "commitId": sha}
    if source is not None:
        params["sourceRef"] = source
    r = api.get(url, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json;charset=UTF-8"
    body = r.json()
    assert set(body) == {"canMerge", "vetoes", "conditions"}, body
    return body


@pytest.fixture
def count(db):
    """Number of stored conditions (all repositories), straight from the database."""
    return lambda: db("SELECT COUNT(*) FROM required_build_conditions")[0][0]
