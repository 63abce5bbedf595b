"""What a running server tells its operator: a start-up line, an access line per request with the request id
the response carries, unexpected errors once with their traceback, never a secret; /status says whether the
database answers."""

from __future__ import annotations

import io
import json
import logging
import time

import httpx
import pytest

from tests.fixtures.postgres import PG_URL, create_database, drop_database
from tests.fixtures.server import ADMIN, BACKENDS, start_server, stop_server

SECRET = "s3cret-passw0rd-nobody-may-see"


@pytest.fixture(params=BACKENDS)
def json_server(request, tmp_path):
    database, url = create_database("cairn_logs") if request.param == "postgresql" else (None, None)
    srv = start_server(request.param, tmp_path, url, CAIRN_LOG_FORMAT="json")
    try:
        yield srv
    finally:
        stop_server(srv)
        if database:
            drop_database(database)


def test_json_access_lines_carry_the_request_id_and_never_a_secret(json_server):
    url = json_server.url
    admin = httpx.Client(base_url=url, auth=ADMIN)
    r = admin.post("/rest/api/latest/admin/users", params={"name": "carol", "password": SECRET,
                                                           "displayName": "C", "emailAddress": "c@x"})
    assert r.status_code == 204  # the password rode in the query string: it must not reach the log either
    token = admin.put("/rest/access-tokens/latest/users/carol", json={"name": "t", "permissions": ["REPO_READ"]})
    token = token.json()["token"]
    answers = [
        httpx.get(f"{url}/rest/api/latest/projects", params={"password": SECRET}, auth=("carol", SECRET)),
        httpx.get(f"{url}/rest/api/latest/projects", headers={"Authorization": f"Bearer {token}"}),
        httpx.get(f"{url}/rest/api/latest/projects", auth=("carol", "wrong-" + SECRET)),
        httpx.get(f"{url}/nope"),
    ]
    ids = [answer.headers["x-arequestid"] for answer in answers]
    deadline = time.monotonic() + 5  # access lines are written in batches, about every half second
    while not all(i in json_server.log_text() for i in ids) and time.monotonic() < deadline:
        time.sleep(0.1)
    output = json_server.log_text()
    assert output.splitlines()[0].startswith("cairn ") and "database" in output.splitlines()[0]
    lines = [json.loads(line) for line in output.splitlines()[1:]]
    access = {line["request_id"]: line for line in lines if line["logger"] == "cairn.access"}
    for answer, user, status in zip(answers, ("carol", "carol", None, None), (200, 200, 401, 404)):
        line = access[answer.headers["x-arequestid"]]  # every response names its line
        assert (line["method"], line["path"], line["status"], line["user"]) == (
            "GET", answer.url.path, status, user)
        assert line["duration_ms"] >= 0 and line["level"] == "INFO" and line["time"].endswith("Z")
    for secret in (SECRET, token):
        assert secret not in output


def test_the_access_log_can_be_turned_off(tmp_path):
    srv = start_server("sqlite", tmp_path, None, CAIRN_ACCESS_LOG="0")
    try:
        assert httpx.get(f"{srv.url}/rest/api/latest/projects").status_code == 200
        time.sleep(1.0)  # past the batch interval: a line would be written by now
        assert "cairn.access" not in srv.log_text() and "/rest/api/latest/projects" not in srv.log_text()
    finally:
        stop_server(srv)


def test_an_unexpected_error_is_logged_once_with_its_request_id(api, monkeypatch):
    from cairn.projects import service

    async def broken(*args, **kwargs):
        raise RuntimeError("the disk is on fire")
    monkeypatch.setattr(service, "list_projects", broken)
    captured = io.StringIO()
    handler = logging.StreamHandler(captured)
    logging.getLogger("cairn").addHandler(handler)
    try:
        r = api.get("/rest/api/latest/projects")
    finally:
        logging.getLogger("cairn").removeHandler(handler)
    assert r.status_code == 500 and "fire" not in r.text  # the client learns nothing of the internals
    text = captured.getvalue()
    assert text.count("Traceback") == 1 and text.count("RuntimeError: the disk is on fire") == 1
    assert f"[request {r.headers['x-arequestid']}]" in text


@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL (CAIRN_TEST_POSTGRES_URL)")
def test_status_is_503_while_the_database_does_not_answer(tmp_path):
    name, url = create_database("cairn_status")
    srv = start_server("postgresql", tmp_path, url)
    try:
        assert httpx.get(f"{srv.url}/status").json() == {"state": "RUNNING"}
        drop_database(name)  # terminates the server's connections, and the database is gone
        started = time.monotonic()
        r = httpx.get(f"{srv.url}/status", timeout=10)
        assert r.status_code == 503 and r.json()["state"] == "ERROR" and "database" in r.json()["message"]
        assert time.monotonic() - started < 5
    finally:
        stop_server(srv)
        drop_database(name)
