"""Projects: create, key and name rules, get, list (only what the caller may see), update, delete."""

import pytest

from tests.fixtures.api import assert_error

P = "/rest/api/latest/projects"
BASE = "http://cairn.test:7990/bitbucket"
KEY_RULE = ("Project keys must start with a letter and may only consist of ASCII letters, numbers and "
            "underscores (A-Z, a-z, 0-9, _)")


def test_create_answers_201_with_the_rest_project_shape(api):
    r = api.post(P, json={"key": "prj_1", "name": "My Cool Project"})
    assert r.status_code == 201, r.text
    assert r.headers["content-type"] == "application/json;charset=UTF-8"
    body = r.json()
    assert isinstance(body["id"], int)
    # Key upper-cased, description omitted when unset, self link under the base URL with its context path.
    assert body == {"key": "PRJ_1", "id": body["id"], "name": "My Cool Project", "public": False,
                    "type": "NORMAL", "scope": "PROJECT",
                    "links": {"self": [{"href": f"{BASE}/projects/PRJ_1"}]}}


def test_create_keeps_description_and_public(api):
    body = api.post(P, json={"key": "DOC", "name": "Docs", "description": "All the docs", "public": True}).json()
    assert body["description"] == "All the docs"
    assert body["public"] is True
    assert api.get(f"{P}/DOC").json() == body


def test_create_answers_under_1_0_too(api):
    r = api.post("/rest/api/1.0/projects", json={"key": "OLD", "name": "Old"})
    assert r.status_code == 201
    assert api.get("/rest/api/1.0/projects/OLD").json()["name"] == "Old"


@pytest.mark.parametrize("key", ["1ABC", "_ABC", "AB-C", "AB C", "ÄBC", "A.B", "~user", "A" * 129])
def test_bad_key_is_400_naming_key_and_nothing_is_stored(api, key):
    r = api.post(P, json={"key": key, "name": "Whatever"})
    error = assert_error(r, 400, context="key")
    assert error["message"] == KEY_RULE
    assert api.get(P).json()["values"] == []


@pytest.mark.parametrize("body", [{"name": "No key"}, {"key": "", "name": "Empty key"}])
def test_missing_key_is_400(api, body):
    assert_error(api.post(P, json=body), 400, context="key",
                 contains="The project key must be specified when creating a project.")


@pytest.mark.parametrize("body", [{"key": "NONAME"}, {"key": "NONAME", "name": ""},
                                  {"key": "NONAME", "name": "   "}, {"key": "NONAME", "name": "n" * 256},
                                  {"key": "NONAME", "name": "~tilde"}])
def test_name_is_required(api, body):
    assert_error(api.post(P, json=body), 400, context="name")
    assert_error(api.get(f"{P}/NONAME"), 404, "com.atlassian.bitbucket.project.NoSuchProjectException")


def test_wrong_types_and_bad_json_are_400(api):
    assert_error(api.post(P, json={"key": 12, "name": "N"}), 400, context="key")
    assert_error(api.post(P, json={"key": "K", "name": "N", "public": "yes"}), 400, context="public")
    assert_error(api.post(P, content=b"{not json", headers={"Content-Type": "application/json"},
                          auth=("admin", "admin-password")), 400)
    assert api.get(P).json()["values"] == []


def test_duplicate_key_or_name_is_409(api):
    api.project("PRJ", "Project One")
    assert_error(api.post(P, json={"key": "prj", "name": "Another name"}), 409, contains="PRJ")
    assert_error(api.post(P, json={"key": "OTHER", "name": "Project One"}), 409, contains="Project One")
    assert [p["key"] for p in api.get(P).json()["values"]] == ["PRJ"]


def test_get_missing_project_is_404(api):
    error = assert_error(api.get(f"{P}/NOPE"), 404, "com.atlassian.bitbucket.project.NoSuchProjectException")
    assert error["message"] == "Project NOPE does not exist."


def test_get_is_case_insensitive_on_the_key(api):
    api.project("PRJ")
    assert api.get(f"{P}/prj").json()["key"] == "PRJ"


def test_list_is_paged(api):
    for key in ("AAA", "BBB", "CCC"):
        api.project(key)
    first = api.get(P, params={"limit": 2}).json()
    assert first["size"] == 2 and first["limit"] == 2 and first["start"] == 0
    assert first["isLastPage"] is False and first["nextPageStart"] == 2
    assert [p["key"] for p in first["values"]] == ["AAA", "BBB"]
    last = api.get(P, params={"start": 2, "limit": 2}).json()
    assert last["isLastPage"] is True and "nextPageStart" not in last
    assert [p["key"] for p in last["values"]] == ["CCC"]
    assert api.get(P).json()["limit"] == 25


def test_list_filters_by_name(api):
    api.project("AAA", "Alpha team")
    api.project("BBB", "Beta team")
    api.project("CCC", "100% a_b")
    api.project("DDD", "100 axb")
    assert [p["key"] for p in api.get(P, params={"name": "ALPHA"}).json()["values"]] == ["AAA"]
    assert [p["key"] for p in api.get(P, params={"name": "team"}).json()["values"]] == ["AAA", "BBB"]
    # LIKE wildcards in the filter are plain characters.
    assert [p["key"] for p in api.get(P, params={"name": "a_b"}).json()["values"]] == ["CCC"]
    assert [p["key"] for p in api.get(P, params={"name": "0%"}).json()["values"]] == ["CCC"]


def test_list_filters_by_permission(api):
    for key in ("ADM", "WRT", "RD", "OPEN", "VIEW"):
        api.project(key, public=key == "OPEN")
    api.repo("VIEW", "repo")
    alice = api.user("alice")
    api.grant_project("alice", "PROJECT_ADMIN", "ADM")
    api.grant_project("alice", "PROJECT_WRITE", "WRT")
    api.grant_project("alice", "PROJECT_READ", "RD")
    api.grant_repo("alice", "REPO_ADMIN", "VIEW", "repo")
    as_alice = api.as_user(alice)

    def keys(permission=None, who=as_alice):
        params = {"permission": permission} if permission else {}
        r = who.get(P, params=params)
        assert r.status_code == 200, r.text
        return [p["key"] for p in r.json()["values"]]
    assert keys() == keys("PROJECT_VIEW") == ["ADM", "OPEN", "RD", "VIEW", "WRT"]
    assert keys("PROJECT_READ") == ["ADM", "OPEN", "RD", "WRT"]
    assert keys("PROJECT_WRITE") == ["ADM", "WRT"]
    assert keys("PROJECT_ADMIN") == ["ADM"]
    assert keys("PROJECT_ADMIN", api) == ["ADM", "OPEN", "RD", "VIEW", "WRT"]
    assert keys("PROJECT_READ", api.as_user(None)) == ["OPEN"]
    assert keys("PROJECT_WRITE", api.as_user(None)) == []
    # A token's cap applies: a PROJECT_READ token of the administrator administers nothing.
    secret = api.token(("admin", "admin-password"), ["PROJECT_READ"])["token"]
    r = api.get(P, params={"permission": "PROJECT_ADMIN"}, headers={"Authorization": f"Bearer {secret}"})
    assert r.json()["values"] == []
    r = api.get(P, params={"permission": "PROJECT_READ"}, headers={"Authorization": f"Bearer {secret}"})
    assert len(r.json()["values"]) == 5
    for bad in ("REPO_READ", "ADMIN", "nonsense"):
        assert_error(api.get(P, params={"permission": bad}), 400, context="permission")


def test_concurrent_creates_of_one_key_give_one_201_and_409s(api):
    from concurrent.futures import ThreadPoolExecutor

    def create(_):
        return api.post(P, json={"key": "RACE", "name": "Race"}).status_code
    with ThreadPoolExecutor(6) as pool:
        codes = sorted(pool.map(create, range(6)))
    assert codes == [201] + [409] * 5


def test_list_shows_only_what_the_caller_may_see(api):
    api.project("SEEN")
    api.repo("SEEN", "visible")
    api.repo("SEEN", "hidden")
    api.project("OTHER")
    api.project("GRANTED")
    api.project("OPEN", public=True)
    alice = api.user("alice")
    api.grant_repo("alice", "REPO_READ", "SEEN", "visible")
    api.grant_project("alice", "PROJECT_READ", "GRANTED")
    as_alice = api.as_user(alice)
    assert [p["key"] for p in as_alice.get(P).json()["values"]] == ["GRANTED", "OPEN", "SEEN"]
    assert as_alice.get(f"{P}/SEEN").status_code == 200
    assert_error(as_alice.get(f"{P}/OTHER"), 404, "com.atlassian.bitbucket.project.NoSuchProjectException")
    # Inside SEEN she sees only the repository she was given.
    assert [r["slug"] for r in as_alice.get(f"{P}/SEEN/repos").json()["values"]] == ["visible"]
    # An administrator sees everything.
    assert len(api.get(P).json()["values"]) == 4


def test_anonymous_sees_public_projects_and_projects_with_public_repositories(api):
    api.project("OPEN", public=True)
    api.project("MIXED")
    api.repo("MIXED", "shared", public=True)
    api.repo("MIXED", "secret")
    api.project("CLOSED")
    anonymous = api.as_user(None)
    r = anonymous.get(P)
    assert r.status_code == 200
    assert [p["key"] for p in r.json()["values"]] == ["MIXED", "OPEN"]
    assert anonymous.get(f"{P}/OPEN").json()["public"] is True
    assert [r["slug"] for r in anonymous.get(f"{P}/MIXED/repos").json()["values"]] == ["shared"]
    assert_error(anonymous.get(f"{P}/CLOSED"), 401,
                 "com.atlassian.plugins.rest.common.security.AuthenticationRequiredException")


def test_update_answers_200_and_changes_name_and_description(api):
    api.project("PRJ", "Old name")
    r = api.put(f"{P}/PRJ", json={"name": "New name", "description": "Now described"})
    assert r.status_code == 200, r.text
    assert r.json()["name"] == "New name" and r.json()["description"] == "Now described"
    assert api.get(f"{P}/PRJ").json()["name"] == "New name"
    # Only what is sent changes.
    r = api.put(f"{P}/PRJ", json={"public": True})
    assert r.json()["name"] == "New name" and r.json()["public"] is True


def test_update_with_a_new_key_answers_201_and_moves_the_project(api):
    api.project("OLD")
    r = api.put(f"{P}/OLD", json={"key": "new"})
    assert r.status_code == 201, r.text
    assert r.json()["key"] == "NEW"
    assert r.json()["links"]["self"] == [{"href": f"{BASE}/projects/NEW"}]
    assert api.get(f"{P}/NEW").status_code == 200
    assert_error(api.get(f"{P}/OLD"), 404, "com.atlassian.bitbucket.project.NoSuchProjectException")
    # Sending the same key (any case) is not a move.
    assert api.put(f"{P}/NEW", json={"key": "new", "name": "Renamed"}).status_code == 200


def test_update_validates_and_refuses_duplicates(api):
    api.project("ONE", "One")
    api.project("TWO", "Two")
    assert_error(api.put(f"{P}/ONE", json={"key": "9X"}), 400, context="key")
    assert_error(api.put(f"{P}/ONE", json={"name": ""}), 400, context="name")
    assert_error(api.put(f"{P}/ONE", json={"key": "two"}), 409)
    assert_error(api.put(f"{P}/ONE", json={"name": "Two"}), 409)
    assert api.get(f"{P}/ONE").json()["name"] == "One"
    assert_error(api.put(f"{P}/NOPE", json={"name": "x"}), 404,
                 "com.atlassian.bitbucket.project.NoSuchProjectException")


def test_update_and_delete_need_project_admin(api):
    api.project("PRJ")
    reader = api.user("reader")
    api.grant_project("reader", "PROJECT_WRITE")
    as_reader = api.as_user(reader)
    assert_error(as_reader.put(f"{P}/PRJ", json={"name": "Mine"}), 401,
                 "com.atlassian.bitbucket.AuthorisationException")
    assert_error(as_reader.delete(f"{P}/PRJ"), 401, "com.atlassian.bitbucket.AuthorisationException")
    api.grant_project("reader", "PROJECT_ADMIN")
    assert as_reader.put(f"{P}/PRJ", json={"name": "Mine"}).status_code == 200


def test_delete_answers_204_and_removes_the_project_and_its_grants(api, db):
    api.project("PRJ")
    api.user("alice")
    api.grant_project("alice", "PROJECT_READ")
    r = api.delete(f"{P}/PRJ")
    assert r.status_code == 204 and r.content == b""
    assert_error(api.get(f"{P}/PRJ"), 404, "com.atlassian.bitbucket.project.NoSuchProjectException")
    assert db("SELECT count(*) FROM project_permissions")[0][0] == 0
    assert_error(api.delete(f"{P}/PRJ"), 404, "com.atlassian.bitbucket.project.NoSuchProjectException")


def test_delete_with_repositories_is_409_integrity(api):
    api.project("PRJ")
    api.repo("PRJ", "repo")
    error = assert_error(api.delete(f"{P}/PRJ"), 409, "com.atlassian.bitbucket.IntegrityException")
    assert error["message"] == 'The project "PRJ" cannot be deleted because it has repositories.'
    assert api.get(f"{P}/PRJ").status_code == 200
    assert api.delete(f"{P}/PRJ/repos/repo").status_code == 202
    assert api.delete(f"{P}/PRJ").status_code == 204


def test_create_needs_project_create(api):
    plain = api.user("plain")
    assert_error(api.as_user(plain).post(P, json={"key": "MINE", "name": "Mine"}), 401,
                 "com.atlassian.bitbucket.AuthorisationException")
    assert_error(api.as_user(None).post(P, json={"key": "MINE", "name": "Mine"}), 401,
                 "com.atlassian.plugins.rest.common.security.AuthenticationRequiredException")
    assert api.get(P).json()["values"] == []


def test_a_project_creator_administers_what_they_create(api):
    creator = api.user("creator", permission="PROJECT_CREATE")
    as_creator = api.as_user(creator)
    assert as_creator.post(P, json={"key": "MINE", "name": "Mine"}).status_code == 201
    assert as_creator.post(f"{P}/MINE/repos", json={"name": "code"}).status_code == 201
    grants = as_creator.get(f"{P}/MINE/permissions/users").json()["values"]
    assert [(g["user"]["name"], g["permission"]) for g in grants] == [("creator", "PROJECT_ADMIN")]
    # ...but nothing else.
    api.project("THEIRS")
    assert_error(as_creator.get(f"{P}/THEIRS"), 404, "com.atlassian.bitbucket.project.NoSuchProjectException")
