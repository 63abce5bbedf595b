"""Input leniency real clients rely on (spec section C), and the X-AUSERNAME / X-AUSERID headers."""

import json

import pytest

from tests.fixtures.api import BUILDS, SHA, assert_error

STATUS = {"key": "K", "state": "SUCCESSFUL", "url": "http://ci/1"}


def test_unknown_json_members_are_ignored(repo):
    body = dict(STATUS, report_title="x", reportKey="y", nested={"a": [1, 2]}, customizerExtra=None)
    assert repo.post(BUILDS, json=body).status_code == 204
    stored = repo.get(BUILDS, params={"key": "K"}).json()
    assert stored["state"] == "SUCCESSFUL"
    assert not {"report_title", "reportKey", "nested", "customizerExtra"} & set(stored)


def test_unknown_members_are_ignored_on_the_legacy_post_too(api):
    r = api.post(f"/rest/build-status/1.0/commits/{SHA}", json=dict(STATUS, parent="P", extra=1))
    assert r.status_code == 204, r.text


@pytest.mark.parametrize("content_type", [
    "text/plain", "application/x-www-form-urlencoded", None, "application/json; charset=utf-8",
    "application/vnd.atlassian+json", "*/*", "text/plain;charset=ISO-8859-1",
])
def test_a_json_body_is_accepted_whatever_content_type_is_declared(repo, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    r = repo.client.post(BUILDS, content=json.dumps(STATUS).encode(), headers=headers, auth=repo.auth)
    assert r.status_code == 204, r.text
    assert repo.get(BUILDS, params={"key": "K"}).json()["url"] == "http://ci/1"


def test_malformed_json_under_another_content_type_is_still_a_400(repo):
    r = repo.client.post(BUILDS, content=b"key=K&state=SUCCESSFUL", auth=repo.auth,
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert_error(r, 400, contains="not valid JSON")


def test_json_content_type_on_bodiless_get_and_delete_is_accepted(repo):
    assert repo.post(BUILDS, json=STATUS).status_code == 204
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    r = repo.client.get(BUILDS, params={"key": "K"}, headers=headers, auth=repo.auth)
    assert r.status_code == 200 and r.json()["key"] == "K"
    r = repo.client.get("/rest/api/latest/projects", headers=headers, auth=repo.auth)
    assert r.status_code == 200
    r = repo.client.delete(BUILDS, params={"key": "K"}, headers=headers, auth=repo.auth)
    assert r.status_code == 204, r.text
    assert repo.get(BUILDS, params={"key": "K"}).status_code == 404


def test_client_headers_are_tolerated(repo):
    headers = {"X-Atlassian-Token": "no-check", "BBS-Signature": "c2ln", "BBS-Signature-Algorithm": "SHA256withRSA",
               "base-url": "http://jenkins/"}
    r = repo.client.post(BUILDS, json=STATUS, headers=headers, auth=repo.auth)
    assert r.status_code == 204, r.text
    r = repo.client.get(BUILDS, params={"key": "K"}, headers=headers, auth=repo.auth)
    assert r.status_code == 200
    # ...and never required.
    assert repo.post(BUILDS, json=dict(STATUS, key="J")).status_code == 204


@pytest.mark.parametrize("path", ["/rest/", "/rest", "/bitbucket/rest/"])
def test_head_on_the_rest_root_answers_200(api, path):
    r = api.as_user(None).client.head(path, follow_redirects=False)
    assert r.status_code == 200
    assert r.content == b""


def test_head_is_answered_for_every_get_resource_without_a_body(repo):
    assert repo.post(BUILDS, json=STATUS).status_code == 204
    for path, params in (("/rest/api/latest/application-properties", None), (BUILDS, {"key": "K"}),
                         ("/rest/api/1.0/projects", None)):
        get = repo.get(path, params=params)
        head = repo.request("HEAD", path, params=params)
        assert head.status_code == 200 and head.content == b""
        assert head.headers["content-type"] == get.headers["content-type"]
        assert head.headers["content-length"] == get.headers["content-length"]
    r = repo.as_user(None).request("HEAD", BUILDS, params={"key": "K"})
    assert r.status_code == 401 and r.content == b""


def test_a_trailing_slash_names_the_same_resource_without_a_redirect(repo):
    r = repo.client.get("/rest/api/latest/projects/", auth=repo.auth, follow_redirects=False)
    assert r.status_code == 200 and r.json()["size"] == 1
    r = repo.client.post(BUILDS + "/", json=STATUS, auth=repo.auth, follow_redirects=False)
    assert r.status_code == 204, r.text
    r = repo.client.get("/rest/api/latest/application-properties/", follow_redirects=False)
    assert r.status_code == 200


# --- who am I ---------------------------------------------------------------------------------------

def _admin_id(api):
    users = api.get("/rest/api/latest/admin/users", params={"filter": "admin"}).json()["values"]
    return str(next(u["id"] for u in users if u["name"] == "admin"))


def test_authenticated_responses_carry_the_user(repo):
    admin_id = _admin_id(repo)
    for r in (repo.get("/rest/api/latest/projects"), repo.post(BUILDS, json=STATUS),
              repo.get("/rest/api/latest/application-properties"),
              repo.get("/rest/api/latest/projects/NOPE")):  # errors after sign-in too
        assert r.headers["x-ausername"] == "admin", r.status_code
        assert r.headers["x-auserid"] == admin_id


def test_another_user_and_a_token_carry_their_own_name_and_id(repo):
    alice = repo.user("alice")
    repo.grant_repo("alice", "REPO_READ")
    as_alice = repo.as_user(alice)
    r = as_alice.get(BUILDS, params={"key": "nothing"})
    assert r.headers["x-ausername"] == "alice"
    alice_id = r.headers["x-auserid"]
    assert alice_id.isdigit() and alice_id != _admin_id(repo)
    token = repo.token(alice, ["REPO_READ"])["token"]
    r = repo.client.get("/rest/api/latest/projects", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200
    assert (r.headers["x-ausername"], r.headers["x-auserid"]) == ("alice", alice_id)


def test_anonymous_and_failed_sign_ins_carry_no_user(repo):
    for r in (repo.as_user(None).get("/rest/api/latest/projects"),
              repo.as_user(None).get("/rest/api/latest/application-properties"),
              repo.as_user(None).post(BUILDS, json=STATUS),
              repo.as_user(("admin", "wrong")).get("/rest/api/latest/projects")):
        assert "x-ausername" not in r.headers and "x-auserid" not in r.headers
