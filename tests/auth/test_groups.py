"""Groups: the directory endpoints, group grants at every level, and access through membership."""

import pytest

from tests.fixtures.api import SHA, assert_error

A = "/rest/api/latest/admin"
P = "/rest/api/latest/projects"
NO_GROUP = "com.atlassian.bitbucket.user.NoSuchGroupException"
BUILDS = f"{P}/PRJ/repos/repo/commits/{SHA}/builds"
STATS = f"/rest/build-status/latest/commits/stats/{SHA}"


@pytest.fixture
def world(api):
    api.project("PRJ")
    api.repo("PRJ", "repo")
    return api


def _group(api, name: str, *members: str) -> None:
    r = api.post(f"{A}/groups", params={"name": name})
    assert r.status_code == 200, r.text
    assert r.json() == {"name": name, "deletable": True}
    if members:
        r = api.post(f"{A}/groups/add-users", json={"group": name, "users": list(members)})
        assert r.status_code == 200, r.text


def _names(page: dict) -> list:
    return [v if isinstance(v, str) else (v.get("name") or v["group"]["name"]) for v in page["values"]]


def test_groups_are_created_listed_filtered_and_deleted(world):
    api = world
    for name in ("developers", "Release-Managers", "testers"):
        _group(api, name)
    assert _names(api.get(f"{A}/groups").json()) == ["developers", "Release-Managers", "testers"]
    assert _names(api.get(f"{A}/groups", params={"filter": "RELEASE"}).json()) == ["Release-Managers"]
    assert _names(api.get("/rest/api/latest/groups", params={"filter": "er"}).json()) == [
        "developers", "Release-Managers", "testers"]
    paged = api.get(f"{A}/groups", params={"limit": 2}).json()
    assert paged["size"] == 2 and paged["isLastPage"] is False and paged["nextPageStart"] == 2
    r = api.delete(f"{A}/groups", params={"name": "testers"})
    assert r.status_code == 200 and r.json() == {"name": "testers", "deletable": True}
    assert _names(api.get(f"{A}/groups").json()) == ["developers", "Release-Managers"]
    assert_error(api.delete(f"{A}/groups", params={"name": "testers"}), 404, NO_GROUP)


def test_bad_group_input_is_refused_and_changes_nothing(world):
    api = world
    _group(api, "developers")
    assert_error(api.post(f"{A}/groups", params={"name": "DEVELOPERS"}), 409,
                 "com.atlassian.bitbucket.user.DuplicateGroupException")
    for bad in ("", " padded", "x" * 256, "tab\there"):
        assert_error(api.post(f"{A}/groups", params={"name": bad}), 400, context="name")
    assert_error(api.post(f"{A}/groups/add-user", json={"context": "nobody", "itemName": "admin"}), 404, NO_GROUP)
    assert_error(api.post(f"{A}/groups/add-users", json={"group": "developers", "users": ["ghost"]}), 404,
                 "com.atlassian.bitbucket.user.NoSuchUserException")
    assert_error(api.put(f"{A}/permissions/groups", params={"name": "developers", "permission": "GOD"}), 400,
                 context="permission")
    assert_error(api.put(f"{P}/PRJ/permissions/groups", params={"name": "developers", "permission": "REPO_READ"}),
                 400, context="permission")
    assert_error(api.put(f"{P}/PRJ/repos/repo/permissions/groups", params={"name": "ghosts",
                                                                          "permission": "REPO_READ"}), 404, NO_GROUP)
    assert _names(api.get(f"{A}/groups").json()) == ["developers"]
    assert api.get(f"{A}/groups/more-members", params={"context": "developers"}).json()["values"] == []
    assert api.get(f"{A}/permissions/groups").json()["values"] == []
    assert api.get(f"{P}/PRJ/permissions/groups").json()["values"] == []


def test_membership_from_both_sides(world):
    api = world
    for name in ("alice", "bob", "carol"):
        api.user(name)
    _group(api, "developers", "alice", "bob")
    _group(api, "testers")
    r = api.post(f"{A}/users/add-groups", json={"user": "carol", "groups": ["developers", "testers"]})
    assert r.status_code == 200, r.text
    assert api.post(f"{A}/users/add-group", json={"context": "alice", "itemName": "testers"}).status_code == 200
    members = api.get(f"{A}/groups/more-members", params={"context": "developers"}).json()
    assert _names(members) == ["alice", "bob", "carol"]
    assert members["values"][0]["emailAddress"] == "alice@example.com"
    assert _names(api.get(f"{A}/groups/more-non-members", params={"context": "testers"}).json()) == ["admin", "bob"]
    assert _names(api.get(f"{A}/users/more-members", params={"context": "carol"}).json()) == ["developers", "testers"]
    assert api.post(f"{A}/groups/remove-user", json={"context": "developers", "itemName": "bob"}).status_code == 200
    assert api.post(f"{A}/users/remove-group", json={"context": "carol", "itemName": "testers"}).status_code == 200
    assert _names(api.get(f"{A}/users/more-non-members", params={"context": "bob"}).json()) == [
        "developers", "testers"]
    assert _names(api.get(f"{A}/groups/more-members", params={"context": "testers"}).json()) == ["alice"]
    # Adding a member twice is harmless.
    assert api.post(f"{A}/groups/add-user", json={"context": "testers", "itemName": "alice"}).status_code == 200
    assert _names(api.get(f"{A}/groups/more-members", params={"context": "testers"}).json()) == ["alice"]


def test_a_repository_group_grant_gives_its_members_access_and_loses_it_with_them(world):
    api = world
    alice = api.user("alice")
    _group(api, "ci", "alice")
    body = {"key": "k", "state": "SUCCESSFUL", "url": "https://ci.example/1"}
    assert_error(api.as_user(alice).post(BUILDS, json=body), 404)
    r = api.put(f"{P}/PRJ/repos/repo/permissions/groups", params={"name": "ci", "permission": "REPO_READ"})
    assert r.status_code == 204
    # Build statuses may be posted with REPO_READ (as in Bitbucket): the group grant is enough.
    assert api.as_user(alice).post(BUILDS, json=body).status_code == 204
    assert api.as_user(alice).get(STATS).json()["successful"] == 1
    assert api.get(f"{P}/PRJ/repos/repo/permissions/groups").json()["values"] == [
        {"group": {"name": "ci"}, "permission": "REPO_READ"}]
    assert api.post(f"{A}/groups/remove-user", json={"context": "ci", "itemName": "alice"}).status_code == 200
    assert_error(api.as_user(alice).get(f"{P}/PRJ/repos/repo"), 404)
    assert api.as_user(alice).get(STATS).json()["successful"] == 0  # a repository she cannot read is not counted


def test_effective_permission_is_the_highest_of_own_and_groups(world):
    api = world
    alice = api.user("alice")
    api.grant_repo("alice", "REPO_READ")
    _group(api, "leads", "alice")
    assert_error(api.as_user(alice).get(f"{P}/PRJ/repos/repo/permissions/users"), 401)
    assert api.put(f"{P}/PRJ/permissions/groups", params={"name": "leads",
                                                         "permission": "PROJECT_ADMIN"}).status_code == 204
    assert api.as_user(alice).get(f"{P}/PRJ/repos/repo/permissions/users").status_code == 200
    assert api.as_user(alice).get(f"{P}/PRJ/permissions/users").status_code == 200
    names = [p["key"] for p in api.as_user(alice).get(P, params={"permission": "PROJECT_ADMIN"}).json()["values"]]
    assert names == ["PRJ"]
    assert api.delete(f"{P}/PRJ/permissions/groups", params={"name": "leads"}).status_code == 204
    assert_error(api.as_user(alice).get(f"{P}/PRJ/permissions/users"), 401)
    assert api.as_user(alice).get(f"{P}/PRJ/repos/repo").status_code == 200  # her own grant remains


def test_a_global_group_grant_applies_to_members(world):
    api = world
    alice = api.user("alice")
    _group(api, "admins", "alice")
    assert_error(api.as_user(alice).get(f"{A}/users"), 401)
    assert api.put(f"{A}/permissions/groups", params={"name": "admins", "permission": "SYS_ADMIN"}).status_code == 204
    assert api.as_user(alice).get(f"{A}/users").status_code == 200
    assert api.as_user(alice).get(f"{P}/PRJ/repos/repo").status_code == 200
    assert api.get(f"{A}/permissions/groups").json()["values"] == [
        {"group": {"name": "admins"}, "permission": "SYS_ADMIN"}]
    assert _names(api.get(f"{A}/permissions/groups/none").json()) == []
    # A deleted group takes its grants with it.
    assert api.delete(f"{A}/groups", params={"name": "admins"}).status_code == 200
    assert_error(api.as_user(alice).get(f"{A}/users"), 401)


def test_groups_without_a_grant_are_listed_as_such(world):
    api = world
    _group(api, "a-team")
    _group(api, "b-team")
    api.put(f"{P}/PRJ/permissions/groups", params={"name": "a-team", "permission": "PROJECT_READ"})
    api.put(f"{P}/PRJ/repos/repo/permissions/groups", params={"name": "b-team", "permission": "REPO_WRITE"})
    none = api.get(f"{P}/PRJ/permissions/groups/none")
    assert none.status_code == 202 and _names(none.json()) == ["b-team"]  # 202: as the document says
    assert _names(api.get(f"{P}/PRJ/repos/repo/permissions/groups/none").json()) == ["a-team"]
    assert _names(api.get(f"{P}/PRJ/permissions/groups", params={"filter": "A-T"}).json()) == ["a-team"]


def test_an_administrator_may_not_manage_a_group_above_them_nor_lower_their_own_level(world):
    api = world
    boss = api.user("boss", permission="ADMIN")
    _group(api, "root", "admin")
    api.put(f"{A}/permissions/groups", params={"name": "root", "permission": "SYS_ADMIN"})
    as_boss = api.as_user(boss)
    assert as_boss.post(f"{A}/groups/add-user", json={"context": "root", "itemName": "boss"}).status_code == 403
    assert as_boss.delete(f"{A}/groups", params={"name": "root"}).status_code == 403
    assert as_boss.put(f"{A}/permissions/groups", params={"name": "root", "permission": "ADMIN"}).status_code == 403
    assert_error(as_boss.put(f"{A}/permissions/groups", params={"name": "root", "permission": "SYS_ADMIN"}), 401)
    # boss administers through a group only: removing himself from it, or its grant, is refused (409).
    _group(api, "ops", "boss")
    api.put(f"{A}/permissions/groups", params={"name": "ops", "permission": "ADMIN"})
    api.put(f"{A}/permissions/users", params={"name": "boss", "permission": "LICENSED_USER"})
    assert_error(as_boss.post(f"{A}/groups/remove-user", json={"context": "ops", "itemName": "boss"}), 409)
    assert_error(as_boss.delete(f"{A}/permissions/groups", params={"name": "ops"}), 409)
    assert_error(as_boss.delete(f"{A}/groups", params={"name": "ops"}), 409)
    assert _names(api.get(f"{A}/groups/more-members", params={"context": "ops"}).json()) == ["boss"]
    assert as_boss.get(f"{A}/users").status_code == 401  # SYS_ADMIN only; boss is ADMIN


def test_a_project_admin_through_a_group_may_not_revoke_that_group(world):
    api = world
    lead = api.user("lead")
    _group(api, "leads", "lead")
    api.put(f"{P}/PRJ/permissions/groups", params={"name": "leads", "permission": "PROJECT_ADMIN"})
    as_lead = api.as_user(lead)
    assert_error(as_lead.delete(f"{P}/PRJ/permissions/groups", params={"name": "leads"}), 409)
    assert_error(as_lead.put(f"{P}/PRJ/permissions/groups", params={"name": "leads", "permission": "PROJECT_READ"}),
                 409)
    assert api.get(f"{P}/PRJ/permissions/groups").json()["values"] == [
        {"group": {"name": "leads"}, "permission": "PROJECT_ADMIN"}]
    # Another group's grant is theirs to change.
    _group(api, "readers")
    assert as_lead.put(f"{P}/PRJ/permissions/groups", params={"name": "readers",
                                                             "permission": "PROJECT_READ"}).status_code == 204


def test_group_directory_needs_a_signed_in_user_and_changes_need_an_administrator(world):
    api = world
    alice = api.user("alice")
    _group(api, "developers")
    anonymous = api.as_user(None)
    assert_error(anonymous.get(f"{A}/groups"), 401)
    assert_error(anonymous.get("/rest/api/latest/groups"), 401)
    assert api.as_user(alice).get(f"{A}/groups").status_code == 200
    assert_error(api.as_user(alice).post(f"{A}/groups", params={"name": "mine"}), 401)
    assert_error(api.as_user(alice).post(f"{A}/groups/add-user",
                                         json={"context": "developers", "itemName": "alice"}), 401)
    assert_error(api.as_user(alice).get(f"{A}/permissions/groups"), 401)
    assert_error(api.as_user(alice).get(f"{P}/PRJ/permissions/groups"), 404)  # she cannot see PRJ at all
