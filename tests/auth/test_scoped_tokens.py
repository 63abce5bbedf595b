"""Project and repository HTTP access tokens: Bearer only, acting within their project or repository."""

import pytest

from tests.fixtures.api import SHA, assert_error

T = "/rest/access-tokens/latest/projects"
P = "/rest/api/latest/projects"
BODY = {"key": "ci", "state": "SUCCESSFUL", "url": "https://ci.example/1"}


def builds(slug: str = "repo", key: str = "PRJ") -> str:
    return f"{P}/{key}/repos/{slug}/commits/{SHA}/builds"


def bearer(secret: str) -> dict:
    return {"headers": {"Authorization": f"Bearer {secret}"}}


@pytest.fixture
def world(api):
    api.project("PRJ")
    api.repo("PRJ", "repo")
    api.repo("PRJ", "other")
    api.project("OTHER")
    api.repo("OTHER", "elsewhere")
    return api


def _create(api, path: str, permissions: list[str], **extra) -> dict:
    r = api.put(path, json={"name": "Jenkins", "permissions": permissions, **extra})
    assert r.status_code == 200, r.text
    return r.json()


def test_a_project_token_is_shown_once_and_acts_as_its_service_user(world):
    api = world
    token = _create(api, f"{T}/PRJ", ["PROJECT_READ", "REPO_WRITE"], expiryDays=30)
    assert token["name"] == "Jenkins" and token["permissions"] == ["PROJECT_READ", "REPO_WRITE"]
    assert token["expiryDays"] == 30 and token["token"].startswith("BBDC-") and len(token["id"]) == 12
    user = token["user"]
    assert user["type"] == "SERVICE" and user["name"] == f"token-{token['id']}" and user["displayName"] == "Jenkins"
    r = api.request("POST", builds(), json=BODY, **bearer(token["token"]))
    assert r.status_code == 204, r.text
    assert r.headers["x-ausername"] == user["name"]
    # Every repository of the project, and no other project's.
    assert api.request("POST", builds("other"), json=BODY, **bearer(token["token"])).status_code == 204
    assert_error(api.request("POST", builds("elsewhere", "OTHER"), json=BODY, **bearer(token["token"])), 404)
    # REPO_WRITE is not REPO_ADMIN: deleting statuses is refused.
    assert_error(api.request("DELETE", builds(), params={"key": "ci"}, **bearer(token["token"])), 401)
    # Shown once: reading it back never shows the secret.
    listed = api.get(f"{T}/PRJ").json()["values"]
    assert [t["id"] for t in listed] == [token["id"]] and "token" not in listed[0]
    assert "token" not in api.get(f"{T}/PRJ/{token['id']}").json()


def test_a_project_or_repository_token_is_refused_as_a_basic_password(world):
    api = world
    token = _create(api, f"{T}/PRJ/repos/repo", ["REPO_READ"])
    for username in (token["user"]["name"], "admin", "x-token-auth"):
        r = api.request("POST", builds(), json=BODY, auth=(username, token["token"]))
        assert_error(r, 401, "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException")
    assert api.request("POST", builds(), json=BODY, **bearer(token["token"])).status_code == 204


def test_a_repository_token_acts_within_its_repository_only(world):
    api = world
    token = _create(api, f"{T}/PRJ/repos/repo", ["REPO_ADMIN"])
    secret = token["token"]
    assert token["permissions"] == ["REPO_ADMIN"]
    assert api.request("POST", builds(), json=BODY, **bearer(secret)).status_code == 204
    assert api.request("DELETE", builds(), params={"key": "ci"}, **bearer(secret)).status_code == 204
    assert_error(api.request("POST", builds("other"), json=BODY, **bearer(secret)), 404)
    assert_error(api.request("GET", f"{P}/OTHER", **bearer(secret)), 404)
    # It may not manage tokens, its own kind or any other.
    assert_error(api.request("PUT", f"{T}/PRJ/repos/repo", json={"name": "x", "permissions": ["REPO_READ"]},
                             **bearer(secret)), 401)
    assert_error(api.request("GET", f"{T}/PRJ/repos/repo", **bearer(secret)), 401)


def test_deleting_or_expiring_a_token_stops_it_at_once(world, db_write):
    api = world
    one = _create(api, f"{T}/PRJ", ["PROJECT_READ"])
    two = _create(api, f"{T}/PRJ/repos/repo", ["REPO_READ"])
    for token in (one, two):
        assert api.request("GET", f"{P}/PRJ/repos/repo", **bearer(token["token"])).status_code == 200
    assert api.delete(f"{T}/PRJ/{one['id']}").status_code == 204
    assert_error(api.request("GET", f"{P}/PRJ/repos/repo", **bearer(one["token"])), 401)
    assert_error(api.get(f"{T}/PRJ/{one['id']}"), 404)
    db_write("UPDATE access_tokens SET expires_date = 1 WHERE id = :id", {"id": two["id"]})
    api.delete(f"{T}/PRJ/repos/repo/{'0' * 12}")  # any change on this process re-checks cached credentials
    assert_error(api.request("GET", f"{P}/PRJ/repos/repo", **bearer(two["token"])), 401)


def test_updating_a_token_changes_what_it_may_do(world):
    api = world
    token = _create(api, f"{T}/PRJ/repos/repo", ["REPO_ADMIN"])
    assert api.request("DELETE", builds(), params={"key": "x"}, **bearer(token["token"])).status_code == 204
    r = api.post(f"{T}/PRJ/repos/repo/{token['id']}", json={"permissions": ["REPO_READ"], "name": "Renamed"})
    assert r.status_code == 200, r.text
    assert r.json()["permissions"] == ["REPO_READ"] and r.json()["name"] == "Renamed"
    assert r.json()["user"]["displayName"] == "Renamed" and "token" not in r.json()
    assert_error(api.request("DELETE", builds(), params={"key": "x"}, **bearer(token["token"])), 401)
    assert api.request("POST", builds(), json=BODY, **bearer(token["token"])).status_code == 204


def test_only_an_administrator_in_person_manages_tokens(world):
    api = world
    writer = api.user("writer")
    api.grant_project("writer", "PROJECT_WRITE")
    assert_error(api.as_user(writer).put(f"{T}/PRJ", json={"name": "x", "permissions": ["PROJECT_READ"]}), 401)
    assert_error(api.as_user(writer).get(f"{T}/PRJ/repos/repo"), 401)
    stranger = api.user("stranger")
    assert_error(api.as_user(stranger).get(f"{T}/PRJ"), 404)
    personal = api.token(("admin", "admin-password"), ["PROJECT_ADMIN"])
    assert_error(api.request("PUT", f"{T}/PRJ", json={"name": "x", "permissions": ["PROJECT_READ"]},
                             **bearer(personal["token"])), 401)
    assert api.get(f"{T}/PRJ").json()["values"] == []


def test_bad_token_requests_are_refused_and_create_nothing(world):
    api = world
    for path, body, context in (
            (f"{T}/PRJ/repos/repo", {"name": "x", "permissions": ["PROJECT_READ"]}, "permissions"),
            (f"{T}/PRJ", {"name": "x", "permissions": ["SYS_ADMIN"]}, "permissions"),
            (f"{T}/PRJ", {"name": "x", "permissions": []}, "permissions"),
            (f"{T}/PRJ", {"name": " ", "permissions": ["PROJECT_READ"]}, "name"),
            (f"{T}/PRJ", {"name": "x" * 256, "permissions": ["PROJECT_READ"]}, "name"),
            (f"{T}/PRJ", {"name": "x", "permissions": ["PROJECT_READ"], "expiryDays": 0}, "expiryDays")):
        assert_error(api.put(path, json=body), 400, context=context)
    assert_error(api.put(f"{T}/NOPE", json={"name": "x", "permissions": ["PROJECT_READ"]}), 404)
    token = _create(api, f"{T}/PRJ", ["PROJECT_READ"])
    assert_error(api.post(f"{T}/PRJ/{token['id']}", json={"permissions": ["ROOT"]}), 400, context="permissions")
    assert api.get(f"{T}/PRJ/{token['id']}").json()["permissions"] == ["PROJECT_READ", "REPO_READ"]  # implied, shown
    assert [t["id"] for t in api.get(f"{T}/PRJ").json()["values"]] == [token["id"]]
    assert api.get(f"{T}/PRJ/repos/repo").json()["values"] == []
    # A project's token is not found under a repository, nor a repository's under the project.
    assert_error(api.get(f"{T}/PRJ/repos/repo/{token['id']}"), 404)


def test_service_users_are_listed_nowhere_and_go_with_their_repository(world):
    api = world
    token = _create(api, f"{T}/PRJ/repos/other", ["REPO_WRITE"])
    name = token["user"]["name"]
    assert name not in [u["name"] for u in api.get("/rest/api/latest/admin/users").json()["values"]]
    assert name not in [g["user"]["name"] for g in api.get(f"{P}/PRJ/repos/other/permissions/users").json()["values"]]
    assert_error(api.put(f"{P}/PRJ/permissions/users", params={"name": name, "permission": "PROJECT_ADMIN"}), 404)
    assert api.delete(f"{P}/PRJ/repos/other").status_code == 202
    assert_error(api.request("GET", f"{P}/PRJ", **bearer(token["token"])), 401)


def test_a_personal_token_can_be_updated(world):
    api = world
    token = api.token(("admin", "admin-password"), ["REPO_READ"])
    r = api.post(f"/rest/access-tokens/latest/users/admin/{token['id']}", json={"name": "renamed",
                                                                                 "expiryDays": 7})
    assert r.status_code == 200, r.text
    assert (r.json()["name"], r.json()["permissions"], r.json()["expiryDays"]) == ("renamed", ["REPO_READ"], 7)
    assert r.json()["user"]["type"] == "NORMAL"


def test_last_authentication_is_recorded_in_batches_not_per_request(world, api):
    from cairn.app import record_batches
    project = _create(api, f"{T}/PRJ", ["PROJECT_READ"])
    personal = api.token(("admin", "admin-password"), ["REPO_READ"])
    assert "lastAuthenticated" not in api.get(f"{T}/PRJ/{project['id']}").json()
    for token in (project, personal):
        for _ in range(3):
            assert api.request("GET", f"{P}/PRJ/repos/repo", **bearer(token["token"])).status_code == 200
    assert "lastAuthenticated" not in api.get(f"{T}/PRJ/{project['id']}").json()  # nothing written yet
    api.client.portal.call(record_batches, api.client.app)
    used = api.get(f"{T}/PRJ/{project['id']}").json()["lastAuthenticated"]
    assert used >= project["createdDate"]
    mine = api.get(f"/rest/access-tokens/latest/users/admin/{personal['id']}").json()
    assert mine["lastAuthenticated"] >= personal["createdDate"]
