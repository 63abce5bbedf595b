"""Shared set-up for the build-status tests: a project PRJ with a private repository `repo`."""

from __future__ import annotations

import pytest

from tests.fixtures.api import BUILDS, SHA  # noqa: F401 - BUILDS is imported from here by the tests

LEGACY = "/rest/build-status/latest/commits"


def builds_url(sha: str = SHA, repo: str = "repo", project: str = "PRJ", version: str = "latest") -> str:
    return f"/rest/api/{version}/projects/{project}/repos/{repo}/commits/{sha}/builds"


def status(key: str = "K", state: str = "SUCCESSFUL", **extra) -> dict:
    return {"key": key, "state": state, "url": f"https://ci.example/{key}", **extra}


@pytest.fixture
def count(db):
    """Number of stored build statuses (all kinds), straight from the database."""
    return lambda: db("SELECT COUNT(*) FROM build_statuses")[0][0]


@pytest.fixture
def seed(backend):
    """Bulk-insert build statuses straight into the database (for volume; behaviour is read back over HTTP).

    seed(commit, [(key, state, updated_ms), ...], repository_id=None)
    """
    from cairn.models import build_statuses

    async def run(commit: str, rows: list[tuple[str, str, int]], repository_id: int | None):
        async with backend.app.state.engine.begin() as conn:
            await conn.execute(build_statuses.insert(), [
                {"repository_id": repository_id, "commit_id": commit, "key": key, "state": state,
                 "url": f"https://ci.example/{key}", "created_date": when, "updated_date": when}
                for key, state, when in rows])

    return lambda commit, rows, repository_id=None: backend.portal.call(run, commit, rows, repository_id)
