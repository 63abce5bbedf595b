"""Odd but possible input: never a 500, never stored wrongly."""

import json

import pytest

from tests.fixtures.api import BUILDS, SHA, assert_error

def test_a_trailing_newline_is_not_part_of_a_valid_commit_key_or_name(repo):
    assert_error(repo.post(f"/rest/api/latest/projects/PRJ/repos/repo/commits/{SHA}%0A/builds",
                           json={"key": "K", "state": "SUCCESSFUL", "url": "http://ci"}), 400, context="commitId")
    assert_error(repo.post("/rest/build-status/latest/commits/stats", json=[SHA + "\n"]), 400)
    assert_error(repo.post("/rest/api/latest/projects", json={"key": "NL\n", "name": "n"}), 400, context="key")
    assert_error(repo.post("/rest/api/latest/projects/PRJ/repos", json={"name": "nlrepo\n"}), 400, context="name")
    r = repo.post("/rest/api/latest/admin/users", params={"name": "carol\n", "password": "p", "displayName": "C",
                                                          "emailAddress": "c@example.com"})
    assert_error(r, 400, context="name")
    assert repo.get(BUILDS).json()["values"] == []


@pytest.mark.parametrize("path", [
    "/rest/api/latest/projects/P%00/repos/repo",
    "/rest/api/latest/projects/PRJ/repos/re%00po",
    "/rest/api/latest/projects?name=%00",
    "/rest/access-tokens/latest/users/a%00b",
])
def test_nul_in_the_url_is_a_400(repo, path):
    assert_error(repo.get(path), 400)


def test_nul_in_a_body_is_a_400_and_nothing_is_stored(repo):
    assert_error(repo.post("/rest/api/latest/projects", json={"key": "NUL", "name": "a\x00b"}), 400, context="name")
    assert_error(repo.post("/rest/api/latest/projects", json={"key": "NUL", "name": "n", "description": "\x00"}),
                 400, context="description")
    assert_error(repo.post(BUILDS, json={"key": "K\x00", "state": "SUCCESSFUL", "url": "http://ci"}), 400,
                 context="key")
    assert repo.get("/rest/api/latest/projects/NUL").status_code == 404


def test_nul_anywhere_in_a_body_is_a_400_naming_it(repo):
    # An unknown member too (README: "anywhere in a body"), and in a UTF-16 body, which JSON parsers also read.
    body = {"key": "K", "state": "SUCCESSFUL", "url": "http://ci", "extra": [{"a": 1}, {"b\x00": 2}]}
    assert_error(repo.post(BUILDS, json=body), 400, context="extra.1.b\x00")
    utf16 = json.dumps({"key": "NUL", "name": "n", "description": "a\x00b"}).encode("utf-16")
    assert_error(repo.post("/rest/api/latest/projects", content=utf16), 400, context="description")
    assert repo.get("/rest/api/latest/projects/NUL").status_code == 404
    assert repo.get(BUILDS).json()["values"] == []


def test_an_escaped_backslash_before_u0000_is_text_not_nul(repo):
    raw = b'{"key": "K", "state": "SUCCESSFUL", "url": "http://ci", "description": "C:\\\\u0000"}'
    assert repo.post(BUILDS, content=raw).status_code == 204
    assert repo.get(BUILDS).json()["values"][0]["description"] == "C:\\u0000"


def test_a_nul_body_is_refused_only_after_auth_and_permission(repo):
    nul = {"key": "K\x00", "state": "SUCCESSFUL", "url": "http://ci"}
    assert_error(repo.as_user(("admin", "wrong")).post(BUILDS, json=nul), 401)
    assert_error(repo.as_user(repo.user("stranger")).post(BUILDS, json=nul), 404)  # cannot see the repository
    reader = repo.user("reader")
    repo.grant_repo("reader", "REPO_READ")
    condition = {"buildParentKeys": ["c\x00"], "refMatcher": {"id": "main", "type": {"id": "BRANCH"}}}
    r = repo.as_user(reader).post("/rest/required-builds/latest/projects/PRJ/repos/repo/condition", json=condition)
    assert_error(r, 401)  # REPO_ADMIN needed


@pytest.mark.parametrize("depth", range(900, 1020, 3))
def test_a_nul_in_a_deeply_nested_member_is_never_stored(repo, depth):
    # However deep the body nests, its NUL is found in the document FastAPI parsed (or the body is refused).
    raw = (b'{"key": "K\\u0000", "state": "SUCCESSFUL", "url": "http://ci", "x": ' + b"[" * depth + b"]" * depth
           + b"}")
    assert_error(repo.post(BUILDS, content=raw), 400)
    assert repo.get(BUILDS).json()["values"] == []


def test_nul_in_a_basic_username_is_bad_credentials(repo):
    assert_error(repo.as_user(("a\x00", "p")).get("/rest/api/latest/application-properties"), 401,
                 "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException")


def test_a_default_branch_too_long_once_qualified_is_a_400(repo):
    r = repo.post("/rest/api/latest/projects/PRJ/repos", json={"name": "r2", "defaultBranch": "a" * 1020})
    assert_error(r, 400, context="defaultBranch")
    assert repo.get("/rest/api/latest/projects/PRJ/repos/r2").status_code == 404


def test_a_token_cannot_mint_a_token_or_manage_its_owners_tokens(repo):
    bob = repo.user("bob")
    capped = repo.token(bob, ["REPO_READ"])
    as_token = repo.as_user(None)
    headers = {"Authorization": f"Bearer {capped['token']}"}
    r = as_token.put("/rest/access-tokens/latest/users/bob", json={"name": "t2", "permissions": ["PROJECT_ADMIN"]},
                     headers=headers)
    assert_error(r, 401, "com.atlassian.bitbucket.AuthorisationException")
    assert_error(as_token.get("/rest/access-tokens/latest/users/bob", headers=headers), 401)
    assert_error(as_token.delete(f"/rest/access-tokens/latest/users/bob/{capped['id']}", headers=headers), 401)
    assert [t["name"] for t in repo.as_user(bob).get("/rest/access-tokens/latest/users/bob").json()["values"]] \
        == ["ci"]


def test_anonymous_in_a_public_project_gets_404_for_a_missing_repository(api):
    api.project(public=True)
    api.repo()
    anonymous = api.as_user(None)
    assert anonymous.get("/rest/api/latest/projects/PRJ/repos/repo").status_code == 200
    assert_error(anonymous.get("/rest/api/latest/projects/PRJ/repos/nope"), 404,
                 "com.atlassian.bitbucket.repository.NoSuchRepositoryException")
    # Deleting still needs a signed-in administrator, whether or not the repository exists.
    assert_error(anonymous.delete("/rest/api/latest/projects/PRJ/repos/nope"), 401)
    assert_error(anonymous.delete("/rest/api/latest/projects/PRJ/repos/repo"), 401)
    assert api.get("/rest/api/latest/projects/PRJ/repos/repo").status_code == 200
