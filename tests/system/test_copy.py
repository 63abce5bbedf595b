"""`cairn copy --to URL`: a populated SQLite database, copied to PostgreSQL while its server runs, answers every
read route of the API as the original does, keeps its credentials, and takes new writes without an id clash;
a target that holds rows is refused."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from cairn.api import route_table
from tests.fixtures.postgres import PG_URL, create_database, drop_database
from tests.fixtures.server import ADMIN, _cairn_command, access_token, ok, set_up_repository, start_server, stop_server

pytestmark = pytest.mark.skipif(not PG_URL, reason="copies to PostgreSQL: set CAIRN_TEST_POSTGRES_URL")

SHA, LEGACY_SHA = "a" * 40, "b" * 40
ALICE = ("alice", "alice-password")
REPO = "/rest/api/latest/projects/PRJ/repos/repo"
INSIGHTS = "/rest/insights/latest/projects/PRJ/repos/repo"
DEPLOYMENT = {"deploymentSequenceNumber": 7, "key": "deploy", "state": "SUCCESSFUL", "displayName": "Deploy",
              "url": "https://ci.example/deploy/7", "description": "d",
              "environment": {"key": "prod", "displayName": "Production", "type": "PRODUCTION"}}
# Query parameters the read routes need to find something (the rest need none).
HISTORY = "/rest/cairn/latest/projects/PRJ"
PARAMS = {
    "/deployments": {"key": "deploy", "environmentKey": "prod", "deploymentSequenceNumber": "7"},
    "/verdict": {"targetRef": "refs/heads/main", "commitId": SHA},
    "/admin/groups/more-members": {"context": "devs"},
    "/admin/groups/more-non-members": {"context": "devs"},
    "/admin/users/more-members": {"context": "bob"},
    "/admin/users/more-non-members": {"context": "bob"},
}


def _populate(client: httpx.Client) -> dict[str, str]:
    """One of each kind of row, through the API; returns the token ids the token routes name."""
    for name in ("bob", "carol"):
        ok(client.post("/rest/api/latest/admin/users", params={"name": name, "password": f"{name}-password",
                                                               "displayName": name.title(),
                                                               "emailAddress": f"{name}@example.com"}), 204)
    ok(client.post("/rest/api/latest/admin/groups", params={"name": "devs"}), 200)
    ok(client.post("/rest/api/latest/admin/groups/add-users", json={"group": "devs", "users": ["bob"]}), 200)
    ok(client.put(f"{REPO}/permissions/groups", params={"name": "devs", "permission": "REPO_WRITE"}), 204)
    ok(client.put("/rest/api/latest/projects/PRJ/permissions/users", params={"name": "carol",
                                                                            "permission": "PROJECT_READ"}), 204)
    for n in range(3):
        ok(client.post(f"{REPO}/commits/{SHA}/builds", json={"key": f"ci-{n}", "state": "SUCCESSFUL",
                                                             "url": f"https://ci.example/{n}", "name": f"Build {n}"}),
           204)
    ok(client.post(f"/rest/build-status/latest/commits/{LEGACY_SHA}", json={"key": "legacy", "state": "FAILED",
                                                                           "url": "https://ci.example/l"}), 204)
    ok(client.put(f"{INSIGHTS}/commits/{SHA}/reports/lint", json={"title": "Lint", "reporter": "flake8",
                                                                  "result": "FAIL"}), 200)
    ok(client.post(f"{INSIGHTS}/commits/{SHA}/reports/lint/annotations", json={"annotations": [
        {"message": f"issue {n}", "severity": "LOW", "line": n, "path": "src/a.py"} for n in range(5)]}), 204)
    ok(client.post("/rest/required-builds/latest/projects/PRJ/repos/repo/condition",
                   json={"buildParentKeys": ["ci-0"], "refMatcher": {"type": {"id": "ANY_REF"}}}), 200)
    ok(client.post(f"{REPO}/commits/{SHA}/deployments", json=DEPLOYMENT), 200)
    ok(client.post(f"{REPO}/commits/{SHA}/deployments", json={**DEPLOYMENT, "deploymentSequenceNumber": 8}), 200)
    ok(client.put("/rest/api/latest/admin/rate-limit/settings",
                  json={"enabled": False, "defaultSettings": {"capacity": 100, "fillRate": 10}}), 200)
    ok(client.post("/rest/api/latest/admin/rate-limit/settings/users", json={"usernames": ["bob"],
                                                                             "whitelisted": True}), 200)
    project = ok(client.put("/rest/access-tokens/latest/projects/PRJ",
                            json={"name": "p", "permissions": ["PROJECT_READ"]}), 200).json()
    repo = ok(client.put("/rest/access-tokens/latest/projects/PRJ/repos/repo",
                         json={"name": "r", "permissions": ["REPO_READ"]}), 200).json()
    # Webhooks with a delivery each (tried once, at a name that does not resolve), then made inactive: their
    # history stands still while it is copied and compared.
    hooks = {}
    for scope, path in (("repo", f"{REPO}/webhooks"), ("project", "/rest/api/latest/projects/PRJ/webhooks")):
        hooks[scope] = ok(client.post(path, json={"name": scope, "url": "https://hooks.invalid/ci",
                                                  "events": ["build:status_set"], "configuration": {"secret": "s"}}),
                          200).json()["id"]
    ok(client.post(f"{REPO}/commits/{SHA}/builds", json={"key": "hooked", "state": "FAILED",
                                                         "url": "https://ci.example/h"}), 204)
    for scope, path in (("repo", f"{HISTORY}/repos/repo/webhooks"), ("project", f"{HISTORY}/webhooks")):
        deadline = time.monotonic() + 30
        while not [d for d in client.get(f"{path}/{hooks[scope]}/deliveries").json()["values"]
                   if d["result"]["attempts"]]:
            assert time.monotonic() < deadline, "the delivery was never tried"
            time.sleep(0.1)
    for path in (f"{REPO}/webhooks/{hooks['repo']}", f"/rest/api/latest/projects/PRJ/webhooks/{hooks['project']}"):
        ok(client.put(path, json={"active": False}), 200)
    return {"project": project["id"], "repo": repo["id"], "hooks": hooks}


def _read_paths(tokens: dict[str, str], personal: str) -> list[str]:
    """Every GET route of the route table, its placeholders filled with what _populate made."""
    values = {"projectKey": "PRJ", "repositorySlug": "repo", "commitId": SHA, "key": "lint", "userSlug": "alice"}
    paths = []
    for methods, path, _route in route_table():
        if "GET" not in methods.split(",") or "/1.0/" in path or path.endswith("/events"):  # (streams never end)
            continue
        scope = "repo" if "/repos/" in path else "project"
        token = personal if "/users/" in path else tokens[scope]
        paths.append(path.format(**values, tokenId=token, webhookId=tokens["hooks"][scope]))
    return paths


def _without_sign_in_times(value):
    """lastAuthenticated moves with every read that signs in, on each server apart."""
    if isinstance(value, dict):
        return {k: _without_sign_in_times(v) for k, v in value.items() if k != "lastAuthenticated"}
    if isinstance(value, list):
        return [_without_sign_in_times(v) for v in value]
    return value


def _answer(client: httpx.Client, path: str):
    params = next((p for suffix, p in PARAMS.items() if path.endswith(suffix)), {})
    r = client.get(path, params=params)
    text = r.text.replace(str(client.base_url).rstrip("/"), "http://cairn")  # each server links to itself
    body = _without_sign_in_times(json.loads(text)) if "json" in r.headers.get("content-type", "") else text
    return r.status_code, body


def _copy(home: Path, to: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
    env["CAIRN_HOME"] = str(home)
    return subprocess.run([_cairn_command(), "copy", "--to", to], env=env, capture_output=True, text=True, timeout=120)


def test_a_copied_database_answers_every_read_as_the_original(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    name, url = create_database("cairn_copy")
    source = start_server("sqlite", home, None)
    target = None
    try:
        set_up_repository(source, (*ALICE, "Alice"))
        with httpx.Client(base_url=source.url, auth=ADMIN, timeout=30) as client:
            tokens = _populate(client)
        personal_token = access_token(source, ALICE, "mine")
        personal = httpx.get(f"{source.url}/rest/access-tokens/latest/users/alice", auth=ADMIN).json()["values"][0]

        copied = _copy(home, url)  # while the source server runs
        assert copied.returncode == 0, copied.stderr
        assert "counts verified" in copied.stdout
        assert "build_statuses: 5 rows" in copied.stderr and "insight_annotations: 5 rows" in copied.stderr
        assert "webhooks: 2 rows" in copied.stderr and "webhook_deliveries: 2 rows" in copied.stderr

        (tmp_path / "target-home").mkdir()
        target = start_server("postgresql", tmp_path / "target-home", url)
        paths = _read_paths(tokens, personal["id"])
        assert len(paths) > 40
        with httpx.Client(base_url=source.url, auth=ADMIN, timeout=30) as before, \
                httpx.Client(base_url=target.url, auth=ADMIN, timeout=30) as after:
            for path in paths:
                assert _answer(after, path) == _answer(before, path), path
            statuses = after.get(f"{REPO}/commits/{SHA}/builds").json()
            assert statuses["size"] == 4  # not a route that answers 404 on both

            # New rows of every numbered kind take ids after the copied ones (a clash would be a 500).
            ok(after.post(f"{REPO}/commits/{SHA}/deployments", json={**DEPLOYMENT, "deploymentSequenceNumber": 9}),
               200)
            ok(after.post(f"{REPO}/commits/{SHA}/builds", json={"key": "new", "state": "FAILED",
                                                                "url": "https://ci.example/new"}), 204)
            ok(after.put(f"{INSIGHTS}/commits/{SHA}/reports/cov", json={"title": "Cov", "reporter": "c"}), 200)
            ok(after.post(f"{INSIGHTS}/commits/{SHA}/reports/cov/annotations",
                          json={"annotations": [{"message": "m", "severity": "HIGH"}]}), 204)
            ok(after.post("/rest/api/latest/admin/groups", params={"name": "ops"}), 200)
            old = ok(after.get("/rest/api/latest/projects/PRJ"), 200).json()
            new = ok(after.post("/rest/api/latest/projects", json={"key": "NEW", "name": "New"}), 201).json()
            assert new["id"] > old["id"]
            ok(after.post("/rest/api/latest/projects/NEW/repos", json={"name": "fresh"}), 201)

        # Credentials came along: a password and an access token still sign in.
        assert httpx.get(f"{target.url}{REPO}/commits/{SHA}/builds", auth=ALICE).status_code == 200
        assert httpx.get(f"{target.url}{REPO}/commits/{SHA}/builds",
                         headers={"Authorization": f"Bearer {personal_token}"}).status_code == 200

        again = _copy(home, url)
        assert again.returncode != 0 and "not empty" in again.stderr and "Traceback" not in again.stderr
    finally:
        stop_server(source)
        if target is not None:
            stop_server(target)
        drop_database(name)
