"""Deployments through a real `cairn serve` process, as Atlassian's Jenkins plugin and a script drive them.

The plugin (atlassian-bitbucket-server-integration) first reads /rest/capabilities and the deployment
capability, then POSTs the deployment to /rest/api/1.0/.../commits/{sha}/deployments with OkHttp:
`Content-Type: application/json; charset=utf-8`, its User-Agent, and (api-notes C.7) the headers it adds
to its Bitbucket calls. It only checks the status code. What was stored is then read back with the
unmodified atlassian-python-api through its generic `get`/`post`/`delete`
(`Bitbucket(url, username, password)`), as a deployment dashboard script would. The server runs once per
database (tests/fixtures/server.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets

import httpx
import pytest
from atlassian import Bitbucket

from tests.fixtures.server import (  # noqa: F401 - fixtures
    ADMIN, AUTHORISATION, JSON_UTF8, NO_ENTITY, PROJECT, SLUG, Server, _mark_server_output, access_token,
    library_error, new_sha, now_ms, server, set_up_repository)
CI = ("ci", "ci-password")  # REPO_READ on PRJ/repo: the Jenkins service account

# api-notes section 6: the plugin's own test fixture deployments/send_deployment_request.json, byte for byte.
JENKINS_REQUEST = ('{"deploymentSequenceNumber":42,"description":"my-description","displayName":"my-display-name",'
                   '"environment":{"key":"My-env","displayName":"MY-ENV","type":"DEVELOPMENT",'
                   '"url":"http://url.to.env"},"key":"my-key","state":"FAILED","url":"http://url.to.job"}')
WEBHOOK_SECRET = b"jenkins-webhook-secret"


def commit(sha: str) -> dict:
    return {"id": sha, "displayId": sha[:7]}


def path(sha: str, version: str = "1.0") -> str:
    """The deployments path of a commit, relative, as atlassian-python-api takes it."""
    return f"rest/api/{version}/projects/{PROJECT}/repos/{SLUG}/commits/{sha}/deployments"


def repo_path(version: str = "1.0") -> str:
    return f"rest/api/{version}/projects/{PROJECT}/repos/{SLUG}"


def jenkins_headers(auth: str, body: bytes) -> dict[str, str]:
    """What the plugin's OkHttp call carries: its media type and User-Agent, plus the C.7 headers."""
    return {
        "Authorization": auth,
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "bitbucket-jenkins-integration/4.1.3",
        "Accept-Encoding": "gzip",
        "X-Atlassian-Token": "no-check",
        "base-url": "http://jenkins.example.com:8080/jenkins/",
        "BBS-Signature": "sha256=" + hmac.new(WEBHOOK_SECRET, body, hashlib.sha256).hexdigest(),
        "BBS-Signature-Algorithm": "SHA256",
    }


def jenkins_post(server: Server, sha: str, auth: str, body: str = JENKINS_REQUEST) -> httpx.Response:
    raw = body.encode()
    with httpx.Client(base_url=server.url, timeout=30) as client:
        return client.post(f"/{path(sha)}", content=raw, headers=jenkins_headers(auth, raw))


# --------------------------------------------------------------------------------------------
# Set-up: PRJ/repo, the REPO_READ user `ci` and its access token, through the API
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ci(server: Server) -> dict:
    repository = set_up_repository(server, (*CI, "Jenkins"))
    token = access_token(server, CI, "jenkins")
    return {"server": server, "repository": repository, "bearer": f"Bearer {token}",
            "basic": "Basic " + base64.b64encode(f"{CI[0]}:{CI[1]}".encode()).decode()}


def reader(server: Server) -> Bitbucket:
    return Bitbucket(url=server.url, username=CI[0], password=CI[1], timeout=30)


def administrator(server: Server) -> Bitbucket:
    return Bitbucket(url=server.url, username=ADMIN[0], password=ADMIN[1], timeout=30)


# --------------------------------------------------------------------------------------------
# The plugin's requests
# --------------------------------------------------------------------------------------------

def test_plugin_discovers_deployments(ci):
    """What the plugin reads before it ever posts a deployment."""
    bb = reader(ci["server"])
    capabilities = bb.get("rest/capabilities")
    deployment = capabilities["capabilities"]["deployment"]
    assert deployment.startswith("http") and deployment.endswith("/rest/api/latest/deployment/capabilities")
    assert bb.get("rest/api/latest/deployment/capabilities") == {}


@pytest.mark.parametrize("how", ["bearer", "basic"])
def test_plugin_post_is_stored_and_read_back(ci, how):
    server, sha = ci["server"], new_sha()
    started = now_ms()
    r = jenkins_post(server, sha, ci[how])
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == JSON_UTF8
    answered = r.json()
    last_updated = answered.pop("lastUpdated")
    assert started - 5_000 <= last_updated <= now_ms() + 5_000
    assert answered == {**json.loads(JENKINS_REQUEST), "repository": ci["repository"], "toCommit": commit(sha)}
    answered["lastUpdated"] = last_updated

    bb = reader(server)
    identity = {"key": "my-key", "environmentKey": "My-env", "deploymentSequenceNumber": 42}
    assert bb.get(path(sha), params=identity) == answered
    assert bb.get(path(sha.upper(), "latest"), params=identity) == answered
    listed = bb.get(f"{repo_path()}/deployments", params={"commitId": sha})
    assert listed["values"] == [answered] and listed["isLastPage"] is True
    assert bb.get(f"{repo_path('latest')}/deployments", params={"commitId": sha, "state": "failed"})["values"] \
        == [answered]


def test_a_jenkins_pipeline_over_three_builds(ci):
    """Each build deploys its commit: IN_PROGRESS, then the result; fromCommit links the builds."""
    server = ci["server"]
    bb = reader(server)
    key, env = f"pipeline-{secrets.token_hex(4)}", f"prod-{secrets.token_hex(4)}"
    shas = [new_sha() for _ in range(3)]
    final = []
    for n, (sha, result) in enumerate(zip(shas, ["SUCCESSFUL", "FAILED", "SUCCESSFUL"]), start=1):
        body = {"deploymentSequenceNumber": n, "description": f"build #{n}", "displayName": "Deploy to production",
                "environment": {"key": env, "displayName": "Production", "type": "PRODUCTION",
                                "url": "https://prod.example.com"},
                "key": key, "state": "IN_PROGRESS", "url": f"http://jenkins.example.com/job/app/{n}/"}
        assert jenkins_post(server, sha, ci["bearer"], json.dumps(body)).status_code == 200
        done = bb.post(path(sha), data={**body, "state": result})  # the same identity: updated in place
        assert done["state"] == result and done["toCommit"] == commit(sha)
        if n == 1:
            assert "fromCommit" not in done
        else:
            assert done["fromCommit"] == commit(shas[n - 2])
        final.append(done)

    listed = bb.get(f"{repo_path()}/deployments", params={"key": key, "environmentKey": env, "limit": 2})
    assert [d["deploymentSequenceNumber"] for d in listed["values"]] == [3, 2]
    assert listed["isLastPage"] is False and listed["nextPageStart"] == 2
    rest = bb.get(f"{repo_path()}/deployments", params={"key": key, "environmentKey": env, "start": 2})
    assert [d["deploymentSequenceNumber"] for d in rest["values"]] == [1] and rest["isLastPage"] is True

    environments = bb.get(f"{repo_path()}/environments", params={"limit": 1000})["values"]
    [mine] = [e for e in environments if e["environment"]["key"] == env]
    assert mine["latest"] == final[2] and mine["latestSuccessful"] == final[2]
    assert environments[0]["environment"]["key"] == env  # deployed last: first

    # The administrator removes the last one: the previous successful deployment is what is deployed.
    admin = administrator(server)
    identity = {"key": key, "environmentKey": env, "deploymentSequenceNumber": 3}
    assert admin.delete(path(shas[2]), params=identity) is None
    library_error(lambda: bb.get(path(shas[2]), params=identity), 404)
    [mine] = [e for e in bb.get(f"{repo_path()}/environments")["values"] if e["environment"]["key"] == env]
    assert mine["latest"]["deploymentSequenceNumber"] == 2
    assert mine["latestSuccessful"] == bb.get(path(shas[0]), params={**identity, "deploymentSequenceNumber": 1})


def test_errors_a_client_would_see(ci):
    server, sha = ci["server"], new_sha()
    bb = reader(server)
    sent = json.loads(JENKINS_REQUEST)

    # Bad bodies: 400 naming the field, nothing stored.
    r = jenkins_post(server, sha, ci["bearer"], JENKINS_REQUEST.replace('"DEVELOPMENT"', '"QA"'))
    assert r.status_code == 400 and r.json()["errors"][0]["context"] == "environment.type", r.text
    r = jenkins_post(server, sha, ci["bearer"], JENKINS_REQUEST[:-10])
    assert r.status_code == 400 and r.headers["content-type"] == JSON_UTF8, r.text
    error = library_error(lambda: bb.post(path(sha), data={**sent, "deploymentSequenceNumber": "42"}), 400)
    assert error["context"] == "deploymentSequenceNumber"
    error = library_error(lambda: bb.post(path(sha), data={**sent, "key": " "}), 400)
    assert error["context"] == "key"
    identity = {"key": "my-key", "environmentKey": "My-env", "deploymentSequenceNumber": 42}
    error = library_error(lambda: bb.get(path(sha), params=identity), 404)
    assert error["exceptionName"] == NO_ENTITY

    # GET/DELETE without every parameter, or with a bad commit: 400.
    assert library_error(lambda: bb.get(path(sha), params={"key": "my-key"}), 400)["context"] == "environmentKey"
    admin = administrator(server)
    error = library_error(lambda: admin.delete(path(sha), params={"key": "my-key", "environmentKey": "My-env"}), 400)
    assert error["context"] == "deploymentSequenceNumber"
    assert library_error(lambda: bb.post(path("abc123"), data=sent), 400)["context"] == "commitId"

    # The service account may post but not delete; the administrator's delete is 204 also when absent.
    assert bb.post(path(sha), data=sent)["key"] == "my-key"
    assert library_error(lambda: bb.delete(path(sha), params=identity), 401)["exceptionName"] == AUTHORISATION
    assert bb.get(path(sha), params=identity)["state"] == "FAILED"
    assert admin.delete(path(sha), params=identity) is None
    assert admin.delete(path(sha), params=identity) is None
    library_error(lambda: bb.get(path(sha), params=identity), 404)

    # Anonymous and a wrong password: 401; a missing repository: 404.
    anonymous = Bitbucket(url=server.url, timeout=30)
    library_error(lambda: anonymous.post(path(sha), data=sent), 401)
    r = jenkins_post(server, sha, "Bearer not-a-token")
    assert r.status_code == 401, r.text
    library_error(lambda: Bitbucket(url=server.url, username=CI[0], password="wrong").get(
        f"{repo_path()}/environments"), 401)
    library_error(lambda: bb.post(path(sha).replace(f"/repos/{SLUG}/", "/repos/nope/"), data=sent), 404)


def test_server_output_has_no_tracebacks(server):
    """Runs last for each server: no request above ended in an unhandled exception."""
    output = server.log_text()
    assert "Traceback" not in output and "Exception in ASGI application" not in output, output
