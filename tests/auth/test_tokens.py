"""Personal access tokens: create (secret shown once), list, get, delete, use, caps, expiry, revocation."""

import base64
import hashlib
import time

import pytest

from tests.fixtures.api import SHA, assert_error

T = "/rest/access-tokens/latest/users"
P = "/rest/api/latest/projects"
BUILDS = f"{P}/PRJ/repos/repo/commits/{SHA}/builds"
BASE = "http://cairn.test:7990/bitbucket"
INCORRECT = "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"
AUTHZ = "com.atlassian.bitbucket.AuthorisationException"
TTL = 0.6


def bearer(secret: str) -> dict:
    return {"Authorization": f"Bearer {secret}"}


def basic(user: str, secret: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()}


@pytest.fixture
def repo(api):
    api.project("PRJ")
    api.repo("PRJ", "repo")


def _post_build(api, headers, key="K") -> int:
    return api.post(BUILDS, headers=headers, json={"key": key, "state": "SUCCESSFUL", "url": "http://ci/1"}).status_code


def test_create_returns_the_secret_once(api):
    alice = api.user("alice")
    r = api.as_user(alice).put(f"{T}/alice", json={"name": "CI token", "permissions": ["REPO_WRITE", "PROJECT_READ"]})
    assert r.status_code == 200, r.text
    created = r.json()
    assert set(created) == {"id", "createdDate", "name", "permissions", "user", "token"}
    assert created["name"] == "CI token"
    assert created["id"].isdigit()
    assert sorted(created["permissions"]) == ["PROJECT_READ", "REPO_WRITE"]
    assert created["user"]["name"] == "alice"
    assert created["user"]["links"] == {"self": [{"href": f"{BASE}/users/alice"}]}
    assert "T" in created["createdDate"]  # an ISO date-time, as the OpenAPI file says
    assert len(created["token"]) >= 32
    # Never again: not in the list, not in the single GET.
    listed = api.as_user(alice).get(f"{T}/alice").json()
    assert listed["size"] == 1 and listed["isLastPage"] is True
    (entry,) = listed["values"]
    assert "token" not in entry
    assert entry == {k: v for k, v in created.items() if k != "token"}
    one = api.as_user(alice).get(f"{T}/alice/{created['id']}")
    assert one.status_code == 200 and one.json() == entry
    assert created["token"] not in one.text + api.as_user(alice).get(f"{T}/alice").text


def test_create_with_expiry_shows_it(api):
    alice = api.user("alice")
    body = api.token(alice, ["REPO_READ"], expiryDays=30)
    assert body["expiryDays"] == 30
    assert body["expiryDate"] > body["createdDate"]


def test_token_endpoints_answer_under_1_0(api):
    alice = api.user("alice")
    r = api.as_user(alice).put("/rest/access-tokens/1.0/users/alice", json={"name": "t", "permissions": ["REPO_READ"]})
    assert r.status_code == 200
    token_id = r.json()["id"]
    assert api.as_user(alice).get(f"/rest/access-tokens/1.0/users/alice/{token_id}").status_code == 200
    assert api.as_user(alice).delete(f"/rest/access-tokens/1.0/users/alice/{token_id}").status_code == 204


@pytest.mark.parametrize("body,context", [
    ({"permissions": ["REPO_READ"]}, "name"),
    ({"name": "", "permissions": ["REPO_READ"]}, "name"),
    ({"name": "t"}, "permissions"),
    ({"name": "t", "permissions": []}, "permissions"),
    ({"name": "t", "permissions": ["REPO_SUPER"]}, "permissions"),
    ({"name": "t", "permissions": ["ADMIN"]}, "permissions"),
    ({"name": "t", "permissions": ["REPO_READ"], "expiryDays": 0}, "expiryDays"),
    ({"name": "t", "permissions": ["REPO_READ"], "expiryDays": "soon"}, "expiryDays"),
    ({"name": "x" * 256, "permissions": ["REPO_READ"]}, "name"),
])
def test_bad_requests_are_400_and_store_nothing(api, db, body, context):
    alice = api.user("alice")
    assert_error(api.as_user(alice).put(f"{T}/alice", json=body), 400, context=context)
    assert db("SELECT count(*) FROM access_tokens")[0][0] == 0


def test_only_the_owner_or_an_administrator_manages_tokens(api):
    alice = api.user("alice")
    bob = api.user("bob")
    token = api.token(alice, ["REPO_READ"])
    as_bob = api.as_user(bob)
    assert_error(as_bob.put(f"{T}/alice", json={"name": "t", "permissions": ["REPO_READ"]}), 401, AUTHZ)
    assert_error(as_bob.get(f"{T}/alice"), 401, AUTHZ)
    assert_error(as_bob.get(f"{T}/alice/{token['id']}"), 401, AUTHZ)
    assert_error(as_bob.delete(f"{T}/alice/{token['id']}"), 401, AUTHZ)
    assert_error(api.as_user(None).get(f"{T}/alice"), 401,
                 "com.atlassian.plugins.rest.common.security.AuthenticationRequiredException")
    # Bob's own list does not show Alice's token; the administrator sees and manages it.
    assert as_bob.get(f"{T}/bob").json()["values"] == []
    assert [t["id"] for t in api.get(f"{T}/alice").json()["values"]] == [token["id"]]
    r = api.put(f"{T}/alice", json={"name": "made by admin", "permissions": ["REPO_READ"]})
    assert r.status_code == 200 and r.json()["user"]["name"] == "alice"
    assert api.delete(f"{T}/alice/{token['id']}").status_code == 204


def test_missing_user_or_token_is_404(api):
    alice = api.user("alice")
    assert_error(api.put(f"{T}/ghost", json={"name": "t", "permissions": ["REPO_READ"]}), 404,
                 "com.atlassian.bitbucket.user.NoSuchUserException")
    assert_error(api.get(f"{T}/ghost"), 404)
    assert_error(api.as_user(alice).get(f"{T}/alice/123456789012"), 404)
    assert_error(api.as_user(alice).delete(f"{T}/alice/123456789012"), 404)
    # Another user's token id under one's own name is not found either.
    bobs = api.token(api.user("bob"), ["REPO_READ"])
    assert_error(api.as_user(alice).get(f"{T}/alice/{bobs['id']}"), 404)


def test_list_is_paged(api):
    alice = api.user("alice")
    ids = {api.token(alice, ["REPO_READ"])["id"] for _ in range(3)}
    first = api.as_user(alice).get(f"{T}/alice", params={"limit": 2}).json()
    assert first["size"] == 2 and first["isLastPage"] is False and first["nextPageStart"] == 2
    rest = api.as_user(alice).get(f"{T}/alice", params={"start": 2}).json()
    assert rest["isLastPage"] is True
    assert {t["id"] for t in first["values"] + rest["values"]} == ids


def test_a_token_works_as_bearer_and_as_the_basic_password(api, repo):
    alice = api.user("alice")
    api.grant_repo("alice", "REPO_WRITE")
    secret = api.token(alice, ["REPO_WRITE"])["token"]
    for headers in (bearer(secret), basic("alice", secret)):
        r = api.get(f"{P}/PRJ/repos/repo", headers=headers)
        assert r.status_code == 200, r.text
        assert r.headers["x-ausername"] == "alice"
        assert _post_build(api, headers) == 204
    # Not with another user's name, and not with a mangled secret.
    api.user("bob")
    assert_error(api.get(f"{P}/PRJ/repos/repo", headers=basic("bob", secret)), 401, INCORRECT)
    assert_error(api.get(f"{P}/PRJ/repos/repo", headers=bearer(secret + "x")), 401, INCORRECT)
    assert_error(api.get(f"{P}/PRJ/repos/repo", headers=bearer(secret[:-1])), 401, INCORRECT)


def test_token_permissions_cap_the_owner(api, repo):
    # The administrator may do anything; a REPO_READ token of theirs may only read.
    secret = api.token(("admin", "admin-password"), ["REPO_READ"])["token"]
    assert api.get(f"{P}/PRJ/repos/repo", headers=bearer(secret)).status_code == 200
    assert _post_build(api, bearer(secret)) == 204  # posting a build status needs only REPO_READ
    assert_error(api.delete(BUILDS, params={"key": "K"}, headers=bearer(secret)), 401, AUTHZ)
    assert api.get(BUILDS, params={"key": "K"}).status_code == 200  # still there
    assert_error(api.put(f"{P}/PRJ/repos/repo", json={"description": "x"}, headers=bearer(secret)), 401, AUTHZ)
    assert_error(api.delete(f"{P}/PRJ/repos/repo", headers=bearer(secret)), 401, AUTHZ)
    # A token never carries its owner's administration of the instance.
    assert_error(api.get("/rest/api/latest/admin/users", headers=bearer(secret)), 401, AUTHZ)
    assert_error(api.post(P, json={"key": "NEW", "name": "New"}, headers=bearer(secret)), 401, AUTHZ)
    # It still sees the project the repository lives in.
    assert api.get(f"{P}/PRJ", headers=bearer(secret)).status_code == 200
    assert [r["slug"] for r in api.get(f"{P}/PRJ/repos", headers=bearer(secret)).json()["values"]] == ["repo"]


def test_repo_admin_token_of_an_admin_may_delete(api, repo):
    secret = api.token(("admin", "admin-password"), ["REPO_ADMIN"])["token"]
    assert _post_build(api, bearer(secret)) == 204
    assert api.delete(BUILDS, params={"key": "K"}, headers=bearer(secret)).status_code == 204


def test_project_admin_token_implies_repo_admin(api, repo):
    secret = api.token(("admin", "admin-password"), ["PROJECT_ADMIN"])["token"]
    assert api.delete(BUILDS, params={"key": "K"}, headers=bearer(secret)).status_code == 204
    assert api.put(f"{P}/PRJ", json={"description": "d"}, headers=bearer(secret)).status_code == 200


def test_a_token_cannot_exceed_its_owner(api, repo):
    alice = api.user("alice")
    api.grant_repo("alice", "REPO_READ")
    secret = api.token(alice, ["REPO_ADMIN", "PROJECT_ADMIN"])["token"]
    assert _post_build(api, bearer(secret)) == 204
    assert_error(api.delete(BUILDS, params={"key": "K"}, headers=bearer(secret)), 401, AUTHZ)
    # Nor does it reach repositories the owner cannot read.
    api.repo("PRJ", "other")
    assert_error(api.get(f"{P}/PRJ/repos/other", headers=bearer(secret)), 404,
                 "com.atlassian.bitbucket.repository.NoSuchRepositoryException")


def test_secrets_are_stored_only_as_hashes(api, db):
    alice = api.user("alice")
    secret = api.token(alice, ["REPO_READ"])["token"]
    rows = db("SELECT * FROM access_tokens")
    assert len(rows) == 1
    assert not any(secret in str(value) for value in rows[0])
    (stored,) = db("SELECT secret_hash FROM access_tokens")[0]
    assert stored == hashlib.sha256(secret.encode()).hexdigest()


def test_two_tokens_have_different_secrets(api):
    alice = api.user("alice")
    assert api.token(alice, ["REPO_READ"])["token"] != api.token(alice, ["REPO_READ"])["token"]


def test_a_revoked_token_stops_working_within_a_second(api, repo):
    alice = api.user("alice")
    api.grant_repo("alice", "REPO_READ")
    token = api.token(alice, ["REPO_READ"])
    for headers in (bearer(token["token"]), basic("alice", token["token"])):
        assert api.get(f"{P}/PRJ/repos/repo", headers=headers).status_code == 200  # cached now
    r = api.as_user(alice).delete(f"{T}/alice/{token['id']}")
    assert r.status_code == 204 and r.content == b""
    assert_error(api.as_user(alice).get(f"{T}/alice/{token['id']}"), 404)
    time.sleep(TTL)
    for headers in (bearer(token["token"]), basic("alice", token["token"])):
        assert_error(api.get(f"{P}/PRJ/repos/repo", headers=headers), 401, INCORRECT)
    # The password still works.
    assert api.as_user(alice).get(f"{P}/PRJ/repos/repo").status_code == 200


def test_an_expired_token_is_refused(api, repo, db_write):
    alice = api.user("alice")
    api.grant_repo("alice", "REPO_READ")
    token = api.token(alice, ["REPO_READ"], expiryDays=1)
    assert api.get(f"{P}/PRJ/repos/repo", headers=bearer(token["token"])).status_code == 200
    past = int(time.time() * 1000) - 1000
    db_write("UPDATE access_tokens SET expires_date = :past WHERE id = :id", {"past": past, "id": token["id"]})
    time.sleep(TTL)
    assert_error(api.get(f"{P}/PRJ/repos/repo", headers=bearer(token["token"])), 401, INCORRECT)
    assert_error(api.get(f"{P}/PRJ/repos/repo", headers=basic("alice", token["token"])), 401, INCORRECT)


def test_deleting_the_owner_revokes_their_tokens(api, db):
    alice = api.user("alice")
    secret = api.token(alice, ["REPO_READ"])["token"]
    assert api.get(P, headers=bearer(secret)).status_code == 200
    assert api.delete("/rest/api/latest/admin/users", params={"name": "alice"}).status_code == 200
    assert db("SELECT count(*) FROM access_tokens")[0][0] == 0
    time.sleep(TTL)
    assert_error(api.get(P, headers=bearer(secret)), 401, INCORRECT)
