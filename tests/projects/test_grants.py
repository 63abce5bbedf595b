"""Permission grants on projects and repositories, and how they imply each other."""

import pytest

from tests.fixtures.api import SHA, assert_error

P = "/rest/api/latest/projects"
BASE = "http://cairn.test:7990/bitbucket"
AUTHZ = "com.atlassian.bitbucket.AuthorisationException"
NO_USER = "com.atlassian.bitbucket.user.NoSuchUserException"
BUILDS = f"{P}/PRJ/repos/{{slug}}/commits/{SHA}/builds"


@pytest.fixture
def world(api):
    api.project("PRJ")
    api.repo("PRJ", "one")
    api.repo("PRJ", "two")
    return api


def _can(api, user, method, path, **kw) -> int:
    return api.as_user(user).request(method, path, **kw).status_code


def _grants(api, path) -> dict[str, str]:
    """user name -> permission, leaving out the administrator who created the project (and so administers it)."""
    return {v["user"]["name"]: v["permission"] for v in api.get(f"{P}/{path}").json()["values"]
            if v["user"]["name"] != "admin"}


def test_the_creator_of_a_project_administers_it(world):
    values = world.get(f"{P}/PRJ/permissions/users").json()["values"]
    assert [(v["user"]["name"], v["permission"]) for v in values] == [("admin", "PROJECT_ADMIN")]


def test_project_grant_roundtrip(world):
    api = world
    api.user("alice")
    r = api.put(f"{P}/PRJ/permissions/users", params={"name": "alice", "permission": "PROJECT_WRITE"})
    assert r.status_code == 204 and r.content == b""
    page = api.get(f"{P}/PRJ/permissions/users").json()
    assert page["isLastPage"] is True and page["size"] == 2
    (entry,) = [v for v in page["values"] if v["user"]["name"] == "alice"]
    assert entry["permission"] == "PROJECT_WRITE"
    user = entry["user"]
    assert {k: user[k] for k in ("name", "slug", "displayName", "emailAddress", "active", "type")} == {
        "name": "alice", "slug": "alice", "displayName": "Alice", "emailAddress": "alice@example.com",
        "active": True, "type": "NORMAL"}
    assert user["links"] == {"self": [{"href": f"{BASE}/users/alice"}]}
    # Granting again replaces the level.
    api.grant_project("alice", "PROJECT_READ")
    assert _grants(api, "PRJ/permissions/users") == {"alice": "PROJECT_READ"}
    r = api.delete(f"{P}/PRJ/permissions/users", params={"name": "alice"})
    assert r.status_code == 204
    assert _grants(api, "PRJ/permissions/users") == {}


def test_repository_grant_roundtrip(world):
    api = world
    api.user("bob")
    r = api.put(f"{P}/PRJ/repos/one/permissions/users", params={"name": "bob", "permission": "REPO_ADMIN"})
    assert r.status_code == 204
    values = api.get(f"{P}/PRJ/repos/one/permissions/users").json()["values"]
    assert [(v["user"]["name"], v["permission"]) for v in values] == [("bob", "REPO_ADMIN")]
    assert api.get(f"{P}/PRJ/repos/two/permissions/users").json()["values"] == []
    assert api.delete(f"{P}/PRJ/repos/one/permissions/users", params={"name": "bob"}).status_code == 204
    assert api.get(f"{P}/PRJ/repos/one/permissions/users").json()["values"] == []


def test_several_users_in_one_put(world):
    api = world
    api.user("ann")
    api.user("ben")
    r = api.put(f"{P}/PRJ/permissions/users", params=[("name", "ann"), ("name", "ben"),
                                                       ("permission", "PROJECT_READ")])
    assert r.status_code == 204
    assert _grants(api, "PRJ/permissions/users") == {"ann": "PROJECT_READ", "ben": "PROJECT_READ"}


@pytest.mark.parametrize("path,permission", [
    ("PRJ/permissions/users", "REPO_READ"),
    ("PRJ/permissions/users", "project_read"),
    ("PRJ/permissions/users", "ADMIN"),
    ("PRJ/permissions/users", None),
    ("PRJ/repos/one/permissions/users", "PROJECT_READ"),
    ("PRJ/repos/one/permissions/users", "REPO_SUPER"),
])
def test_bad_permission_name_is_400_and_nothing_is_granted(world, db, path, permission):
    api = world
    api.user("alice")
    params = {"name": "alice"} | ({"permission": permission} if permission else {})
    assert_error(api.put(f"{P}/{path}", params=params), 400, context="permission")
    assert db("SELECT count(*) FROM project_permissions WHERE user_id <> "
              "(SELECT id FROM users WHERE name = 'admin')")[0][0] == 0
    assert db("SELECT count(*) FROM repository_permissions")[0][0] == 0


def test_unknown_or_missing_user_is_404_or_400(world):
    api = world
    error = assert_error(api.put(f"{P}/PRJ/permissions/users", params={"name": "ghost", "permission": "PROJECT_READ"}),
                         404, NO_USER)
    assert "ghost" in error["message"]
    assert_error(api.put(f"{P}/PRJ/repos/one/permissions/users",
                         params={"name": "ghost", "permission": "REPO_READ"}), 404, NO_USER)
    assert_error(api.delete(f"{P}/PRJ/permissions/users", params={"name": "ghost"}), 404, NO_USER)
    assert_error(api.put(f"{P}/PRJ/permissions/users", params={"permission": "PROJECT_READ"}), 400, context="name")
    assert_error(api.delete(f"{P}/PRJ/permissions/users"), 400, context="name")


def test_grants_on_missing_project_or_repository_are_404(world):
    api = world
    api.user("alice")
    assert_error(api.put(f"{P}/NOPE/permissions/users", params={"name": "alice", "permission": "PROJECT_READ"}),
                 404, "com.atlassian.bitbucket.project.NoSuchProjectException")
    assert_error(api.get(f"{P}/PRJ/repos/nope/permissions/users"), 404,
                 "com.atlassian.bitbucket.repository.NoSuchRepositoryException")


def test_project_read_implies_repo_read_on_every_repository(world):
    api = world
    alice = api.user("alice")
    api.repo("PRJ", "three")  # created after the grant still counts
    api.grant_project("alice", "PROJECT_READ")
    api.repo("PRJ", "four")
    for slug in ("one", "two", "three", "four"):
        assert _can(api, alice, "GET", f"{P}/PRJ/repos/{slug}") == 200
    # REPO_READ is enough to post a build status, not to delete one.
    assert _can(api, alice, "POST", BUILDS.format(slug="one"),
                json={"key": "K", "state": "SUCCESSFUL", "url": "http://ci"}) == 204
    assert_error(api.as_user(alice).delete(BUILDS.format(slug="one"), params={"key": "K"}), 401, AUTHZ)
    assert_error(api.as_user(alice).put(f"{P}/PRJ/repos/one", json={"description": "x"}), 401, AUTHZ)
    # Not another project's.
    api.project("ELSE")
    api.repo("ELSE", "one")
    assert_error(api.as_user(alice).get(f"{P}/ELSE/repos/one"), 404,
                 "com.atlassian.bitbucket.project.NoSuchProjectException")


def test_project_admin_implies_repo_admin_on_every_repository(world):
    api = world
    alice = api.user("alice")
    api.grant_project("alice", "PROJECT_ADMIN")
    for slug in ("one", "two"):
        assert _can(api, alice, "DELETE", BUILDS.format(slug=slug), params={"key": "K"}) == 204
        assert _can(api, alice, "GET", f"{P}/PRJ/repos/{slug}/permissions/users") == 200
    # A project administrator manages the project's grants.
    api.user("bob")
    assert _can(api, alice, "PUT", f"{P}/PRJ/permissions/users",
                params={"name": "bob", "permission": "PROJECT_READ"}) == 204


def test_the_higher_of_project_and_repository_grant_wins(world):
    api = world
    alice = api.user("alice")
    api.grant_project("alice", "PROJECT_READ")
    api.grant_repo("alice", "REPO_ADMIN", slug="two")
    assert_error(api.as_user(alice).delete(BUILDS.format(slug="one"), params={"key": "K"}), 401, AUTHZ)
    assert _can(api, alice, "DELETE", BUILDS.format(slug="two"), params={"key": "K"}) == 204
    # A lower repository grant does not take away what the project grants.
    api.grant_project("alice", "PROJECT_ADMIN")
    api.grant_repo("alice", "REPO_READ", slug="one")
    assert _can(api, alice, "DELETE", BUILDS.format(slug="one"), params={"key": "K"}) == 204


def test_revoking_takes_access_away(world):
    api = world
    alice = api.user("alice")
    api.grant_repo("alice", "REPO_READ", slug="one")
    assert _can(api, alice, "GET", f"{P}/PRJ/repos/one") == 200
    assert api.delete(f"{P}/PRJ/repos/one/permissions/users", params={"name": "alice"}).status_code == 204
    assert_error(api.as_user(alice).get(f"{P}/PRJ/repos/one"), 404)


def test_managing_grants_needs_admin_on_the_target(world):
    api = world
    writer = api.user("writer")
    api.user("victim")
    api.grant_project("writer", "PROJECT_WRITE")
    as_writer = api.as_user(writer)
    assert_error(as_writer.get(f"{P}/PRJ/permissions/users"), 401, AUTHZ)
    assert_error(as_writer.put(f"{P}/PRJ/permissions/users", params={"name": "victim", "permission": "PROJECT_READ"}),
                 401, AUTHZ)
    assert_error(as_writer.delete(f"{P}/PRJ/permissions/users", params={"name": "writer"}), 401, AUTHZ)
    assert_error(as_writer.put(f"{P}/PRJ/repos/one/permissions/users",
                               params={"name": "victim", "permission": "REPO_READ"}), 401, AUTHZ)
    # A repository administrator manages that repository's grants only.
    api.grant_repo("writer", "REPO_ADMIN", slug="one")
    assert _can(api, writer, "PUT", f"{P}/PRJ/repos/one/permissions/users",
                params={"name": "victim", "permission": "REPO_READ"}) == 204
    assert_error(as_writer.put(f"{P}/PRJ/repos/two/permissions/users",
                               params={"name": "victim", "permission": "REPO_READ"}), 401, AUTHZ)
    assert_error(api.as_user(None).get(f"{P}/PRJ/permissions/users"), 401,
                 "com.atlassian.plugins.rest.common.security.AuthenticationRequiredException")


def test_deleting_a_user_removes_their_grants(world, db):
    api = world
    api.user("alice")
    api.grant_project("alice", "PROJECT_READ")
    api.grant_repo("alice", "REPO_ADMIN", slug="one")
    assert api.delete("/rest/api/latest/admin/users", params={"name": "alice"}).status_code == 200
    assert _grants(api, "PRJ/permissions/users") == {}
    assert _grants(api, "PRJ/repos/one/permissions/users") == {}
    assert db("SELECT count(*) FROM repository_permissions")[0][0] == 0
    assert db("SELECT count(*) FROM project_permissions")[0][0] == 1  # the administrator's


def test_grants_answer_under_1_0(world):
    api = world
    api.user("alice")
    r = api.put("/rest/api/1.0/projects/PRJ/repos/one/permissions/users",
                params={"name": "alice", "permission": "REPO_WRITE"})
    assert r.status_code == 204
    values = api.get("/rest/api/1.0/projects/PRJ/repos/one/permissions/users").json()["values"]
    assert [v["permission"] for v in values] == ["REPO_WRITE"]


# Global permissions ---------------------------------------------------------------------------------

G = "/rest/api/latest/admin/permissions/users"


def test_global_grant_roundtrip(api):
    api.user("alice")
    assert api.put(G, params={"name": "alice", "permission": "PROJECT_CREATE"}).status_code == 204
    listed = {v["user"]["name"]: v["permission"] for v in api.get(G).json()["values"]}
    assert listed == {"admin": "SYS_ADMIN", "alice": "PROJECT_CREATE"}
    assert api.delete(G, params={"name": "alice"}).status_code == 204
    assert {v["user"]["name"] for v in api.get(G).json()["values"]} == {"admin"}


@pytest.mark.parametrize("level", ["ADMIN", "SYS_ADMIN"])
def test_admin_and_sys_admin_imply_every_project_and_repository_permission(world, level):
    api = world
    boss = api.user("boss", permission=level)
    assert len(api.as_user(boss).get(P).json()["values"]) == 1
    assert len(api.as_user(boss).get(f"{P}/PRJ/repos").json()["values"]) == 2
    assert _can(api, boss, "DELETE", BUILDS.format(slug="one"), params={"key": "K"}) == 204
    assert _can(api, boss, "PUT", f"{P}/PRJ", json={"description": "mine"}) == 200
    assert _can(api, boss, "POST", f"{P}/PRJ/repos", json={"name": "three"}) == 201
    assert _can(api, boss, "POST", P, json={"key": "NEW", "name": "New"}) == 201
    assert _can(api, boss, "DELETE", f"{P}/PRJ/repos/three") == 202


def test_project_create_implies_nothing_on_existing_projects(world):
    api = world
    creator = api.user("creator", permission="PROJECT_CREATE")
    assert api.as_user(creator).get(P).json()["values"] == []
    assert_error(api.as_user(creator).get(f"{P}/PRJ/repos/one"), 404)


def test_global_grants_need_an_administrator(api):
    plain = api.user("plain")
    creator = api.user("creator", permission="PROJECT_CREATE")
    api.user("target")
    for user in (plain, creator):
        assert_error(api.as_user(user).put(G, params={"name": "target", "permission": "PROJECT_CREATE"}), 401, AUTHZ)
        assert_error(api.as_user(user).get(G), 401, AUTHZ)
        assert_error(api.as_user(user).delete(G, params={"name": "admin"}), 401, AUTHZ)
    assert_error(api.as_user(None).get(G), 401,
                 "com.atlassian.plugins.rest.common.security.AuthenticationRequiredException")
    assert {v["user"]["name"] for v in api.get(G).json()["values"]} == {"admin", "creator"}


def test_an_admin_cannot_grant_or_take_more_than_they_hold(api):
    boss = api.user("boss", permission="ADMIN")
    api.user("target")
    as_boss = api.as_user(boss)
    assert as_boss.put(G, params={"name": "target", "permission": "ADMIN"}).status_code == 204
    assert_error(as_boss.put(G, params={"name": "target", "permission": "SYS_ADMIN"}), 401, AUTHZ)
    assert_error(as_boss.delete(G, params={"name": "admin"}), 401, AUTHZ)
    assert_error(as_boss.put(G, params={"name": "admin", "permission": "LICENSED_USER"}), 401, AUTHZ)
    listed = {v["user"]["name"]: v["permission"] for v in api.get(G).json()["values"]}
    assert listed == {"admin": "SYS_ADMIN", "boss": "ADMIN", "target": "ADMIN"}


def test_global_grant_validation(api):
    api.user("alice")
    assert_error(api.put(G, params={"name": "alice", "permission": "PROJECT_READ"}), 400, context="permission")
    assert_error(api.put(G, params={"name": "alice"}), 400, context="permission")
    assert_error(api.put(G, params={"name": "ghost", "permission": "ADMIN"}), 404, NO_USER)
    assert_error(api.delete(G, params={"name": "ghost"}), 404, NO_USER)


def test_an_administrator_cannot_lower_their_own_global_permission(api):
    # Bitbucket answers 409: it would reduce the caller's own permission (and could lock everyone out).
    assert_error(api.put(G, params={"name": "admin", "permission": "ADMIN"}), 409)
    assert_error(api.delete(G, params={"name": "admin"}), 409)
    assert {v["user"]["name"]: v["permission"] for v in api.get(G).json()["values"]} == {"admin": "SYS_ADMIN"}
