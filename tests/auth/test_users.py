"""Users through /rest/api/{1.0,latest}/admin/users: system administrators only."""

import time

import pytest

from tests.fixtures.api import assert_error

U = "/rest/api/latest/admin/users"
BASE = "http://cairn.test:7990/bitbucket"
AUTHZ = "com.atlassian.bitbucket.AuthorisationException"
NEW = {"name": "alice", "password": "s3cret!", "displayName": "Alice Liddell", "emailAddress": "alice@example.com"}


def _names(api, **params) -> list[str]:
    return [u["name"] for u in api.get(U, params=params).json()["values"]]


def test_create_answers_204_and_the_user_can_sign_in(api):
    r = api.post(U, params=NEW)
    assert r.status_code == 204 and r.content == b""
    r = api.as_user(("alice", "s3cret!")).get("/rest/api/latest/projects")
    assert r.status_code == 200
    assert r.headers["x-ausername"] == "alice"
    (alice,) = [u for u in api.get(U).json()["values"] if u["name"] == "alice"]
    assert alice == {"name": "alice", "emailAddress": "alice@example.com", "active": True,
                     "displayName": "Alice Liddell", "id": alice["id"], "slug": "alice", "type": "NORMAL",
                     "links": {"self": [{"href": f"{BASE}/users/alice"}]},
                     "directoryName": alice["directoryName"], "deletable": True, "mutableDetails": True,
                     "mutableGroups": True}
    assert isinstance(alice["id"], int)
    assert r.headers["x-auserid"] == str(alice["id"])


def test_create_answers_under_1_0(api):
    assert api.post("/rest/api/1.0/admin/users", params=NEW).status_code == 204
    assert "alice" in _names(api)


def test_slug_is_the_lower_cased_name(api):
    assert api.post(U, params={**NEW, "name": "Jane.Doe"}).status_code == 204
    (jane,) = [u for u in api.get(U).json()["values"] if u["name"] == "Jane.Doe"]
    assert jane["slug"] == "jane.doe"


def test_distinct_names_sharing_a_slug_both_get_one(api):
    assert api.post(U, params={**NEW, "name": "jürgen"}).status_code == 204
    assert api.post(U, params={**NEW, "name": "jörgen", "password": "other"}).status_code == 204
    slugs = {u["name"]: u["slug"] for u in api.get(U).json()["values"]}
    assert slugs["jürgen"] == "j_rgen" and slugs["jörgen"] not in ("j_rgen", "")
    # Each slug names its own user.
    for name, slug in slugs.items():
        r = api.put(f"/rest/access-tokens/latest/users/{slug}", json={"name": "t", "permissions": ["REPO_READ"]})
        assert r.status_code == 200 and r.json()["user"]["name"] == name, r.text


def test_duplicate_name_is_409(api):
    api.post(U, params=NEW)
    assert_error(api.post(U, params={**NEW, "password": "other"}), 409,
                 "com.atlassian.bitbucket.user.DuplicateUserException")
    # Same name in another case would have the same slug.
    assert_error(api.post(U, params={**NEW, "name": "ALICE"}), 409)
    # The first password still works.
    assert api.as_user(("alice", "s3cret!")).get(U.replace("admin/users", "projects")).status_code == 200
    assert _names(api).count("alice") == 1


@pytest.mark.parametrize("missing", ["name", "password", "displayName", "emailAddress"])
def test_each_field_is_required(api, missing):
    params = {k: v for k, v in NEW.items() if k != missing}
    assert_error(api.post(U, params=params), 400, context=missing)
    assert_error(api.post(U, params={**params, missing: ""}), 400, context=missing)
    assert _names(api) == ["admin"]


@pytest.mark.parametrize("field,value", [("name", "has space"), ("name", "a/b"), ("name", "x" * 256),
                                         ("emailAddress", "not-an-email"), ("displayName", "d" * 256)])
def test_bad_values_are_400(api, field, value):
    assert_error(api.post(U, params={**NEW, field: value}), 400, context=field)
    assert _names(api) == ["admin"]


def test_list_is_paged_and_filtered(api):
    for name in ("carol", "bob", "dave"):
        api.user(name)
    page = api.get(U, params={"limit": 2}).json()
    assert [u["name"] for u in page["values"]] == ["admin", "bob"]
    assert page["isLastPage"] is False and page["nextPageStart"] == 2
    page = api.get(U, params={"start": 2, "limit": 2}).json()
    assert [u["name"] for u in page["values"]] == ["carol", "dave"] and page["isLastPage"] is True
    assert _names(api, filter="CAR") == ["carol"]
    assert _names(api, filter="dave@example") == ["dave"]
    assert _names(api, filter="_") == []  # LIKE wildcards in the filter are plain characters
    assert _names(api, filter="%") == []


def test_delete_returns_the_deleted_user_and_removes_them(api, db):
    api.user("bob")
    api.project("PRJ")
    api.grant_project("bob", "PROJECT_READ")
    r = api.delete(U, params={"name": "bob"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["name"], body["slug"], body["displayName"], body["emailAddress"]) == (
        "bob", "bob", "Bob", "bob@example.com")
    assert "bob" not in _names(api)
    assert db("SELECT count(*) FROM users WHERE name = 'bob'")[0][0] == 0
    assert_error(api.delete(U, params={"name": "bob"}), 404, "com.atlassian.bitbucket.user.NoSuchUserException")
    assert_error(api.delete(U), 400, context="name")


def test_a_deleted_user_can_no_longer_sign_in(api):
    bob = api.user("bob")
    assert api.as_user(bob).get("/rest/api/latest/projects").status_code == 200
    assert api.delete(U, params={"name": "bob"}).status_code == 200
    time.sleep(0.6)  # past the credential cache
    assert_error(api.as_user(bob).get("/rest/api/latest/projects"), 401,
                 "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException")


def test_an_administrator_cannot_delete_themselves(api):
    assert_error(api.delete(U, params={"name": "admin"}), 409)
    assert "admin" in _names(api)
    assert api.get(U).status_code == 200


@pytest.mark.parametrize("permission", [None, "PROJECT_CREATE", "ADMIN"])
def test_only_system_administrators_manage_users(api, permission):
    caller = api.user("caller", permission=permission)
    api.user("victim")
    as_caller = api.as_user(caller)
    assert_error(as_caller.post(U, params=NEW), 401, AUTHZ)
    assert_error(as_caller.get(U), 401, AUTHZ)
    assert_error(as_caller.delete(U, params={"name": "victim"}), 401, AUTHZ)
    assert "victim" in _names(api) and "alice" not in _names(api)
    anonymous = api.as_user(None)
    for r in (anonymous.post(U, params=NEW), anonymous.get(U), anonymous.delete(U, params={"name": "victim"})):
        assert_error(r, 401, "com.atlassian.plugins.rest.common.security.AuthenticationRequiredException")


def test_another_system_administrator_may_manage_users(api):
    root = api.user("root", permission="SYS_ADMIN")
    assert api.as_user(root).post(U, params=NEW).status_code == 204
    assert api.as_user(root).delete(U, params={"name": "alice"}).status_code == 200
