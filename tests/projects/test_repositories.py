"""Repositories: create, name rules, get, list, update, delete (and everything stored for them)."""

import pytest

from tests.fixtures.api import SHA, assert_error

P = "/rest/api/latest/projects"
BASE = "http://cairn.test:7990/bitbucket"
NO_PROJECT = "com.atlassian.bitbucket.project.NoSuchProjectException"
NO_REPO = "com.atlassian.bitbucket.repository.NoSuchRepositoryException"
NAME_RULE = ("Repository names are limited to 128 characters. They must start with a letter or number and may "
             "contain spaces, hyphens, underscores and periods")


@pytest.fixture
def prj(api):
    return api.project("PRJ", "My Project")


def test_create_answers_201_with_the_rest_repository_shape(api, prj):
    r = api.post(f"{P}/PRJ/repos", json={"name": "My Repo", "scmId": "git"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert isinstance(body["id"], int)
    assert len(body["hierarchyId"]) == 20
    assert body == {
        "slug": "my-repo", "id": body["id"], "name": "My Repo", "hierarchyId": body["hierarchyId"],
        "scmId": "git", "state": "AVAILABLE", "statusMessage": "Available", "forkable": True,
        "archived": False, "public": False, "project": prj,
        "links": {"clone": [{"href": "ssh://git@cairn.test:7999/prj/my-repo.git", "name": "ssh"},
                            {"href": f"{BASE}/scm/prj/my-repo.git", "name": "http"}],
                  "self": [{"href": f"{BASE}/projects/PRJ/repos/my-repo/browse"}]}}
    assert api.get(f"{P}/PRJ/repos/my-repo").json() == body


def test_create_keeps_optional_members_and_ignores_unknown_ones(api, prj):
    r = api.post(f"{P}/prj/repos", json={"name": "lib", "description": "A library", "public": True,
                                         "forkable": False, "defaultBranch": "develop", "color": "blue"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert (body["description"], body["public"], body["forkable"]) == ("A library", True, False)
    assert "color" not in body


@pytest.mark.parametrize("name", ["", "-leading-dash", ".hidden", " spaced", "bad/slash", "q?", "é", "x" * 129])
def test_bad_name_is_400_naming_name_and_nothing_is_stored(api, prj, name):
    error = assert_error(api.post(f"{P}/PRJ/repos", json={"name": name}), 400, context="name")
    assert error["message"] == NAME_RULE
    assert api.get(f"{P}/PRJ/repos").json()["values"] == []


def test_missing_or_mistyped_name_is_400(api, prj):
    assert_error(api.post(f"{P}/PRJ/repos", json={}), 400, context="name")
    assert_error(api.post(f"{P}/PRJ/repos", json={"name": ["a"]}), 400, context="name")
    assert_error(api.post(f"{P}/PRJ/repos", json={"name": "ok", "scmId": "hg"}), 400, context="scmId")
    assert api.get(f"{P}/PRJ/repos").json()["values"] == []


def test_names_may_use_spaces_dots_dashes_and_underscores(api, prj):
    r = api.post(f"{P}/PRJ/repos", json={"name": "9 Lives_of.the-Cat"})
    assert r.status_code == 201, r.text
    assert r.json()["slug"] == "9-lives_of.the-cat"
    assert api.post(f"{P}/PRJ/repos", json={"name": "x" * 128}).status_code == 201


def test_duplicate_is_409_also_when_only_the_slug_collides(api, prj):
    api.repo("PRJ", "My Repo")
    assert_error(api.post(f"{P}/PRJ/repos", json={"name": "My Repo"}), 409)
    assert_error(api.post(f"{P}/PRJ/repos", json={"name": "my-repo"}), 409)
    assert len(api.get(f"{P}/PRJ/repos").json()["values"]) == 1
    # The same name in another project is fine.
    api.project("TWO")
    assert api.post(f"{P}/TWO/repos", json={"name": "My Repo"}).status_code == 201


def test_create_in_a_missing_project_is_404(api):
    error = assert_error(api.post(f"{P}/NOPE/repos", json={"name": "r"}), 404, NO_PROJECT)
    assert error["message"] == "Project NOPE does not exist."


def test_create_needs_project_admin(api, prj):
    writer = api.user("writer")
    api.grant_project("writer", "PROJECT_WRITE")
    assert_error(api.as_user(writer).post(f"{P}/PRJ/repos", json={"name": "r"}), 401,
                 "com.atlassian.bitbucket.AuthorisationException")
    api.grant_project("writer", "PROJECT_ADMIN")
    assert api.as_user(writer).post(f"{P}/PRJ/repos", json={"name": "r"}).status_code == 201


def test_get_missing_repository_or_project_is_404(api, prj):
    error = assert_error(api.get(f"{P}/PRJ/repos/nope"), 404, NO_REPO)
    assert error["message"] == "Repository PRJ/nope does not exist."
    assert_error(api.get(f"{P}/NOPE/repos/nope"), 404, NO_PROJECT)
    assert_error(api.get(f"{P}/NOPE/repos"), 404, NO_PROJECT)


def test_get_is_case_insensitive_on_key_and_slug(api, prj):
    api.repo("PRJ", "repo")
    assert api.get(f"{P}/prj/repos/REPO").json()["slug"] == "repo"


def test_a_repository_the_caller_cannot_read_is_reported_as_absent(api, prj):
    api.repo("PRJ", "readable")
    api.repo("PRJ", "secret")
    alice = api.user("alice")
    api.grant_repo("alice", "REPO_READ", slug="readable")
    as_alice = api.as_user(alice)
    assert as_alice.get(f"{P}/PRJ/repos/readable").status_code == 200
    # Same answer as for a repository that does not exist.
    assert_error(as_alice.get(f"{P}/PRJ/repos/secret"), 404, NO_REPO)
    assert_error(as_alice.get(f"{P}/PRJ/repos/nothing"), 404, NO_REPO)
    # Someone with no access at all does not see the project either.
    bob = api.user("bob")
    assert_error(api.as_user(bob).get(f"{P}/PRJ/repos/secret"), 404, NO_PROJECT)
    assert_error(api.as_user(bob).get(f"{P}/PRJ/repos"), 404, NO_PROJECT)


def test_anonymous_on_a_private_repository_is_401_and_may_read_a_public_one(api, prj):
    api.repo("PRJ", "private")
    api.repo("PRJ", "open", public=True)
    anonymous = api.as_user(None)
    assert_error(anonymous.get(f"{P}/PRJ/repos/private"), 401,
                 "com.atlassian.plugins.rest.common.security.AuthenticationRequiredException")
    assert anonymous.get(f"{P}/PRJ/repos/open").json()["public"] is True
    assert_error(anonymous.delete(f"{P}/PRJ/repos/open"), 401)
    assert_error(anonymous.put(f"{P}/PRJ/repos/open", json={"description": "x"}), 401)


def test_repositories_of_a_public_project_are_readable_by_everyone(api):
    api.project("OPEN", public=True)
    api.repo("OPEN", "code")
    carol = api.user("carol")
    assert api.as_user(carol).get(f"{P}/OPEN/repos/code").status_code == 200
    assert api.as_user(None).get(f"{P}/OPEN/repos/code").status_code == 200
    assert_error(api.as_user(carol).delete(f"{P}/OPEN/repos/code"), 401,
                 "com.atlassian.bitbucket.AuthorisationException")


def test_list_is_paged_and_ordered(api, prj):
    for name in ("charlie", "alpha", "bravo"):
        api.repo("PRJ", name)
    first = api.get(f"{P}/PRJ/repos", params={"limit": 2}).json()
    assert [r["slug"] for r in first["values"]] == ["alpha", "bravo"]
    assert first["isLastPage"] is False and first["nextPageStart"] == 2
    last = api.get(f"{P}/PRJ/repos", params={"start": 2}).json()
    assert [r["slug"] for r in last["values"]] == ["charlie"]
    assert last["isLastPage"] is True and "nextPageStart" not in last
    assert_error(api.get(f"{P}/PRJ/repos", params={"limit": "-1"}), 400, context="limit")


def test_list_contains_only_readable_repositories(api, prj):
    for name in ("one", "two", "three"):
        api.repo("PRJ", name)
    dave = api.user("dave")
    api.grant_repo("dave", "REPO_WRITE", slug="two")
    assert [r["slug"] for r in api.as_user(dave).get(f"{P}/PRJ/repos").json()["values"]] == ["two"]
    api.grant_project("dave", "PROJECT_READ")
    assert len(api.as_user(dave).get(f"{P}/PRJ/repos").json()["values"]) == 3


def test_update_renames_and_changes_members(api, prj):
    api.repo("PRJ", "repo")
    r = api.put(f"{P}/PRJ/repos/repo", json={"name": "Renamed Repo", "description": "Now with words",
                                              "public": True, "forkable": False})
    assert r.status_code == 201, r.text  # the OpenAPI file's status for an update
    body = r.json()
    assert (body["name"], body["slug"], body["description"], body["public"], body["forkable"]) == (
        "Renamed Repo", "renamed-repo", "Now with words", True, False)
    assert body["links"]["self"] == [{"href": f"{BASE}/projects/PRJ/repos/renamed-repo/browse"}]
    assert api.get(f"{P}/PRJ/repos/renamed-repo").json() == body
    assert_error(api.get(f"{P}/PRJ/repos/repo"), 404, NO_REPO)


def test_update_validates_and_refuses_duplicates(api, prj):
    api.repo("PRJ", "one")
    api.repo("PRJ", "two")
    assert_error(api.put(f"{P}/PRJ/repos/one", json={"name": "-bad"}), 400, context="name")
    assert_error(api.put(f"{P}/PRJ/repos/one", json={"name": "TWO"}), 409)
    assert_error(api.put(f"{P}/PRJ/repos/one", json={"forkable": "no"}), 400, context="forkable")
    assert api.get(f"{P}/PRJ/repos/one").json()["name"] == "one"
    assert_error(api.put(f"{P}/PRJ/repos/nope", json={"name": "x"}), 404, NO_REPO)


def test_update_needs_repo_admin(api, prj):
    api.repo("PRJ", "repo")
    writer = api.user("writer")
    api.grant_repo("writer", "REPO_WRITE")
    assert_error(api.as_user(writer).put(f"{P}/PRJ/repos/repo", json={"description": "x"}), 401,
                 "com.atlassian.bitbucket.AuthorisationException")
    api.grant_repo("writer", "REPO_ADMIN")
    assert api.as_user(writer).put(f"{P}/PRJ/repos/repo", json={"description": "x"}).status_code == 201


def test_delete_answers_202_then_204_when_absent(api, prj):
    api.repo("PRJ", "repo")
    r = api.delete(f"{P}/PRJ/repos/repo")
    assert r.status_code == 202, r.text
    assert_error(api.get(f"{P}/PRJ/repos/repo"), 404, NO_REPO)
    r = api.delete(f"{P}/PRJ/repos/repo")
    assert r.status_code == 204 and r.content == b""
    assert_error(api.delete(f"{P}/NOPE/repos/repo"), 404, NO_PROJECT)


def test_delete_removes_build_statuses_and_grants(api, prj, db):
    api.repo("PRJ", "repo")
    api.repo("PRJ", "other")
    api.user("alice")
    api.grant_repo("alice", "REPO_READ")
    api.grant_repo("alice", "REPO_READ", slug="other")
    for slug in ("repo", "other"):
        r = api.post(f"{P}/PRJ/repos/{slug}/commits/{SHA}/builds",
                     json={"key": "CI", "state": "SUCCESSFUL", "url": "http://ci/1"})
        assert r.status_code == 204, r.text
    (repo_id,) = db("SELECT id FROM repositories WHERE slug = 'repo'")[0]
    assert db("SELECT count(*) FROM build_statuses WHERE repository_id = :id", {"id": repo_id})[0][0] == 1
    assert api.delete(f"{P}/PRJ/repos/repo").status_code == 202
    assert db("SELECT count(*) FROM build_statuses WHERE repository_id = :id", {"id": repo_id})[0][0] == 0
    assert db("SELECT count(*) FROM repository_permissions WHERE repository_id = :id",
              {"id": repo_id})[0][0] == 0
    # The other repository keeps its status and its grant.
    assert db("SELECT count(*) FROM build_statuses")[0][0] == 1
    assert db("SELECT count(*) FROM repository_permissions")[0][0] == 1
    # A repository created again under the same name starts empty.
    api.repo("PRJ", "repo")
    r = api.get(f"{P}/PRJ/repos/repo/commits/{SHA}/builds", params={"key": "CI"})
    assert r.status_code == 404, r.text


def test_delete_needs_repo_admin_and_hides_unreadable_repositories(api, prj, db):
    api.repo("PRJ", "repo")
    reader = api.user("reader")
    api.grant_repo("reader", "REPO_WRITE")
    assert_error(api.as_user(reader).delete(f"{P}/PRJ/repos/repo"), 401,
                 "com.atlassian.bitbucket.AuthorisationException")
    # Someone who sees the project but cannot read the repository is told it is already gone...
    api.repo("PRJ", "mine")
    neighbour = api.user("neighbour")
    api.grant_repo("neighbour", "REPO_ADMIN", slug="mine")
    assert api.as_user(neighbour).delete(f"{P}/PRJ/repos/repo").status_code == 204
    # ...someone who cannot even see the project is told the project does not exist...
    stranger = api.user("stranger")
    assert_error(api.as_user(stranger).delete(f"{P}/PRJ/repos/repo"), 404, NO_PROJECT)
    # ...and nothing happened.
    assert db("SELECT count(*) FROM repositories WHERE slug = 'repo'")[0][0] == 1
