"""Bitbucket's webhook API: shapes, updates, search across scopes, bad input, the test call, URL safety."""

from __future__ import annotations

import dataclasses

import pytest

from tests.webhooks.conftest import ALL_EVENTS, HOOKS, create_hook

PROJECT_HOOKS = "/rest/api/latest/projects/PRJ/webhooks"


def test_a_webhook_is_created_read_listed_updated_and_deleted_as_bitbucket_shapes_it(repo):
    body = {"name": "chat", "url": "https://chat.example/hook", "events": ["build:status_set", "deployment:set"],
            "active": True, "configuration": {"secret": "s3cret"}, "sslVerificationRequired": False,
            "credentials": {"username": "bot", "password": "pw"}}
    created = repo.post(HOOKS, json=body)
    assert created.status_code == 200, created.text
    hook = created.json()
    assert set(hook) == {"id", "name", "createdDate", "updatedDate", "events", "configuration", "url", "active",
                         "scopeType", "sslVerificationRequired", "credentials"}
    assert (hook["name"], hook["url"], hook["events"], hook["active"], hook["scopeType"]) == (
        "chat", "https://chat.example/hook", ["build:status_set", "deployment:set"], True, "repository")
    assert hook["configuration"] == {} and hook["credentials"] == {"username": "bot"}  # secrets are write-only
    assert hook["sslVerificationRequired"] is False
    assert repo.get(f"{HOOKS}/{hook['id']}").json() == hook
    listed = repo.get(HOOKS).json()
    assert listed["values"] == [hook] and listed["isLastPage"] is True
    assert repo.get(HOOKS, params={"event": "deployment:set"}).json()["values"] == [hook]
    assert repo.get(HOOKS, params={"event": "build:status_deleted"}).json()["values"] == []

    renamed = repo.put(f"{HOOKS}/{hook['id']}", json={"name": "renamed"}).json()  # the rest is kept
    assert renamed["name"] == "renamed" and renamed["events"] == hook["events"] and renamed["url"] == hook["url"]
    assert renamed["credentials"] == {"username": "bot"} and renamed["updatedDate"] >= hook["updatedDate"]
    assert repo.get(f"{HOOKS}/{hook['id']}", params={"statistics": "true"}).json()["statistics"] == {}

    assert repo.delete(f"{HOOKS}/{hook['id']}").status_code == 204
    assert repo.get(f"{HOOKS}/{hook['id']}").status_code == 404
    assert repo.delete(f"{HOOKS}/{hook['id']}").status_code == 404


def test_the_secret_is_kept_replaced_or_removed_and_signs_deliveries(repo, db):
    hook = create_hook(repo, "https://x.example/", configuration={"secret": "one"})
    secret = lambda: db("SELECT secret FROM webhooks")[0][0]  # noqa: E731
    repo.put(f"{HOOKS}/{hook['id']}", json={"configuration": {}})
    assert secret() == "one"
    repo.put(f"{HOOKS}/{hook['id']}", json={"configuration": {"secret": "two"}})
    assert secret() == "two"
    repo.put(f"{HOOKS}/{hook['id']}", json={"configuration": {"secret": ""}})
    assert secret() is None


def test_a_read_modify_write_keeps_the_password_it_cannot_see(repo, db):
    hook = create_hook(repo, "https://x.example/", credentials={"username": "bot", "password": "pw"})
    shown = repo.get(f"{HOOKS}/{hook['id']}").json()
    assert repo.put(f"{HOOKS}/{hook['id']}", json={**shown, "name": "again"}).status_code == 200
    assert db("SELECT username, password FROM webhooks") == [("bot", "pw")]
    repo.put(f"{HOOKS}/{hook['id']}", json={"credentials": {"username": ""}})
    assert db("SELECT username, password FROM webhooks") == [(None, None)]


def test_a_repository_search_finds_its_own_and_its_projects_webhooks(repo):
    own = create_hook(repo, "https://a.example/")
    project = create_hook(repo, "https://b.example/", path=PROJECT_HOOKS)
    assert project["scopeType"] == "project"
    search = f"{HOOKS}/search"
    assert [h["id"] for h in repo.get(search).json()["values"]] == [own["id"], project["id"]]
    assert [h["id"] for h in repo.get(search, params={"scopeType": "project"}).json()["values"]] == [project["id"]]
    assert [h["id"] for h in repo.get(search, params={"scopeType": "repository"}).json()["values"]] == [own["id"]]
    assert [h["id"] for h in repo.get(HOOKS).json()["values"]] == [own["id"]]
    assert [h["id"] for h in repo.get(PROJECT_HOOKS).json()["values"]] == [project["id"]]
    assert repo.get(f"{HOOKS}/{project['id']}").status_code == 404  # not the repository's own
    assert repo.get(f"{PROJECT_HOOKS}/{own['id']}").status_code == 404


@pytest.mark.parametrize("body, context", [
    ({"url": "https://a.example/", "events": ["build:status_set"]}, "name"),
    ({"name": "n", "events": ["build:status_set"]}, "url"),
    ({"name": "n", "url": "ftp://a.example/", "events": ["build:status_set"]}, "url"),
    ({"name": "n", "url": "not a url", "events": ["build:status_set"]}, "url"),
    ({"name": "n", "url": "https://a.example/", "events": ["repo:refs_changed"]}, "events"),
    ({"name": "n", "url": "https://a.example/", "events": []}, "events"),
    ({"name": "n", "url": "https://a.example/", "events": "build:status_set"}, "events"),
    ({"name": 5, "url": "https://a.example/", "events": ["build:status_set"]}, "name"),
])
def test_bad_webhooks_are_refused_with_bitbucket_errors_and_nothing_is_stored(repo, db, body, context):
    r = repo.post(HOOKS, json=body)
    assert r.status_code == 400, r.text
    assert r.headers["content-type"] == "application/json;charset=UTF-8"
    [error] = r.json()["errors"]
    assert error["context"] == context and error["message"], error
    assert db("SELECT count(*) FROM webhooks") == [(0,)]


def test_an_update_is_checked_as_a_create_is(repo):
    hook = create_hook(repo, "https://a.example/")
    assert repo.put(f"{HOOKS}/{hook['id']}", json={"events": ["pr:opened"]}).status_code == 400
    assert repo.put(f"{HOOKS}/{hook['id']}", json={"url": "gopher://a/"}).status_code == 400
    assert repo.get(f"{HOOKS}/{hook['id']}").json()["events"] == ALL_EVENTS


def test_only_repository_admins_manage_a_repositorys_webhooks(repo):
    hook = create_hook(repo, "https://a.example/")
    reader = repo.as_user(repo.user("reader"))
    repo.grant_repo("reader", "REPO_WRITE")
    assert reader.get(HOOKS).status_code == 401
    assert reader.post(HOOKS, json={"name": "n", "url": "https://a.example/", "events": ALL_EVENTS}).status_code == 401
    assert reader.delete(f"{HOOKS}/{hook['id']}").status_code == 401
    assert repo.get(f"{HOOKS}/{hook['id']}").status_code == 200


@pytest.mark.parametrize("url", ["http://127.0.0.1/", "http://localhost:8080/", "http://10.1.2.3/",
                                 "http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://192.168.0.1/",
                                 "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/"])
def test_private_addresses_are_refused_unless_allowed(repo, url):
    state = repo.client.app.state
    settings, allowed = state.settings, state.webhook_sender.allow_private
    state.settings = dataclasses.replace(settings, webhook_allow_private=False)
    state.webhook_sender.allow_private = False
    try:
        r = repo.post(HOOKS, json={"name": "n", "url": url, "events": ALL_EVENTS})
        assert r.status_code == 400 and r.json()["errors"][0]["context"] == "url", r.text
        test = repo.post(f"{HOOKS}/test", params={"url": url})
        assert test.status_code == 400, test.text  # the test call reaches no further
    finally:
        state.settings, state.webhook_sender.allow_private = settings, allowed


def test_the_test_call_pings_the_receiver_and_shows_the_exchange(repo, receiver):
    hook = create_hook(repo, receiver.url, configuration={"secret": "s3cret"},
                       credentials={"username": "bot", "password": "pw"})
    r = repo.post(f"{HOOKS}/test", params={"webhookId": hook["id"]})
    assert r.status_code == 200, r.text
    exchange = r.json()
    [ping] = receiver.received
    assert ping.event == "diagnostics:ping" and ping.json == {"test": True} and ping.signed_with("s3cret")
    assert ping.headers["Authorization"] == "Basic Ym90OnB3"
    assert exchange["request"]["url"] == receiver.url and exchange["request"]["headers"]["Authorization"] == "********"
    assert exchange["response"]["statusCode"] == 200 and exchange["response"]["body"] == "ok"
    other = repo.post(f"{HOOKS}/test", params={"url": receiver.url}, json={"username": "u", "password": "p"}).json()
    assert other["response"]["statusCode"] == 200 and "X-Hub-Signature" not in receiver.received[1].headers
    gone = repo.post(f"{HOOKS}/test", params={"url": "http://127.0.0.1:9/"}).json()
    assert "response" not in gone and gone["error"]
