"""Two `cairn serve` processes on one PostgreSQL: a change made through one (a group membership, a grant, a
deleted or expired token) applies on the other within CAIRN_AUTH_CACHE_SECONDS (1 s here), and neither
process writes a secret to its output."""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.fixtures.postgres import PG_URL, create_database, drop_database
from tests.fixtures.server import ADMIN, start_server, stop_server

pytestmark = pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (CAIRN_TEST_POSTGRES_URL)")
SHA = "0123456789abcdef0123456789abcdef01234567"
REPO = "/rest/api/latest/projects/PRJ/repos/repo"
SECRET_PASSWORD = "alice-secret-passw0rd"


@pytest.fixture(scope="module")
def pair(tmp_path_factory):
    name, url = create_database("cairn_two")
    servers = []
    try:
        for label in ("a", "b"):
            servers.append(start_server("postgresql", tmp_path_factory.mktemp(f"cairn-{label}"), url))
        yield servers[0].url, servers[1].url, url, servers
    finally:
        for srv in servers:
            stop_server(srv)
        drop_database(name)


def _eventually(check, seconds: float = 4.0) -> None:
    """`check()` holds within `seconds` (the other process re-checks after its 1 s cache)."""
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "the other process did not see the change in time"
        time.sleep(0.1)


def _sql(url: str, statement: str) -> None:
    async def run():
        import asyncpg
        conn = await asyncpg.connect(url)
        try:
            await conn.execute(statement)
        finally:
            await conn.close()
    asyncio.run(run())


def test_groups_and_tokens_apply_across_processes_and_no_secret_is_logged(pair):
    a_url, b_url, db_url, servers = pair
    a, b = httpx.Client(base_url=a_url, auth=ADMIN), httpx.Client(base_url=b_url, auth=ADMIN)
    assert a.post("/rest/api/latest/projects", json={"key": "PRJ", "name": "P"}).status_code == 201
    for slug in ("repo", "other"):
        assert a.post("/rest/api/latest/projects/PRJ/repos", json={"name": slug}).status_code == 201
    assert a.post("/rest/api/latest/admin/users", params={"name": "alice", "password": SECRET_PASSWORD,
                                                          "displayName": "A", "emailAddress": "a@x"}).status_code == 204
    assert a.post("/rest/api/latest/admin/groups", params={"name": "ci"}).status_code == 200
    r = a.post("/rest/api/latest/admin/groups/add-user", json={"context": "ci", "itemName": "alice"})
    assert r.status_code == 200
    assert a.put(f"{REPO}/permissions/groups", params={"name": "ci", "permission": "REPO_WRITE"}).status_code == 204
    token = a.put("/rest/access-tokens/latest/projects/PRJ/repos/repo",
                  json={"name": "jenkins", "permissions": ["REPO_READ"]}).json()
    bearer = {"Authorization": f"Bearer {token['token']}"}
    alice = ("alice", SECRET_PASSWORD)

    # Group inheritance and token scoping, seen from the other process.
    assert httpx.get(f"{b_url}{REPO}", auth=alice).status_code == 200
    build = {"key": "k", "state": "SUCCESSFUL", "url": "https://ci.example/1"}
    assert httpx.post(f"{b_url}{REPO}/commits/{SHA}/builds", json=build, headers=bearer).status_code == 204
    assert httpx.get(f"{b_url}/rest/api/latest/projects/PRJ/repos/other", headers=bearer).status_code == 404
    assert httpx.get(f"{b_url}{REPO}", auth=("token-" + token["id"], token["token"])).status_code == 401

    # Leaving the group: refused on A at once, on B within the cache time.
    assert a.post("/rest/api/latest/admin/groups/remove-user",
                  json={"context": "ci", "itemName": "alice"}).status_code == 200
    assert httpx.get(f"{a_url}{REPO}", auth=alice).status_code == 404
    _eventually(lambda: httpx.get(f"{b_url}{REPO}", auth=alice).status_code == 404)

    # An expired token (the clock moved past it): refused by both.
    _sql(db_url, f"UPDATE access_tokens SET expires_date = 1 WHERE id = '{token['id']}'")
    _eventually(lambda: httpx.get(f"{a_url}{REPO}", headers=bearer).status_code == 401)
    _eventually(lambda: httpx.get(f"{b_url}{REPO}", headers=bearer).status_code == 401)

    # A deleted token: at once on the process that deleted it, within the cache time on the other.
    second = b.put("/rest/access-tokens/latest/projects/PRJ", json={"name": "deploy",
                                                                    "permissions": ["PROJECT_READ"]}).json()
    other_bearer = {"Authorization": f"Bearer {second['token']}"}
    assert httpx.get(f"{a_url}{REPO}", headers=other_bearer).status_code == 200
    assert httpx.get(f"{b_url}{REPO}", headers=other_bearer).status_code == 200
    assert a.delete(f"/rest/access-tokens/latest/projects/PRJ/{second['id']}").status_code == 204
    assert httpx.get(f"{a_url}{REPO}", headers=other_bearer).status_code == 401
    _eventually(lambda: httpx.get(f"{b_url}{REPO}", headers=other_bearer).status_code == 401)

    # Wrong secrets too: nothing any caller sent as a secret appears in either process's output.
    httpx.get(f"{a_url}{REPO}", auth=("alice", "wrong-" + SECRET_PASSWORD))
    httpx.get(f"{b_url}{REPO}", headers={"Authorization": "Bearer BBDC-not-a-token-at-all"})
    for srv in servers:
        output = srv.log_text()
        for secret in (SECRET_PASSWORD, token["token"], second["token"], "BBDC-not-a-token-at-all"):
            assert secret not in output, f"a secret reached {srv.url}'s output"
