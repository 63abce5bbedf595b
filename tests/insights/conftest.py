"""Shared set-up for the Code Insights tests: URLs on PRJ/repo (the `repo` fixture) and small builders."""

from __future__ import annotations

import pytest

from tests.fixtures.api import SHA

AUTH_REQUIRED = "com.atlassian.plugins.rest.common.security.AuthenticationRequiredException"
AUTHORISATION = "com.atlassian.bitbucket.AuthorisationException"
NO_PROJECT = "com.atlassian.bitbucket.project.NoSuchProjectException"
NO_REPO = "com.atlassian.bitbucket.repository.NoSuchRepositoryException"


def commit_url(sha: str = SHA, version: str = "latest", project: str = "PRJ", repo: str = "repo") -> str:
    return f"/rest/insights/{version}/projects/{project}/repos/{repo}/commits/{sha}"


REPORTS = commit_url() + "/reports"
ANNOTATIONS = commit_url() + "/annotations"  # every annotation of the commit


def short(value) -> str | None:
    """A readable test id for long parameters: "<n chars>" instead of the string itself."""
    return f"{len(value)}chars" if isinstance(value, str) and len(value) > 40 else None


def report_url(key: str = "K") -> str:
    return f"{REPORTS}/{key}"


def annotations_url(key: str = "K") -> str:
    return f"{REPORTS}/{key}/annotations"


def report(api, key: str = "K", **fields) -> dict:
    """PUT a report (title defaults to "Report <key>") and return the stored report."""
    r = api.put(report_url(key), json={"title": f"Report {key}", **fields})
    assert r.status_code == 200, r.text
    return r.json()


FULL_ANNOTATION = {"message": "SQL injection", "severity": "HIGH", "type": "VULNERABILITY",
                   "path": "src/db/query.py", "line": 42, "link": "https://sonar.example.com/issue/1",
                   "externalId": "sonar-1"}


def annotation(message: str = "Found a problem", severity: str = "LOW", **extra) -> dict:
    return {"message": message, "severity": severity, **extra}


def annotate(api, key: str, *annotations: dict) -> None:
    """POST annotations to an existing report, asserting 204."""
    r = api.post(annotations_url(key), json={"annotations": list(annotations)})
    assert r.status_code == 204, r.text
    assert r.content == b""


def post(api, *annotations, key: str = "K"):
    """POST annotations to report `key`; the response."""
    return api.post(annotations_url(key), json={"annotations": list(annotations)})


def annotations_of(api, key: str | None = None, **params) -> list[dict]:
    """The annotations of one report (key given) or of the whole commit, checking totalCount."""
    r = api.get(annotations_url(key) if key else ANNOTATIONS, params=params)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json;charset=UTF-8"
    body = r.json()
    assert set(body) == {"totalCount", "annotations"}
    assert body["totalCount"] == len(body["annotations"])
    return body["annotations"]


@pytest.fixture
def count(db):
    """count("reports") / count("annotations"): rows stored, straight from the database."""
    tables = {"reports": "insight_reports", "annotations": "insight_annotations"}
    return lambda what: db(f"SELECT COUNT(*) FROM {tables[what]}")[0][0]


@pytest.fixture
def rep(repo):
    """`repo` with report K on the commit (its PUT also fills the administrator's caches: cairn.lane)."""
    report(repo, "K")
    return repo
