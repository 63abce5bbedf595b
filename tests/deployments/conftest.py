"""Shared set-up for the deployment tests: URLs on PRJ/repo (the `repo` fixture), bodies and small helpers."""

from __future__ import annotations

import pytest

from tests.fixtures.api import SHA, SHA2  # noqa: F401 - imported from here by the tests

SHA3 = "fedcba9876543210fedcba9876543210fedcba98"
SHA4 = "0000000000111111111122222222223333333333"

AUTH_REQUIRED = "com.atlassian.plugins.rest.common.security.AuthenticationRequiredException"
AUTHORISATION = "com.atlassian.bitbucket.AuthorisationException"
NO_ENTITY = "com.atlassian.bitbucket.NoSuchEntityException"
NO_PROJECT = "com.atlassian.bitbucket.project.NoSuchProjectException"
NO_REPO = "com.atlassian.bitbucket.repository.NoSuchRepositoryException"

# The body Atlassian's Jenkins plugin sends (its test fixture deployments/send_deployment_request.json,
# api-notes section 6).
JENKINS_BODY = {"deploymentSequenceNumber": 42, "description": "my-description", "displayName": "my-display-name",
                "environment": {"key": "My-env", "displayName": "MY-ENV", "type": "DEVELOPMENT",
                                "url": "http://url.to.env"},
                "key": "my-key", "state": "FAILED", "url": "http://url.to.job"}


def repo_url(version: str = "latest", project: str = "PRJ", repo: str = "repo") -> str:
    return f"/rest/api/{version}/projects/{project}/repos/{repo}"


def deployments_url(sha: str = SHA, version: str = "latest", project: str = "PRJ", repo: str = "repo") -> str:
    return f"{repo_url(version, project, repo)}/commits/{sha}/deployments"


DEPLOYMENTS = deployments_url()
LISTING = repo_url() + "/deployments"
ENVIRONMENTS = repo_url() + "/environments"


def body(seq: int = 1, key: str = "deploy", env: str = "prod", state: str = "SUCCESSFUL", **extra) -> dict:
    """A valid RestDeploymentSetRequest; `environment` in `extra` replaces the whole environment."""
    environment = extra.pop("environment", {"key": env, "displayName": env.title(), "type": "PRODUCTION",
                                            "url": f"https://{env}.example.com"})
    return {"deploymentSequenceNumber": seq, "key": key, "displayName": f"Deploy {key}",
            "description": f"{key} #{seq}", "url": f"https://ci.example.com/{key}/{seq}", "state": state,
            "environment": environment, **extra}


def deploy(api, sha: str = SHA, seq: int = 1, key: str = "deploy", env: str = "prod", state: str = "SUCCESSFUL",
           version: str = "latest", **extra) -> dict:
    """POST a deployment, assert 200, return the answer."""
    r = api.post(deployments_url(sha, version), json=body(seq, key, env, state, **extra))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json;charset=UTF-8"
    return r.json()


def identity(key: str = "deploy", env: str = "prod", seq=1) -> dict:
    return {"key": key, "environmentKey": env, "deploymentSequenceNumber": seq}


def fetch(api, sha: str = SHA, key: str = "deploy", env: str = "prod", seq=1, version: str = "latest"):
    """GET one deployment (the raw response)."""
    return api.get(deployments_url(sha, version), params=identity(key, env, seq))


def commit(sha: str) -> dict:
    return {"id": sha, "displayId": sha[:7]}


def short(value) -> str | None:
    """A readable test id for long parameters."""
    return f"{len(value)}chars" if isinstance(value, str) and len(value) > 40 else None


@pytest.fixture
def count(db):
    """count() / count("deployment_environments"): rows stored, straight from the database."""
    return lambda table="deployments": db(f"SELECT COUNT(*) FROM {table}")[0][0]


@pytest.fixture
def seed(backend):
    """Bulk-insert deployments straight into the database (for volume; behaviour is read back over HTTP).

    seed(repository_id, [(commit, key, environment_key, sequence_number, state, last_updated), ...]) also
    records each environment, as a POST would.
    """
    from cairn.deployments.store import add_environment
    from cairn.models import deployments

    async def run(repository_id: int, rows: list[tuple]):
        async with backend.app.state.engine.begin() as conn:
            await conn.execute(deployments.insert(), [
                {"repository_id": repository_id, "commit_id": sha, "key": key, "environment_key": env,
                 "sequence_number": seq, "display_name": f"Deploy {key}", "description": "", "state": state,
                 "url": f"https://ci.example.com/{key}/{seq}", "environment_display_name": env.title(),
                 "environment_type": "PRODUCTION", "environment_url": None, "last_updated": when}
                for sha, key, env, seq, state, when in rows])
            for env in sorted({row[2] for row in rows}):
                await add_environment(conn, repository_id, env)

    return lambda repository_id, rows: backend.portal.call(run, repository_id, rows)
