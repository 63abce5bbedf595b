"""Who may post, read and delete repository-scoped build statuses (and what a refusal looks like)."""

from __future__ import annotations

import pytest

from tests.builds.conftest import BUILDS, status
from tests.fixtures.api import assert_error
from tests.fixtures.callers import Caller, make_caller

AUTH_REQUIRED = "com.atlassian.plugins.rest.common.security.AuthenticationRequiredException"
AUTHORISATION = "com.atlassian.bitbucket.AuthorisationException"
NO_PROJECT = "com.atlassian.bitbucket.project.NoSuchProjectException"
NO_REPO = "com.atlassian.bitbucket.repository.NoSuchRepositoryException"


# caller kind -> (POST, GET, DELETE) status, exceptionName of the refusals
MATRIX = {
    "anonymous": (401, 401, 401, AUTH_REQUIRED),
    "no-access": (404, 404, 404, NO_PROJECT),
    "global-PROJECT_CREATE": (404, 404, 404, NO_PROJECT),
    "REPO_READ": (204, 200, 401, AUTHORISATION),
    "REPO_WRITE": (204, 200, 401, AUTHORISATION),
    "REPO_ADMIN": (204, 200, 204, None),
    "PROJECT_READ": (204, 200, 401, AUTHORISATION),
    "PROJECT_WRITE": (204, 200, 401, AUTHORISATION),
    "PROJECT_ADMIN": (204, 200, 204, None),
    "global-ADMIN": (204, 200, 204, None),
    "global-SYS_ADMIN": (204, 200, 204, None),
    "token-bearer-REPO_READ": (204, 200, 401, AUTHORISATION),
    "token-basic-REPO_READ": (204, 200, 401, AUTHORISATION),
    "token-bearer-PROJECT_READ": (204, 200, 401, AUTHORISATION),
    "token-bearer-REPO_ADMIN": (204, 200, 204, None),
    "token-basic-REPO_ADMIN": (204, 200, 204, None),
}


@pytest.mark.parametrize("kind", list(MATRIX))
def test_permission_matrix(repo, count, kind):
    post, get, delete, exception = MATRIX[kind]
    caller = make_caller(repo, kind)
    assert repo.post(BUILDS, json=status("existing", "FAILED")).status_code == 204

    r = caller.post(BUILDS, json=status("mine", "SUCCESSFUL"))
    if post == 204:
        assert r.status_code == 204, r.text
    else:
        assert_error(r, post, exception)
    assert count() == (2 if post == 204 else 1)  # a refused post stores nothing

    for r in (caller.get(BUILDS, params={"key": "existing"}), caller.get(BUILDS)):
        if get == 200:
            assert r.status_code == 200, r.text
        else:
            assert_error(r, get, exception)

    r = caller.delete(BUILDS, params={"key": "existing"})
    if delete == 204:
        assert r.status_code == 204, r.text
        assert_error(repo.get(BUILDS, params={"key": "existing"}), 404)
    else:
        assert_error(r, delete, exception)
        assert repo.get(BUILDS, params={"key": "existing"}).json()["state"] == "FAILED"


def test_refusals_say_not_permitted(repo):
    reader = repo.user("reader")
    repo.grant_repo("reader", "REPO_READ")
    error = assert_error(repo.as_user(reader).delete(BUILDS, params={"key": "K"}), 401, AUTHORISATION)
    assert error["message"] == "You are not permitted to access this resource"
    assert error["context"] is None
    assert "x-ausername" in repo.as_user(reader).delete(BUILDS, params={"key": "K"}).headers


def test_no_access_user_learns_nothing_about_the_repository(repo):
    nobody = repo.as_user(repo.user("nobody"))
    missing = nobody.get(BUILDS.replace("/repos/repo/", "/repos/missing/"))
    hidden = nobody.get(BUILDS)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["errors"][0]["exceptionName"] == missing.json()["errors"][0]["exceptionName"]


def test_user_who_sees_the_project_gets_no_such_repository(repo):
    repo.repo(name="other")
    repo.user("sibling")
    repo.grant_repo("sibling", "REPO_READ", slug="other")
    r = repo.as_user(("sibling", "sibling-password")).post(BUILDS, json=status())
    assert_error(r, 404, NO_REPO, contains="PRJ/repo")


def test_token_of_an_administrator_is_capped(repo):
    secret = repo.token(("admin", "admin-password"), ["REPO_READ"])["token"]
    caller = Caller(repo, {"Authorization": f"Bearer {secret}"})
    assert caller.post(BUILDS, json=status("K")).status_code == 204
    assert_error(caller.delete(BUILDS, params={"key": "K"}), 401, AUTHORISATION)
    assert repo.get(BUILDS, params={"key": "K"}).status_code == 200


def test_bad_credentials_are_401_even_for_a_public_repository(api, count):
    api.project()
    api.repo(public=True)
    assert_error(api.as_user(("admin", "wrong")).get(BUILDS), 401,
                 "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException")
    assert_error(api.as_user(None).get(BUILDS, headers={"Authorization": "Bearer not-a-token"}), 401,
                 "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException")
    assert_error(api.as_user(("admin", "wrong")).post(BUILDS, json=status()), 401)
    assert count() == 0


@pytest.mark.parametrize("public", ["repository", "project"])
def test_public_repository_lets_anonymous_read_but_not_delete(api, public):
    api.project(public=(public == "project"))
    api.repo(public=(public == "repository"))
    assert api.post(BUILDS, json=status("K")).status_code == 204
    anonymous = api.as_user(None)
    assert anonymous.get(BUILDS, params={"key": "K"}).json()["key"] == "K"
    assert [s["key"] for s in anonymous.get(BUILDS).json()["values"]] == ["K"]
    assert_error(anonymous.delete(BUILDS, params={"key": "K"}), 401, AUTH_REQUIRED)
    # Posting needs a signed-in user even where anyone may read ("the authenticated user must have REPO_READ").
    assert_error(anonymous.post(BUILDS, json=status("A")), 401, AUTH_REQUIRED)
    assert anonymous.get(BUILDS, params={"key": "A"}).status_code == 404
    nobody = api.as_user(api.user("nobody"))
    assert nobody.get(BUILDS, params={"key": "K"}).status_code == 200
    assert nobody.post(BUILDS, json=status("N")).status_code == 204  # public access gives REPO_READ
    assert_error(nobody.delete(BUILDS, params={"key": "K"}), 401, AUTHORISATION)
    assert api.get(BUILDS, params={"key": "K"}).status_code == 200


def test_revoked_grant_stops_posting(repo, count):
    reader = repo.user("reader")
    repo.grant_repo("reader", "REPO_READ")
    assert repo.as_user(reader).post(BUILDS, json=status("K")).status_code == 204
    r = repo.delete("/rest/api/latest/projects/PRJ/repos/repo/permissions/users", params={"name": "reader"})
    assert r.status_code == 204, r.text
    assert_error(repo.as_user(reader).post(BUILDS, json=status("L")), 404)
    assert count() == 1


def test_anonymous_refused_on_a_public_repository_is_told_to_sign_in(api):
    api.project()
    api.repo(public=True)
    assert api.post(BUILDS, json=status("K")).status_code == 204
    assert_error(api.as_user(None).delete(BUILDS, params={"key": "K"}), 401, AUTH_REQUIRED)
