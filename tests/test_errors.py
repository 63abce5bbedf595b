"""Every failure leaves in Bitbucket's error body, with Bitbucket's status codes (never FastAPI's own)."""

import pytest

from cairn.errors import _validation_message
from tests.fixtures.api import BUILDS, SHA, assert_error

def _stored(api, key="K"):
    return api.get(BUILDS, params={"key": key}).status_code == 200


# --- unknown routes and wrong methods -------------------------------------------------------------

@pytest.mark.parametrize("path", [  # outside /rest a path is a web page (tests/web)
    "/rest/api/latest/nope",
    "/rest/api/2.0/projects",                       # unknown version
    "/rest/no-such-module/latest/projects",
    "/rest/api/latest/projects/PRJ/repos/repo/commits/x/y/z",
])
@pytest.mark.parametrize("signed_in", [True, False])
def test_unknown_route_is_a_404_in_bitbucket_format(api, path, signed_in):
    caller = api if signed_in else api.as_user(None)
    error = assert_error(caller.get(path), 404)
    assert error == {"context": None, "message": "The requested resource does not exist.", "exceptionName": None}


@pytest.mark.parametrize("method, path, allow", [
    ("PUT", BUILDS, "DELETE, GET, HEAD, POST"),
    ("PATCH", BUILDS, "DELETE, GET, HEAD, POST"),
    ("PATCH", "/rest/api/latest/projects", "GET, HEAD, POST"),
    ("DELETE", "/rest/api/1.0/projects", "GET, HEAD, POST"),
    ("POST", "/rest/api/latest/application-properties", "GET, HEAD"),
    ("POST", "/status", "GET, HEAD"),
    ("PUT", f"/rest/build-status/1.0/commits/{SHA}", "GET, HEAD, POST"),
])
def test_wrong_method_is_a_405_naming_every_allowed_method(repo, method, path, allow):
    r = repo.request(method, path, json={"key": "K", "state": "SUCCESSFUL", "url": "http://ci/1"})
    assert_error(r, 405, contains="not supported")
    # The Allow header lists what the path takes across all its routes, not only the first route's.
    assert r.headers["allow"] == allow


def test_wrong_method_stores_nothing(repo):
    r = repo.put(BUILDS, json={"key": "K", "state": "SUCCESSFUL", "url": "http://ci/1"})
    assert r.status_code == 405
    assert not _stored(repo)


# --- validation: 400 naming the field, never 422 ----------------------------------------------------

@pytest.mark.parametrize("body, contexts", [
    ({"state": "SUCCESSFUL", "url": "http://ci/1"}, {"key"}),
    ({"key": "K"}, {"state", "url"}),
    ({"key": "K", "state": "GREEN", "url": "http://ci/1"}, {"state"}),
    ({"key": "K" * 256, "state": "SUCCESSFUL", "url": "http://ci/1"}, {"key"}),
    ({"key": "K", "state": "SUCCESSFUL", "url": "http://ci/1", "duration": "long"}, {"duration"}),
    ({"key": "K", "state": "SUCCESSFUL", "url": "http://ci/1", "testResults": {"failed": -1}},
     {"testResults.failed"}),
])
def test_validation_errors_are_400_with_one_entry_per_field(repo, body, contexts):
    r = repo.post(BUILDS, json=body)
    assert r.status_code == 400, r.text
    for context in contexts:
        assert_error(r, 400, context=context)
    errors = r.json()["errors"]
    assert {e["context"] for e in errors} == contexts
    assert all(e["exceptionName"] is None and e["message"] for e in errors)
    assert not _stored(repo)


def test_a_query_parameter_of_the_wrong_type_is_a_400_naming_it(api):
    r = api.get(f"/rest/build-status/latest/commits/stats/{SHA}", params={"includeUnique": "maybe"})
    assert_error(r, 400, context="includeUnique")


@pytest.mark.parametrize("content", [b"{nope", b'{"key": "K",', b"\xff\xfe", b"[1, 2"])
def test_malformed_json_is_a_400(repo, content):
    r = repo.post(BUILDS, content=content, headers={"Content-Type": "application/json"}, auth=repo.auth)
    error = assert_error(r, 400, contains="not valid JSON")
    assert error["context"] is None
    assert not _stored(repo)


@pytest.mark.parametrize("content", [b"", b"null", b"[]", b'"text"', b"42"])
def test_a_body_that_is_not_an_object_is_a_400(repo, content):
    r = repo.post(BUILDS, content=content, headers={"Content-Type": "application/json"}, auth=repo.auth)
    assert_error(r, 400)
    assert r.status_code != 422


def test_no_response_is_ever_a_422(repo):
    for r in (repo.post(BUILDS, json={}), repo.post("/rest/build-status/latest/commits/stats", json={"a": 1}),
              repo.get(BUILDS, params={"limit": "x"}), repo.post("/rest/api/latest/projects", json=[])):
        assert_error(r, 400)


# --- commit ids in the path -------------------------------------------------------------------------

@pytest.mark.parametrize("commit", ["notasha", SHA[:39], SHA + "0", "g" * 40, SHA[:7]])
@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_a_path_commit_that_is_not_a_full_sha_is_a_400_naming_commit_id(repo, commit, method):
    r = repo.request(method, f"/rest/api/latest/projects/PRJ/repos/repo/commits/{commit}/builds",
                     params={"key": "K"}, json={"key": "K", "state": "SUCCESSFUL", "url": "http://ci/1"})
    error = assert_error(r, 400, context="commitId")
    assert commit in error["message"]


def test_an_upper_case_sha_is_the_same_commit(repo):
    r = repo.post(BUILDS.replace(SHA, SHA.upper()), json={"key": "K", "state": "SUCCESSFUL", "url": "http://ci/1"})
    assert r.status_code == 204, r.text
    assert _stored(repo)


def test_a_bad_commit_on_a_missing_repository_is_still_an_error_in_format(api):
    r = api.get("/rest/api/latest/projects/NOPE/repos/x/commits/notasha/builds")
    assert r.status_code in (400, 404)
    assert_error(r, r.status_code)


# --- not found and unauthorised, as the domains raise them -------------------------------------------

def test_missing_project_and_repository_are_404_with_bitbucket_exceptions(repo):
    assert_error(repo.get("/rest/api/latest/projects/NOPE"), 404,
                 "com.atlassian.bitbucket.project.NoSuchProjectException", context=None,
                 contains="Project NOPE does not exist.")
    assert_error(repo.get("/rest/api/latest/projects/PRJ/repos/nope"), 404,
                 "com.atlassian.bitbucket.repository.NoSuchRepositoryException", context=None,
                 contains="Repository PRJ/nope does not exist.")


def test_anonymous_and_bad_credentials_are_401_in_format(repo):
    r = repo.as_user(None).post(BUILDS, json={"key": "K", "state": "SUCCESSFUL", "url": "http://ci/1"})
    assert_error(r, 401, "com.atlassian.plugins.rest.common.security.AuthenticationRequiredException",
                 contains="You are not permitted to access this resource")
    r = repo.as_user(("admin", "wrong")).get("/rest/api/latest/projects")
    assert_error(r, 401, "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException")


# --- unexpected failures ----------------------------------------------------------------------------

def test_an_unexpected_error_is_a_500_in_format_without_internals(api, monkeypatch):
    from cairn.projects import store

    async def broken(*args, **kwargs):
        raise KeyError("internal detail")

    monkeypatch.setattr(store, "list_projects", broken)
    r = api.get("/rest/api/latest/projects")
    error = assert_error(r, 500)
    assert error["context"] is None and error["exceptionName"] is None
    assert "internal detail" not in r.text and "KeyError" not in r.text


def test_the_server_keeps_serving_after_an_unexpected_error(api, monkeypatch):
    from cairn.projects import store

    async def broken(*args, **kwargs):
        raise RuntimeError("boom")

    with monkeypatch.context() as patch:
        patch.setattr(store, "list_projects", broken)
        assert api.get("/rest/api/latest/projects").status_code == 500
    api.project("AFTER")
    assert [p["key"] for p in api.get("/rest/api/latest/projects").json()["values"]] == ["AFTER"]


# --- the validation-message helper ------------------------------------------------------------------

@pytest.mark.parametrize("error, expected", [
    ({"type": "missing", "loc": ("body", "state")}, ("state", "state is required.")),
    ({"type": "missing", "loc": ("body",)}, (None, "A request body is required.")),
    ({"type": "json_invalid", "loc": ("body", 3)}, (None, "The request body is not valid JSON.")),
    ({"type": "string_too_long", "loc": ("body", "key"), "msg": "String should have at most 255 characters"},
     ("key", "key: String should have at most 255 characters")),
    ({"type": "value_error", "loc": ("body", "ref"), "msg": "Value error, must start with refs/"},
     ("ref", "ref: must start with refs/")),
    ({"type": "bool_parsing", "loc": ("query", "includeUnique"), "msg": "Input should be a valid boolean"},
     ("includeUnique", "includeUnique: Input should be a valid boolean")),
    # Only the leading part is the location: a body member may itself be called "path" or "query".
    ({"type": "missing", "loc": ("body", "annotations", 3, "path")},
     ("annotations.3.path", "annotations.3.path is required.")),
    ({"type": "missing", "loc": ("body", "query")}, ("query", "query is required.")),
])
def test_validation_messages_name_the_field(error, expected):
    assert _validation_message(error) == expected


# --- the caller is signed in before the body is judged (Bitbucket's filters run first) ------------------

def test_bad_credentials_with_a_malformed_body_are_a_401(repo):
    r = repo.client.post(BUILDS, content=b"{bad", auth=("admin", "wrong"))
    assert_error(r, 401, "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException")


def test_anonymous_with_a_malformed_body_on_a_signed_in_only_route_is_a_401(api):
    r = api.client.post(f"/rest/build-status/1.0/commits/{SHA}", content=b"{bad")
    assert_error(r, 401, "com.atlassian.plugins.rest.common.security.AuthenticationRequiredException")
    assert "x-ausername" not in r.headers


def test_a_signed_in_caller_with_a_malformed_body_gets_the_400_and_their_name(repo):
    r = repo.client.post(f"/rest/build-status/1.0/commits/{SHA}", content=b"{bad", auth=repo.auth)
    assert_error(r, 400, contains="not valid JSON")
    assert r.headers["x-ausername"] == "admin" and r.headers["x-auserid"].isdigit()


def test_a_huge_bad_commit_id_is_not_echoed_back_whole(api):
    r = api.post("/rest/build-status/latest/commits/stats", json=["x" * 100_000])
    error = assert_error(r, 400)
    assert "is not a valid commit hash" in error["message"] and len(r.content) < 1000
