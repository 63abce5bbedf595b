"""Who may create, read, replace, annotate and delete Code Insights reports (and what a refusal looks like)."""

from __future__ import annotations

import pytest

from tests.fixtures.api import assert_error
from tests.fixtures.callers import make_caller
from tests.insights.conftest import (ANNOTATIONS, AUTH_REQUIRED, AUTHORISATION, NO_PROJECT, NO_REPO, REPORTS,
                                     annotate, annotation, annotations_of, annotations_url, commit_url, report,
                                     report_url)


# caller kind -> (PUT own report, read, replace/annotate another's report, delete another's, exceptionName)
MATRIX = {
    "anonymous": (401, 401, 401, 401, AUTH_REQUIRED),
    "no-access": (404, 404, 404, 404, NO_PROJECT),
    "global-PROJECT_CREATE": (404, 404, 404, 404, NO_PROJECT),
    "REPO_READ": (200, 200, 401, 401, AUTHORISATION),
    "REPO_WRITE": (200, 200, 401, 401, AUTHORISATION),
    "REPO_ADMIN": (200, 200, 401, 204, AUTHORISATION),
    "PROJECT_READ": (200, 200, 401, 401, AUTHORISATION),
    "PROJECT_ADMIN": (200, 200, 401, 204, AUTHORISATION),
    "global-ADMIN": (200, 200, 401, 204, AUTHORISATION),
    "token-REPO_READ": (200, 200, 401, 401, AUTHORISATION),
    "token-REPO_ADMIN": (200, 200, 401, 204, AUTHORISATION),
}


def expect(r, status: int, exception: str) -> None:
    if status < 400:
        assert r.status_code == status, r.text
    else:
        assert_error(r, status, exception)


@pytest.mark.parametrize("kind", list(MATRIX))
def test_permission_matrix(repo, count, kind):
    put, read, foreign, delete, exception = MATRIX[kind]
    caller = make_caller(repo, kind)
    report(repo, "existing", title="admin's")
    annotate(repo, "existing", annotation("kept", externalId="e"))

    expect(caller.put(report_url("mine"), json={"title": "mine"}), put, exception)
    assert count("reports") == (2 if put == 200 else 1)

    for r in (caller.get(report_url("existing")), caller.get(REPORTS), caller.get(ANNOTATIONS),
              caller.get(annotations_url("existing"))):
        expect(r, read, exception)

    # Only the report's creator may replace or annotate it, whatever else the caller may do.
    expect(caller.put(report_url("existing"), json={"title": "taken"}), foreign, exception)
    expect(caller.post(annotations_url("existing"), json={"annotations": [annotation("x")]}), foreign, exception)
    expect(caller.put(f"{annotations_url('existing')}/e", json=annotation("x")), foreign, exception)
    assert repo.get(report_url("existing")).json()["title"] == "admin's"
    assert [a["message"] for a in annotations_of(repo, "existing")] == ["kept"]

    expect(caller.delete(annotations_url("existing"), params={"externalId": "e"}), delete, exception)
    assert count("annotations") == (0 if delete == 204 else 1)
    expect(caller.delete(report_url("existing")), delete, exception)
    assert count("reports") == (1 if delete == 204 else 2) - (0 if put == 200 else 1)


def test_the_creator_with_repo_read_manages_the_report(repo, count):
    reader = repo.as_user(repo.user("reader"))
    repo.grant_repo("reader", "REPO_READ")
    report(reader, "K", title="first")
    report(reader, "K", title="second")
    annotate(reader, "K", annotation("a", externalId="a"), annotation("b"))
    assert reader.put(f"{annotations_url('K')}/a", json=annotation("a2")).status_code == 204
    assert reader.delete(annotations_url("K"), params={"externalId": "a"}).status_code == 204
    assert [a["message"] for a in annotations_of(reader, "K")] == ["b"]
    assert reader.delete(annotations_url("K")).status_code == 204
    assert reader.delete(report_url("K")).status_code == 204
    assert (count("reports"), count("annotations")) == (0, 0)


def test_another_reader_cannot_touch_a_readers_report(repo):
    for name in ("alice", "bob"):
        repo.user(name)
        repo.grant_repo(name, "REPO_WRITE")
    alice, bob = repo.as_user(("alice", "alice-password")), repo.as_user(("bob", "bob-password"))
    report(alice, "K", title="alice's")
    annotate(alice, "K", annotation("a"))
    assert_error(bob.put(report_url("K"), json={"title": "bob's"}), 401, AUTHORISATION)
    assert_error(bob.post(annotations_url("K"), json={"annotations": [annotation("b")]}), 401, AUTHORISATION)
    assert_error(bob.delete(annotations_url("K")), 401, AUTHORISATION)
    assert_error(bob.delete(report_url("K")), 401, AUTHORISATION)
    assert bob.get(report_url("K")).json()["title"] == "alice's"
    assert [a["message"] for a in annotations_of(bob, "K")] == ["a"]
    # The repository administrator may delete what alice made, but not write into it.
    assert_error(repo.post(annotations_url("K"), json={"annotations": [annotation("admin")]}), 401, AUTHORISATION)
    assert repo.delete(annotations_url("K")).status_code == 204
    assert repo.delete(report_url("K")).status_code == 204


def test_refusal_says_not_permitted(repo):
    report(repo, "K")
    reader = repo.as_user(repo.user("reader"))
    repo.grant_repo("reader", "REPO_READ")
    error = assert_error(reader.delete(report_url("K")), 401, AUTHORISATION)
    assert error["message"] == "You are not permitted to access this resource"
    assert error["context"] is None


def test_creator_who_lost_access_is_refused(repo, count):
    reader = repo.as_user(repo.user("reader"))
    repo.grant_repo("reader", "REPO_READ")
    report(reader, "K")
    r = repo.delete("/rest/api/latest/projects/PRJ/repos/repo/permissions/users", params={"name": "reader"})
    assert r.status_code == 204, r.text
    assert_error(reader.post(annotations_url("K"), json={"annotations": [annotation()]}), 404)
    assert_error(reader.put(report_url("K"), json={"title": "T"}), 404)
    assert_error(reader.delete(report_url("K")), 404)
    assert (count("reports"), count("annotations")) == (1, 0)


def test_user_who_sees_the_project_gets_no_such_repository(repo):
    repo.repo(name="other")
    sibling = repo.as_user(repo.user("sibling"))
    repo.grant_repo("sibling", "REPO_READ", slug="other")
    assert_error(sibling.put(report_url("K"), json={"title": "T"}), 404, NO_REPO, contains="PRJ/repo")
    assert sibling.put(f"{commit_url(repo='other')}/reports/K", json={"title": "T"}).status_code == 200


def test_bad_credentials_are_401(repo, count):
    wrong = repo.as_user(("admin", "wrong"))
    assert_error(wrong.put(report_url("K"), json={"title": "T"}), 401,
                 "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException")
    assert count("reports") == 0


@pytest.mark.parametrize("public", ["repository", "project"])
def test_public_repository_lets_anonymous_read_but_not_write(api, count, public):
    api.project(public=(public == "project"))
    api.repo(public=(public == "repository"))
    report(api, "K", title="T")
    annotate(api, "K", annotation("a"))
    anonymous = api.as_user(None)
    assert anonymous.get(report_url("K")).json()["title"] == "T"
    assert [r["key"] for r in anonymous.get(REPORTS).json()["values"]] == ["K"]
    assert [a["message"] for a in annotations_of(anonymous, "K")] == ["a"]
    assert [a["message"] for a in annotations_of(anonymous)] == ["a"]
    assert_error(anonymous.put(report_url("A"), json={"title": "T"}), 401, AUTH_REQUIRED)
    assert_error(anonymous.put(report_url("K"), json={"title": "T2"}), 401, AUTH_REQUIRED)
    assert_error(anonymous.post(annotations_url("K"), json={"annotations": [annotation()]}), 401, AUTH_REQUIRED)
    assert_error(anonymous.delete(annotations_url("K")), 401, AUTH_REQUIRED)
    assert_error(anonymous.delete(report_url("K")), 401, AUTH_REQUIRED)
    assert (count("reports"), count("annotations")) == (1, 1)
    # A signed-in user with no grant reads the public repository and may create a report of its own.
    nobody = api.as_user(api.user("nobody"))
    report(nobody, "N")
    annotate(nobody, "N", annotation("n"))
    assert_error(nobody.delete(report_url("K")), 401, AUTHORISATION)


def test_report_of_a_deleted_user_can_be_deleted_by_an_admin_only(repo, count):
    writer = repo.as_user(repo.user("writer"))
    repo.grant_repo("writer", "REPO_WRITE")
    report(writer, "K", title="orphan")
    annotate(writer, "K", annotation("a"))
    assert repo.delete("/rest/api/latest/admin/users", params={"name": "writer"}).status_code == 200
    assert repo.get(report_url("K")).json()["title"] == "orphan"
    assert_error(repo.put(report_url("K"), json={"title": "mine now"}), 401, AUTHORISATION)
    assert_error(repo.post(annotations_url("K"), json={"annotations": [annotation()]}), 401, AUTHORISATION)
    assert repo.delete(report_url("K")).status_code == 204
    assert (count("reports"), count("annotations")) == (0, 0)


def test_two_users_racing_to_create_one_key_leave_one_creator(repo, count):
    from concurrent.futures import ThreadPoolExecutor

    users = []
    for name in ("alice", "bob"):
        repo.user(name)
        repo.grant_repo(name, "REPO_READ")
        users.append(repo.as_user((name, f"{name}-password")))

    def send(api):
        return api.put(report_url("K"), json={"title": api.auth[0]}).status_code

    with ThreadPoolExecutor(2) as pool:
        codes = sorted(pool.map(send, users))
    assert codes == [200, 401]
    assert count("reports") == 1
    winner = repo.get(report_url("K")).json()["title"]
    annotate(repo.as_user((winner, f"{winner}-password")), "K", annotation())
