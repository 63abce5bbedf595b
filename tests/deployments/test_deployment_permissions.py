"""Who may post, read, list and delete deployments (and what a refusal looks like).

POST needs REPO_READ and a signed-in caller; GET and both listings need REPO_READ; DELETE needs REPO_ADMIN.
"""

from __future__ import annotations

import pytest

from tests.deployments.conftest import (
    AUTH_REQUIRED,
    AUTHORISATION,
    DEPLOYMENTS,
    ENVIRONMENTS,
    LISTING,
    NO_PROJECT,
    NO_REPO,
    body,
    deploy,
    deployments_url,
    fetch,
    identity,
)
from tests.fixtures.api import assert_error
from tests.fixtures.callers import make_caller

# caller kind -> (POST, GET and both listings, DELETE) status, exceptionName of the refusals
MATRIX = {
    "anonymous": (401, 401, 401, AUTH_REQUIRED),
    "no-access": (404, 404, 404, NO_PROJECT),
    "global-PROJECT_CREATE": (404, 404, 404, NO_PROJECT),
    "REPO_READ": (200, 200, 401, AUTHORISATION),
    "REPO_WRITE": (200, 200, 401, AUTHORISATION),
    "REPO_ADMIN": (200, 200, 204, None),
    "PROJECT_READ": (200, 200, 401, AUTHORISATION),
    "PROJECT_WRITE": (200, 200, 401, AUTHORISATION),
    "PROJECT_ADMIN": (200, 200, 204, None),
    "global-ADMIN": (200, 200, 204, None),
    "global-SYS_ADMIN": (200, 200, 204, None),
    "token-bearer-REPO_READ": (200, 200, 401, AUTHORISATION),
    "token-basic-REPO_READ": (200, 200, 401, AUTHORISATION),
    "token-bearer-PROJECT_READ": (200, 200, 401, AUTHORISATION),
    "token-bearer-REPO_ADMIN": (200, 200, 204, None),
    "token-basic-REPO_ADMIN": (200, 200, 204, None),
}


@pytest.mark.parametrize("kind", list(MATRIX))
def test_permission_matrix(repo, count, kind):
    post, get, delete, exception = MATRIX[kind]
    caller = make_caller(repo, kind)
    headers = caller.headers
    as_caller = caller.api
    deploy(repo, key="existing", state="FAILED")

    r = as_caller.post(DEPLOYMENTS, json=body(key="mine"), headers=headers)
    if post == 200:
        assert r.status_code == 200, r.text
        assert r.json()["key"] == "mine"
    else:
        assert_error(r, post, exception)
    assert count() == (2 if post == 200 else 1)  # a refused post stores nothing

    for r in (as_caller.get(DEPLOYMENTS, params=identity("existing"), headers=headers),
              as_caller.get(LISTING, headers=headers), as_caller.get(ENVIRONMENTS, headers=headers)):
        if get == 200:
            assert r.status_code == 200, r.text
        else:
            assert_error(r, get, exception)

    r = as_caller.delete(DEPLOYMENTS, params=identity("existing"), headers=headers)
    if delete == 204:
        assert r.status_code == 204, r.text
        assert_error(fetch(repo, key="existing"), 404)
    else:
        assert_error(r, delete, exception)
        assert fetch(repo, key="existing").json()["state"] == "FAILED"
    # Even an absent deployment's DELETE is refused to a caller who may not delete (no probing).
    r = as_caller.delete(DEPLOYMENTS, params=identity("absent"), headers=headers)
    assert r.status_code == delete, r.text


def test_refusal_says_not_permitted(repo):
    reader = repo.user("reader")
    repo.grant_repo("reader", "REPO_READ")
    deploy(repo)
    error = assert_error(repo.as_user(reader).delete(DEPLOYMENTS, params=identity()), 401, AUTHORISATION)
    assert error["message"] == "You are not permitted to access this resource"
    assert error["context"] is None


def test_reader_posts_reads_and_lists_but_cannot_delete(repo, count):
    reader = repo.as_user(repo.user("reader"))
    repo.grant_repo("reader", "REPO_READ")
    posted = deploy(reader, seq=1)
    assert fetch(reader).json() == posted
    assert reader.get(LISTING).json()["values"] == [posted]
    assert reader.get(ENVIRONMENTS).json()["values"][0]["latest"] == posted
    assert_error(reader.delete(DEPLOYMENTS, params=identity()), 401, AUTHORISATION)
    assert count() == 1
    # The bad-parameter check does not leak past the permission check either.
    assert reader.delete(DEPLOYMENTS).status_code == 401


def test_admin_deletes(repo, count):
    admin = repo.as_user(repo.user("owner"))
    repo.grant_repo("owner", "REPO_ADMIN")
    deploy(repo)
    assert admin.delete(DEPLOYMENTS, params=identity()).status_code == 204
    assert count() == 0


def test_no_access_user_learns_nothing_about_the_repository(repo):
    nobody = repo.as_user(repo.user("nobody"))
    deploy(repo)
    for url in (DEPLOYMENTS, LISTING, ENVIRONMENTS):
        missing = nobody.get(url.replace("/repos/repo/", "/repos/missing/").replace("/repos/repo", "/repos/missing"),
                             params=identity())
        hidden = nobody.get(url, params=identity())
        assert hidden.status_code == missing.status_code == 404
        assert hidden.json()["errors"][0]["exceptionName"] == missing.json()["errors"][0]["exceptionName"]


def test_user_who_sees_the_project_gets_no_such_repository(repo, count):
    repo.repo(name="other")
    repo.user("sibling")
    repo.grant_repo("sibling", "REPO_READ", slug="other")
    sibling = repo.as_user(("sibling", "sibling-password"))
    assert_error(sibling.post(DEPLOYMENTS, json=body()), 404, NO_REPO, contains="PRJ/repo")
    assert_error(sibling.get(LISTING), 404, NO_REPO)
    assert sibling.post(deployments_url(repo="other"), json=body()).status_code == 200
    assert count() == 1


def test_token_of_an_administrator_is_capped(repo, count):
    secret = repo.token(("admin", "admin-password"), ["REPO_READ"])["token"]
    capped = repo.as_user(None)
    headers = {"Authorization": f"Bearer {secret}"}
    assert capped.post(DEPLOYMENTS, json=body(), headers=headers).status_code == 200
    assert_error(capped.delete(DEPLOYMENTS, params=identity(), headers=headers), 401, AUTHORISATION)
    assert count() == 1


def test_bad_credentials_are_401_even_for_a_public_repository(api, count):
    api.project()
    api.repo(public=True)
    wrong = api.as_user(("admin", "wrong"))
    assert_error(wrong.get(LISTING), 401, "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException")
    assert_error(wrong.post(DEPLOYMENTS, json=body()), 401)
    assert_error(api.as_user(None).get(ENVIRONMENTS, headers={"Authorization": "Bearer not-a-token"}), 401)
    assert count() == 0


@pytest.mark.parametrize("public", ["repository", "project"])
def test_public_repository_lets_anonymous_read_but_not_post_or_delete(api, count, public):
    api.project(public=(public == "project"))
    api.repo(public=(public == "repository"))
    posted = deploy(api)
    anonymous = api.as_user(None)
    assert fetch(anonymous).json() == posted
    assert anonymous.get(LISTING).json()["values"] == [posted]
    assert anonymous.get(ENVIRONMENTS).json()["values"][0]["latest"] == posted
    # Posting needs a signed-in user even where anyone may read.
    assert_error(anonymous.post(DEPLOYMENTS, json=body(seq=2)), 401, AUTH_REQUIRED)
    assert_error(anonymous.delete(DEPLOYMENTS, params=identity()), 401, AUTH_REQUIRED)
    assert count() == 1
    nobody = api.as_user(api.user("nobody"))
    assert nobody.post(DEPLOYMENTS, json=body(seq=2)).status_code == 200  # public access gives REPO_READ
    assert_error(nobody.delete(DEPLOYMENTS, params=identity()), 401, AUTHORISATION)
    assert count() == 2


def test_revoked_grant_stops_posting(repo, count):
    reader = repo.as_user(repo.user("reader"))
    repo.grant_repo("reader", "REPO_READ")
    deploy(reader)
    r = repo.delete("/rest/api/latest/projects/PRJ/repos/repo/permissions/users", params={"name": "reader"})
    assert r.status_code == 204, r.text
    assert_error(reader.post(DEPLOYMENTS, json=body(seq=2)), 404)
    assert_error(reader.get(ENVIRONMENTS), 404)
    assert count() == 1

