"""HTTP Basic with a password, bad credentials, who-am-I headers, and credentials that change."""

import base64
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from argon2 import PasswordHasher, profiles

from tests.fixtures.api import assert_error

PROJECTS = "/rest/api/latest/projects"
INCORRECT = "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"
REQUIRED = "com.atlassian.plugins.rest.common.security.AuthenticationRequiredException"
TTL = 0.6  # just past the test settings' 0.5 s credential cache


def _basic(value: str) -> dict:
    return {"Authorization": "Basic " + base64.b64encode(value.encode()).decode()}


def test_basic_with_the_right_password_signs_in(api):
    api.project("PRJ")
    alice = api.user("alice")
    api.grant_project("alice", "PROJECT_READ")
    r = api.as_user(alice).get(f"{PROJECTS}/PRJ")
    assert r.status_code == 200
    assert r.headers["x-ausername"] == "alice"
    assert_error(api.as_user(None).get(f"{PROJECTS}/PRJ"), 401, REQUIRED)


@pytest.mark.parametrize("path", [PROJECTS, "/rest/api/latest/application-properties", "/rest/api/1.0/projects"])
def test_a_wrong_password_is_401_even_where_anonymous_is_allowed(api, path):
    api.user("alice")
    assert api.as_user(None).get(path).status_code == 200
    for auth in [("alice", "wrong"), ("nobody", "whatever"), ("admin", ""), ("alice", "ALICE-PASSWORD")]:
        error = assert_error(api.as_user(auth).get(path), 401, INCORRECT)
        assert error["message"] == "Authentication failed. Please check your credentials and try again."


@pytest.mark.parametrize("header", [
    "Basic !!!not-base64!!!",
    "Basic " + base64.b64encode(b"no-colon-here").decode(),
    "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode(),
    "Bearer not-a-token",
    "Bearer ",
])
def test_malformed_credentials_are_401(api, header):
    r = api.get(PROJECTS, headers={"Authorization": header})
    assert_error(r, 401, INCORRECT)
    assert "x-ausername" not in r.headers


def test_a_password_with_a_colon_works(api):
    api.user("colon", password="pa:ss:word")
    r = api.get(PROJECTS, headers=_basic("colon:pa:ss:word"))
    assert r.status_code == 200 and r.headers["x-ausername"] == "colon"


def test_a_wrong_password_is_refused_also_right_after_a_good_one(api):
    alice = api.user("alice")
    assert api.as_user(alice).get(PROJECTS).status_code == 200
    assert_error(api.as_user(("alice", "alice-passwordX")).get(PROJECTS), 401, INCORRECT)
    assert api.as_user(alice).get(PROJECTS).status_code == 200


def test_authenticated_responses_carry_the_user_headers(api, db):
    alice = api.user("alice")
    (user_id,) = db("SELECT id FROM users WHERE name = 'alice'")[0]
    for method, path in [("GET", PROJECTS), ("GET", f"{PROJECTS}/NOPE"), ("POST", PROJECTS),
                         ("GET", "/rest/api/latest/application-properties")]:
        r = api.as_user(alice).request(method, path, json={})
        assert r.headers["x-ausername"] == "alice", (method, path, r.status_code)
        assert r.headers["x-auserid"] == str(user_id)
    # Errors for a signed-in caller carry them too (the 404 and 401 above); anonymous responses never do.
    for r in (api.as_user(None).get(PROJECTS), api.as_user(None).post(PROJECTS, json={})):
        assert "x-ausername" not in r.headers and "x-auserid" not in r.headers


def test_passwords_are_stored_only_as_argon2id_hashes(api, db):
    api.user("alice", password="correct horse battery staple")
    (stored,) = db("SELECT password_hash FROM users WHERE name = 'alice'")[0]
    assert stored.startswith("$argon2id$")
    assert "correct horse" not in stored
    rows = db("SELECT * FROM users WHERE name = 'alice'")
    assert not any("correct horse" in str(value) for value in rows[0])


def test_a_changed_password_stops_working_within_a_second(api, db_write):
    alice = api.user("alice", password="old-password")
    assert api.as_user(alice).get(PROJECTS).status_code == 200  # now cached
    new_hash = PasswordHasher.from_parameters(profiles.CHEAPEST).hash("new-password")
    db_write("UPDATE users SET password_hash = :h WHERE name = 'alice'", {"h": new_hash})
    time.sleep(TTL)
    assert_error(api.as_user(alice).get(PROJECTS), 401, INCORRECT)
    assert api.as_user(("alice", "new-password")).get(PROJECTS).status_code == 200


def test_a_deactivated_user_is_refused_within_a_second(api, db_write):
    alice = api.user("alice")
    assert api.as_user(alice).get(PROJECTS).status_code == 200
    db_write("UPDATE users SET active = :f WHERE name = 'alice'", {"f": False})
    time.sleep(TTL)
    assert_error(api.as_user(alice).get(PROJECTS), 401, INCORRECT)


def test_a_revoked_global_permission_stops_working_within_a_second(api):
    boss = api.user("boss", permission="ADMIN")
    assert api.as_user(boss).get("/rest/api/latest/admin/permissions/users").status_code == 200
    assert api.delete("/rest/api/latest/admin/permissions/users", params={"name": "boss"}).status_code == 204
    time.sleep(TTL)
    assert_error(api.as_user(boss).get("/rest/api/latest/admin/permissions/users"), 401,
                 "com.atlassian.bitbucket.AuthorisationException")


def test_an_unknown_scheme_is_anonymous(api):
    api.project("PRJ")
    r = api.get(f"{PROJECTS}/PRJ", headers={"Authorization": "Negotiate abc"})
    assert_error(r, 401, REQUIRED)


def test_x_ausername_is_percent_encoded_for_a_non_ascii_name(api):
    user = api.user("jürgen@example")
    r = api.as_user(user).get("/rest/api/latest/projects")
    assert r.status_code == 200
    assert r.headers["x-ausername"] == "j%C3%BCrgen@example"


class _SlowCountingHasher(PasswordHasher):
    """A real argon2 hasher that counts its verifications and takes a moment over each, as a real one does."""

    verified = 0

    def verify(self, hash, password):  # noqa: A002 - argon2's name
        self.verified += 1
        time.sleep(0.3)
        return super().verify(hash, password)


def test_concurrent_first_requests_check_the_credential_once(api, backend):
    alice = api.user("alice")
    authenticator = backend.app.state.authenticator
    counting = _SlowCountingHasher()
    original, authenticator.hasher = authenticator.hasher, counting
    try:
        with ThreadPoolExecutor(6) as pool:
            statuses = list(pool.map(lambda _: api.as_user(alice).get(PROJECTS).status_code, range(6)))
    finally:
        authenticator.hasher = original
    assert statuses == [200] * 6
    assert counting.verified == 1  # the others took its outcome
