"""Repeated wrong passwords for one user name slow down the next tries; tokens are never slowed."""

import time

import pytest

from cairn.auth.backoff import FREE, MAX_WAIT, FailedSignIns
from tests.fixtures.api import assert_error
from tests.web.conftest import Browser

PROJECTS = "/rest/api/latest/projects"
TOO_MANY = "Too many failed sign-in attempts"


@pytest.mark.parametrize("failures, seconds_later, wait", [
    (FREE, 0, 0),  # the first FREE cost nothing
    (FREE + 1, 0, 2),
    (FREE + 1, 1.5, 1),
    (FREE + 1, 2, 0),
    (FREE + 3, 0, 8),
    (FREE + 20, 0, MAX_WAIT),  # never more than half a minute
    (FREE + 20, MAX_WAIT, 0),
])
def test_the_wait_doubles_and_is_capped(failures, seconds_later, wait):
    now = [100.0]
    guard = FailedSignIns(clock=lambda: now[0])
    for _ in range(failures):
        guard.failed("Alice")
    now[0] += seconds_later
    assert guard.wait("alice") == wait
    assert guard.wait("bob") == 0


def test_a_right_password_clears_the_count():
    guard = FailedSignIns(clock=lambda: 0.0)
    for _ in range(FREE + 3):
        guard.failed("alice")
    guard.succeeded("ALICE")
    assert guard.wait("alice") == 0


def test_wrong_passwords_slow_the_name_down_but_never_its_tokens(api):
    alice = api.user("alice")
    r = api.put("/rest/access-tokens/latest/users/alice", json={"name": "ci", "permissions": ["PROJECT_READ"]})
    token = r.json()["token"]  # made by the administrator: alice's password has not been checked yet
    for _ in range(FREE + 1):
        assert_error(api.as_user(("alice", "guess")).get(PROJECTS), 401)
    r = api.as_user(alice).get(PROJECTS)  # even the right password waits now
    assert_error(r, 401, "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException", contains=TOO_MANY)
    assert r.headers["retry-after"] == "2"
    assert api.request("GET", PROJECTS, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert api.as_user(("alice", token)).get(PROJECTS).status_code == 200  # a token as the Basic password
    assert api.get(PROJECTS).status_code == 200  # another name is not slowed
    time.sleep(2.1)
    assert api.as_user(alice).get(PROJECTS).status_code == 200
    assert api.as_user(("alice", "guess")).get(PROJECTS).status_code == 401  # the count started afresh
    assert api.as_user(alice).get(PROJECTS).status_code == 200


def test_a_password_already_verified_here_keeps_working(api):
    alice = api.user("alice")
    assert api.as_user(alice).get(PROJECTS).status_code == 200
    for _ in range(FREE + 3):
        assert_error(api.as_user(("alice", "guess")).get(PROJECTS), 401)
    time.sleep(0.6)  # past the credential cache: the stored hash is unchanged, so no password check is needed
    assert api.as_user(alice).get(PROJECTS).status_code == 200


def test_unknown_names_back_off_alike_so_the_wait_tells_nothing(api):
    for _ in range(FREE + 1):
        assert_error(api.as_user(("nobody", "guess")).get(PROJECTS), 401)
    assert_error(api.as_user(("nobody", "guess")).get(PROJECTS), 401, contains=TOO_MANY)


def test_the_sign_in_page_shares_the_count(api):
    alice = api.user("alice")
    browser = Browser(api)
    browser.get("/login")
    for _ in range(FREE + 1):
        assert browser.post("/login", {"username": "alice", "password": "guess"}).status_code == 401
    r = browser.post("/login", {"username": "alice", "password": alice[1]})
    assert r.status_code == 401 and "Too many failed sign-ins for this user" in r.text
    assert_error(api.as_user(alice).get(PROJECTS), 401, contains=TOO_MANY)
