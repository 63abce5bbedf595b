"""`cairn verdict` as a merge gate, run as a pipeline would: the console script against a real server process.

The server runs once per database (tests/fixtures/server.py). PRJ/repo requires `ci` and `lint` on main
(hotfix branches exempt); the gate signs in with a personal access token of `gate`, a REPO_READ user.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.fixtures.server import (  # noqa: F401 - fixtures
    ADMIN, PROJECT, SLUG, Server, _free_port, _mark_server_output, access_token, new_sha, ok, server,
    set_up_repository)

GATE = ("gate", "gate-password")


def cairn() -> str:
    beside = Path(sys.executable).parent / "cairn"
    assert beside.exists(), f"the `cairn` console script is not installed next to {sys.executable}"
    return str(beside)


def run_gate(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
    clean.update(env or {})
    return subprocess.run([cairn(), "verdict", *args], capture_output=True, text=True, env=clean, timeout=60,
                          stdin=subprocess.DEVNULL)


@pytest.fixture(scope="module")
def setup(server: Server) -> dict:
    """PRJ/repo with its condition, a REPO_READ user and that user's token (made through the API)."""
    set_up_repository(server, (*GATE, "Gate"))
    condition = ok(httpx.post(f"{server.url}/rest/required-builds/1.0/projects/{PROJECT}/repos/{SLUG}/condition",
                              auth=ADMIN, timeout=30,
                              json={"buildParentKeys": ["ci", "lint"],
                                    "refMatcher": {"id": "refs/heads/main", "type": {"id": "BRANCH"}},
                                    "exemptRefMatcher": {"id": "HOTFIX", "type": {"id": "MODEL_CATEGORY"}}}),
                   200).json()
    # The README's way: PUT /rest/access-tokens/latest/users/<name>, signed in as that user.
    token = access_token(server, GATE, "merge-gate", version="latest")
    return {"server": server, "token": token, "condition": condition}


def post_status(server: Server, sha: str, key: str, state: str, **extra) -> None:
    r = httpx.post(f"{server.url}/rest/api/1.0/projects/{PROJECT}/repos/{SLUG}/commits/{sha}/builds",
                   auth=ADMIN, timeout=30, json={"key": key, "state": state, "url": f"https://ci/{key}", **extra})
    assert r.status_code == 204, r.text


def commit_with(setup: dict, **states: str) -> str:
    """A new commit with a build status posted for each key=state."""
    sha = new_sha()
    for key, state in states.items():
        post_status(setup["server"], sha, key, state)
    return sha


def gate(setup: dict, sha: str, target: str = "refs/heads/main", source: str | None = "refs/heads/feature/x",
         server_url: str | None = None, token: str | None = None, repository: str = f"{PROJECT}/{SLUG}"):
    args = ["--server", server_url or setup["server"].url, "--token", token or setup["token"], repository,
            "--target", target, "--commit", sha]
    if source is not None:
        args += ["--source", source]
    return run_gate(*args)


# --- exit 0: the merge may proceed ------------------------------------------------------------------

def test_passing_exits_0(setup):
    sha = commit_with(setup, ci="SUCCESSFUL")
    post_status(setup["server"], sha, "lint-py", "SUCCESSFUL", parent="lint")
    done = gate(setup, sha)
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "Merge may proceed." in done.stdout
    assert f"condition {setup['condition']['id']} (ci, lint): met" in done.stdout


def test_not_applicable_target_exits_0(setup):
    done = gate(setup, new_sha(), target="refs/heads/develop")
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "does not apply" in done.stdout


def test_exempted_source_exits_0(setup):
    done = gate(setup, new_sha(), source="refs/heads/hotfix/urgent")
    assert done.returncode == 0, (done.stdout, done.stderr)
    assert "Merge may proceed." in done.stdout


def test_token_from_the_environment_and_a_trailing_slash(setup):
    sha = commit_with(setup, ci="SUCCESSFUL", lint="SUCCESSFUL")
    done = run_gate("--server", setup["server"].url + "/", f"{PROJECT}/{SLUG}", "--target", "main",
                    "--commit", sha.upper(), env={"CAIRN_TOKEN": setup["token"]})
    assert done.returncode == 0, (done.stdout, done.stderr)


# --- exit 1: blocked, and why -------------------------------------------------------------------------

@pytest.mark.parametrize("lint_state", ["FAILED", "INPROGRESS", "CANCELLED"])
def test_blocked_exits_1_naming_the_unmet_key_and_state(setup, lint_state):
    sha = commit_with(setup, ci="SUCCESSFUL", lint=lint_state)
    done = gate(setup, sha)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Merge is blocked." in done.stdout
    assert f"unmet: lint {lint_state}" in done.stdout, done.stdout
    assert "'lint'" in done.stdout and "ci " not in done.stdout.split("unmet:")[1]  # ci is met


def test_missing_exits_1_naming_both_keys(setup):
    done = gate(setup, new_sha(), source=None)  # no source: the hotfix exemption cannot apply
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "unmet: ci MISSING, lint MISSING" in done.stdout, done.stdout
    assert "'ci' has no build status" in done.stdout and "'lint' has no build status" in done.stdout


def test_legacy_status_does_not_open_the_gate(setup):
    sha = commit_with(setup, ci="SUCCESSFUL")
    r = httpx.post(f"{setup['server'].url}/rest/build-status/1.0/commits/{sha}", auth=ADMIN, timeout=30,
                   json={"key": "lint", "state": "SUCCESSFUL", "url": "https://ci/legacy"})
    assert r.status_code == 204, r.text
    done = gate(setup, sha)
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "lint MISSING" in done.stdout


def test_gate_opens_once_the_build_succeeds(setup):
    sha = commit_with(setup, ci="SUCCESSFUL", lint="INPROGRESS")
    assert gate(setup, sha).returncode == 1
    post_status(setup["server"], sha, "lint", "SUCCESSFUL")
    assert gate(setup, sha).returncode == 0


# --- exit 2: no verdict ----------------------------------------------------------------------------

def test_bad_token_exits_2(setup):
    done = gate(setup, new_sha(), token="not-a-real-token")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "401" in done.stderr
    assert "Merge" not in done.stdout


def test_unreachable_server_exits_2(setup):
    done = gate(setup, new_sha(), server_url=f"http://127.0.0.1:{_free_port()}")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "cannot reach" in done.stderr


@pytest.mark.parametrize("repository", [f"{PROJECT}/missing", f"NOPE/{SLUG}"])
def test_unknown_repository_exits_2(setup, repository):
    done = gate(setup, new_sha(), repository=repository)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "404" in done.stderr


def test_bad_commit_exits_2(setup):
    done = gate(setup, "not-a-sha")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "400" in done.stderr and "not-a-sha" in done.stderr


def test_malformed_repository_argument_exits_2(setup):
    done = gate(setup, new_sha(), repository="PRJ-only")
    assert done.returncode == 2, (done.stdout, done.stderr)


def test_missing_required_option_exits_2(setup):
    done = run_gate("--server", setup["server"].url, "--token", setup["token"], f"{PROJECT}/{SLUG}",
                    "--commit", new_sha())
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "--target" in done.stderr
