"""A real `cairn serve` process, driven by the unmodified atlassian-python-api client and by curl.

Everything here goes over TCP to the console script, as a CI job or a script would: the
module's server runs once per database, the embedded SQLite under CAIRN_HOME and, when
CAIRN_TEST_POSTGRES_URL names an admin connection, a freshly created PostgreSQL database.
When a test fails, what the server wrote while it ran is attached to the failure report.
"""

from __future__ import annotations

import json
import re
import secrets
import shlex
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from atlassian import Bitbucket
from requests import HTTPError

from tests.fixtures.server import ADMIN, Server, _mark_server_output, server  # noqa: F401 - fixtures

JSON_UTF8 = "application/json;charset=UTF-8"  # atlassian-python-api keys its 401 parsing on this exact value
STATS_KEYS = {"successful", "failed", "inProgress", "cancelled", "unknown"}

# The module page's curl examples for the build endpoints, copied verbatim (its one-line form,
# with the " \ " line continuations). test_curl_examples_are_the_module_pages pins them to the page.
SPEC_PAGE = Path(__file__).resolve().parents[2] / "shared" / "spec" / "000_be30f2b95753292b.txt"
CURL_EXAMPLES = {
    "stats-post": r"""curl --request POST \ --url 'http://{baseurl}/rest/build-status/latest/commits/stats' \ --header 'Accept: application/json' \ --header 'Content-Type: application/json' \ --data '[ "db0dd118fa6ccdf1d593fef00df839dd27702df7" ]'""",
    "stats-get": r"""curl --request GET \ --url 'http://{baseurl}/rest/build-status/latest/commits/stats/{commitId}' \ --header 'Accept: application/json'""",
    "builds-get": r"""curl --request GET \ --url 'http://{baseurl}/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/builds' \ --header 'Accept: application/json'""",
    "builds-post": r"""curl --request POST \ --url 'http://{baseurl}/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/builds'""",
    "builds-delete": r"""curl --request DELETE \ --url 'http://{baseurl}/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/builds'""",
}
EXAMPLE_SHA = "db0dd118fa6ccdf1d593fef00df839dd27702df7"  # the commit in the stats-post example's body


def new_sha() -> str:
    return secrets.token_hex(20)


# --------------------------------------------------------------------------------------------
# Clients
# --------------------------------------------------------------------------------------------

def client(server: Server, **auth) -> Bitbucket:
    """The unmodified library, configured as its README shows (Bitbucket(url=..., ...))."""
    if not auth:
        auth = {"username": ADMIN[0], "password": ADMIN[1]}
    return Bitbucket(url=server.url, timeout=30, **auth)


@pytest.fixture(scope="module")
def bb(server) -> Bitbucket:
    return client(server)


@dataclass
class Repo:
    project: str
    slug: str


@pytest.fixture(scope="module")
def repo(server, bb) -> Repo:
    """PRJ/repo, created with the library's generic post, as a script without project helpers would."""
    bb.post("rest/api/1.0/projects", data={"key": "PRJ", "name": "Project"})
    bb.post("rest/api/1.0/projects/PRJ/repos", data={"name": "repo", "scmId": "git"})
    return Repo("PRJ", "repo")


def builds_url(bb: Bitbucket, repo: Repo, sha: str) -> str:
    """Where the library's own commit URL helper points, plus /builds (rest/api/<version>/...)."""
    return f"{bb._url_commit(repo.project, repo.slug, sha)}/builds"


def legacy_url(bb: Bitbucket, resource: str) -> str:
    """Built exactly as get_associated_build_statuses builds its URL (api_root rest/build-status)."""
    return bb.resource_url(resource, api_root="rest/build-status")


def assert_error_body(body: dict, *, context=..., exception=..., message=None) -> dict:
    """Bitbucket's error body: {"errors": [{context, message, exceptionName}]}, all three keys present."""
    assert set(body) == {"errors"}, body
    assert body["errors"], body
    for error in body["errors"]:
        assert set(error) == {"context", "message", "exceptionName"}, error
        assert isinstance(error["message"], str) and error["message"], error
    first = body["errors"][0]
    if context is not ...:
        assert first["context"] == context, body
    if exception is not ...:
        assert first["exceptionName"] == exception, body
    if message is not None:
        assert message in first["message"], body
    return first


def raised(call, status: int) -> HTTPError:
    """Run a library call that must fail; check the status and the body it parsed its message from."""
    with pytest.raises(HTTPError) as info:
        call()
    response = info.value.response
    assert response.status_code == status, (response.status_code, response.text)
    assert response.headers["Content-Type"] == JSON_UTF8
    body = response.json()
    assert_error_body(body)
    # The library joins the errors' messages into the exception text.
    assert str(info.value) == "\n".join(e["message"] for e in body["errors"])
    return info.value


# --------------------------------------------------------------------------------------------
# 1. atlassian-python-api
# --------------------------------------------------------------------------------------------

def test_library_creates_project_and_repository_with_generic_post(server, bb):
    project = bb.post("rest/api/1.0/projects", data={"key": "LIB", "name": "Library", "description": "d"})
    assert project["key"] == "LIB" and project["name"] == "Library" and isinstance(project["id"], int)
    assert project["links"]["self"][0]["href"] == f"{server.url}/projects/LIB"

    repository = bb.post("rest/api/1.0/projects/LIB/repos", data={"name": "My Repo", "scmId": "git"})
    assert repository["slug"] == "my-repo" and repository["name"] == "My Repo"
    assert repository["project"]["key"] == "LIB" and repository["scmId"] == "git"

    # The library's read helpers over the same resources.
    assert bb.project("LIB")["key"] == "LIB"
    assert bb.get_repo("LIB", "my-repo")["slug"] == "my-repo"
    assert bb.project_exists("LIB") and not bb.project_exists("NOPE")
    assert bb.repo_exists("LIB", "my-repo") and not bb.repo_exists("LIB", "nope")
    assert [r["slug"] for r in bb.repo_list("LIB")] == ["my-repo"]
    assert "LIB" in [p["key"] for p in bb.project_list()]

    # A duplicate comes back as the library's HTTPError carrying Bitbucket's message.
    raised(lambda: bb.post("rest/api/1.0/projects", data={"key": "LIB", "name": "Other"}), 409)
    raised(lambda: bb.post("rest/api/1.0/projects/LIB/repos", data={"name": "My Repo", "scmId": "git"}), 409)

    # The library's own helpers send extra members (description, forkable, is_private): ignored.
    assert bb.create_project("LIB2", "Library two", description="x")["key"] == "LIB2"
    assert bb.create_repo("LIB2", "second")["slug"] == "second"


def test_library_posts_rich_build_status_and_reads_it_back(bb, repo):
    sha = new_sha()
    url = builds_url(bb, repo, sha)
    assert url == f"rest/api/1.0/projects/PRJ/repos/repo/commits/{sha}/builds"
    body = {"key": "PLAN-JOB1", "state": "INPROGRESS", "url": "https://ci.example/PLAN-JOB1-7",
            "name": "Unit tests", "description": "started", "buildNumber": 7, "parent": "PLAN",
            "ref": "refs/heads/main", "duration": 0,
            "testResults": {"successful": 3, "failed": 1, "skipped": 2}}
    # 204 No Content: the library's post hands back None.
    assert bb.post(url, data=body) is None

    got = bb.get(url, params={"key": "PLAN-JOB1"})
    created = got.pop("createdDate")
    assert got.pop("updatedDate") == created and isinstance(created, int)
    assert got == {**body, "buildNumber": "7", "projectKey": "PRJ", "repositorySlug": "repo"}

    # Re-posting the key replaces the status: createdDate kept, updatedDate moved.
    time.sleep(0.01)
    assert bb.post(url, data={"key": "PLAN-JOB1", "state": "SUCCESSFUL", "url": "https://ci.example/8",
                              "buildNumber": "8", "duration": 1234}) is None
    again = bb.get(url, params={"key": "PLAN-JOB1"})
    assert again["state"] == "SUCCESSFUL" and again["buildNumber"] == "8" and again["duration"] == 1234
    assert again["createdDate"] == created and again["updatedDate"] > created
    assert "testResults" not in again and "parent" not in again  # replaced, not merged

    # Without key, the GET is a page of the repository's statuses (decision D5): the library's pager ends.
    bb.post(url, data={"key": "PLAN-JOB2", "state": "FAILED", "url": "https://ci.example/9"})
    assert sorted(s["key"] for s in bb._get_paged(url, params={"limit": 1})) == ["PLAN-JOB1", "PLAN-JOB2"]


def test_library_uses_both_api_versions(server, repo):
    sha = new_sha()
    latest = client(server, username=ADMIN[0], password=ADMIN[1], api_version="latest")
    v1 = client(server)
    url_latest = builds_url(latest, repo, sha)
    assert url_latest.startswith("rest/api/latest/")
    assert latest.post(url_latest, data={"key": "L", "state": "UNKNOWN", "url": "http://ci/l"}) is None
    assert v1.get(builds_url(v1, repo, sha), params={"key": "L"})["state"] == "UNKNOWN"
    assert latest.get(legacy_url(latest, f"commits/stats/{sha}"))["unknown"] == 1


def test_library_get_associated_build_statuses(bb, repo):
    sha = new_sha()
    assert bb.get_associated_build_statuses(sha) == {"size": 0, "limit": 25, "start": 0, "isLastPage": True,
                                                     "values": []}
    bb.post(builds_url(bb, repo, sha), data={"key": "RICH", "state": "SUCCESSFUL", "url": "http://ci/r"})
    time.sleep(0.01)
    # The legacy POST (no name, as renovate sends it; `parent` is ignored there).
    assert bb.post(legacy_url(bb, f"commits/{sha}"),
                   data={"key": "LEGACY", "state": "FAILED", "url": "http://ci/l", "parent": "P"}) is None

    page = bb.get_associated_build_statuses(sha)
    assert page["size"] == 2 and page["isLastPage"] is True and page["start"] == 0
    assert "nextPageStart" not in page
    legacy, rich = page["values"]  # newest first
    assert (legacy["key"], legacy["state"], legacy["url"]) == ("LEGACY", "FAILED", "http://ci/l")
    assert "projectKey" not in legacy and "repositorySlug" not in legacy
    assert (rich["key"], rich["projectKey"], rich["repositorySlug"]) == ("RICH", "PRJ", "repo")
    for status in page["values"]:
        assert status["dateAdded"] == status["updatedDate"]  # older clients read dateAdded

    # An upper-case commit id names the same commit.
    assert bb.get_associated_build_statuses(sha.upper())["size"] == 2


def test_library_pages_through_the_legacy_listing(bb):
    sha = new_sha()
    url = legacy_url(bb, f"commits/{sha}")
    for i in range(5):
        bb.post(url, data={"key": f"K{i}", "state": "SUCCESSFUL", "url": f"http://ci/{i}"})
    first = bb.get(url, params={"limit": 2})
    assert first["isLastPage"] is False and first["nextPageStart"] == 2 and first["size"] == 2
    # The library loops on nextPageStart alone: it must stop after the last page.
    keys = [s["key"] for s in bb._get_paged(url, params={"limit": 2, "orderBy": "OLDEST"})]
    assert keys == ["K0", "K1", "K2", "K3", "K4"]


def test_library_reads_build_stats(bb, repo):
    sha, single, empty = new_sha(), new_sha(), new_sha()
    for key, state in (("A", "SUCCESSFUL"), ("B", "FAILED"), ("C", "INPROGRESS"), ("D", "CANCELLED")):
        bb.post(builds_url(bb, repo, sha), data={"key": key, "state": state, "url": f"http://ci/{key}"})
    bb.post(legacy_url(bb, f"commits/{sha}"), data={"key": "E", "state": "UNKNOWN", "url": "http://ci/E"})
    bb.post(legacy_url(bb, f"commits/{single}"), data={"key": "ONLY", "state": "SUCCESSFUL", "url": "http://ci/o"})

    ones = dict.fromkeys(STATS_KEYS, 1)
    assert bb.get(legacy_url(bb, f"commits/stats/{sha}")) == ones
    assert bb.get(legacy_url(bb, f"commits/stats/{sha}"), params={"includeUnique": "true"}) == ones
    assert bb.get(legacy_url(bb, f"commits/stats/{empty}")) == dict.fromkeys(STATS_KEYS, 0)

    # includeUnique with exactly one status adds it as `results` (decision D3).
    unique = bb.get(legacy_url(bb, f"commits/stats/{single}"), params={"includeUnique": "true"})
    results = unique.pop("results")
    assert unique == {**dict.fromkeys(STATS_KEYS, 0), "successful": 1}
    assert [(r["key"], r["state"]) for r in results] == [("ONLY", "SUCCESSFUL")]
    assert "results" not in bb.get(legacy_url(bb, f"commits/stats/{single}"))

    # Many commits: a JSON array in, a map out; commits without statuses left out.
    many = bb.post(legacy_url(bb, "commits/stats"), data=[sha, single, empty])
    assert set(many) == {sha, single}
    assert {k: many[sha][k] for k in STATS_KEYS} == ones
    assert {k: many[single][k] for k in STATS_KEYS} == {**dict.fromkeys(STATS_KEYS, 0), "successful": 1}


def test_library_many_commit_stats_carry_only_the_five_counters(bb):
    """Regression: each entry once carried "results": null (found by this module, fixed in builds/routes.py)."""
    sha = new_sha()
    bb.post(legacy_url(bb, f"commits/{sha}"), data={"key": "K", "state": "FAILED", "url": "http://ci/k"})
    many = bb.post(legacy_url(bb, "commits/stats"), data=[sha])
    # RestBuildStats has the five counters only; `results` appears only with includeUnique (D3).
    assert many == {sha: {**dict.fromkeys(STATS_KEYS, 0), "failed": 1}}


def test_library_deletes_a_status_with_generic_delete(bb, repo):
    sha = new_sha()
    url = builds_url(bb, repo, sha)
    bb.post(url, data={"key": "GONE", "state": "FAILED", "url": "http://ci/g"})
    bb.post(url, data={"key": "KEPT", "state": "SUCCESSFUL", "url": "http://ci/k"})
    bb.post(legacy_url(bb, f"commits/{sha}"), data={"key": "LEGACY", "state": "FAILED", "url": "http://ci/l"})

    # The library sends Content-Type: application/json on this bodiless DELETE; 204 -> None.
    assert bb.delete(url, params={"key": "GONE"}) is None
    error = raised(lambda: bb.get(url, params={"key": "GONE"}), 404)
    assert "GONE" in str(error)
    assert bb.get(url, params={"key": "KEPT"})["state"] == "SUCCESSFUL"
    # Deleting a key that is not there is still 204.
    assert bb.delete(url, params={"key": "GONE"}) is None
    # Without key: 400 naming the parameter.
    error = raised(lambda: bb.delete(url), 400)
    assert error.response.json()["errors"][0]["context"] == "key"

    # The repository-scoped DELETE does not remove the legacy status (KB-DEL).
    bb.delete(url, params={"key": "LEGACY"})
    assert sorted(s["key"] for s in bb.get_associated_build_statuses(sha)["values"]) == ["KEPT", "LEGACY"]
    stats = bb.get(legacy_url(bb, f"commits/stats/{sha}"))
    assert (stats["successful"], stats["failed"]) == (1, 1)


def test_library_reports_bitbucket_errors(server, bb, repo):
    sha = new_sha()
    url = builds_url(bb, repo, sha)

    # Wrong password and anonymous: 401 with a message the library can parse.
    wrong = client(server, username=ADMIN[0], password="wrong")
    error = raised(lambda: wrong.get_associated_build_statuses(sha), 401)
    assert error.response.json()["errors"][0]["exceptionName"] == \
        "com.atlassian.bitbucket.auth.IncorrectPasswordAuthenticationException"
    anonymous = Bitbucket(url=server.url, timeout=30)
    raised(lambda: anonymous.get_associated_build_statuses(sha), 401)
    raised(lambda: anonymous.post(url, data={"key": "K", "state": "SUCCESSFUL", "url": "http://ci"}), 401)

    # Missing repository / project.
    error = raised(lambda: bb.post(builds_url(bb, Repo("PRJ", "nope"), sha),
                                   data={"key": "K", "state": "SUCCESSFUL", "url": "http://ci"}), 404)
    assert error.response.json()["errors"][0]["exceptionName"] == \
        "com.atlassian.bitbucket.repository.NoSuchRepositoryException"
    error = raised(lambda: bb.get(builds_url(bb, Repo("NOPE", "repo"), sha), params={"key": "K"}), 404)
    assert error.response.json()["errors"][0]["exceptionName"] == \
        "com.atlassian.bitbucket.project.NoSuchProjectException"

    # Bad input: 400, never FastAPI's 422, and nothing stored.
    raised(lambda: bb.post(builds_url(bb, repo, "abc123"),
                           data={"key": "K", "state": "SUCCESSFUL", "url": "http://ci"}), 400)
    raised(lambda: bb.post(url, data={"key": "K", "state": "BROKEN", "url": "http://ci"}), 400)
    raised(lambda: bb.post(url, data={"key": "K", "state": "SUCCESSFUL"}), 400)
    raised(lambda: bb.post(url, data={"key": "K", "state": "SUCCESSFUL", "url": "http://ci",
                                      "ref": "main"}), 400)
    raised(lambda: bb.post(url, data={"key": "K" * 256, "state": "SUCCESSFUL", "url": "http://ci"}), 400)
    raised(lambda: bb.post(legacy_url(bb, f"commits/{sha}"),
                           data={"key": "K", "state": "SUCCESSFUL", "url": "http://ci", "name": "n" * 256}), 400)
    assert bb.get(legacy_url(bb, f"commits/stats/{sha}")) == dict.fromkeys(STATS_KEYS, 0)


def test_library_with_a_personal_access_token(server, bb, repo):
    sha = new_sha()
    token = bb.put("rest/access-tokens/1.0/users/admin",
                   data={"name": "ci-token", "permissions": ["PROJECT_READ", "REPO_READ"]})
    assert token["name"] == "ci-token" and token["user"]["name"] == "admin"
    assert sorted(token["permissions"]) == ["PROJECT_READ", "REPO_READ"]
    secret = token["token"]
    assert isinstance(secret, str) and len(secret) >= 20 and isinstance(token["id"], str)
    # The secret is shown once: neither the listing nor the single GET repeats it.
    listed = bb.get("rest/access-tokens/1.0/users/admin")
    assert token["id"] in [t["id"] for t in listed["values"]]
    assert all("token" not in t for t in listed["values"])
    assert "token" not in bb.get(f"rest/access-tokens/1.0/users/admin/{token['id']}")

    # Bitbucket(url, token=...) sends Authorization: Bearer <token>.
    ci = client(server, token=secret)
    url = builds_url(ci, repo, sha)
    assert ci.post(url, data={"key": "TOKEN", "state": "INPROGRESS", "url": "http://ci/t"}) is None
    assert ci.post(legacy_url(ci, f"commits/{sha}"),
                   data={"key": "TOKEN-LEGACY", "state": "SUCCESSFUL", "url": "http://ci/tl"}) is None
    assert ci.get(url, params={"key": "TOKEN"})["state"] == "INPROGRESS"
    assert ci.get_associated_build_statuses(sha)["size"] == 2
    response = ci.get(url, params={"key": "TOKEN"}, advanced_mode=True)
    assert response.headers["X-AUSERNAME"] == "admin" and response.headers["X-AUSERID"]
    # A REPO_READ token cannot delete (REPO_ADMIN), although its owner could: 401.
    error = raised(lambda: ci.delete(url, params={"key": "TOKEN"}), 401)
    assert error.response.json()["errors"][0]["exceptionName"] == "com.atlassian.bitbucket.AuthorisationException"

    # A personal token also works as the Basic password.
    basic = client(server, username="admin", password=secret)
    assert basic.get(url, params={"key": "TOKEN"})["key"] == "TOKEN"

    # Revoked: it stops working within seconds.
    assert bb.delete(f"rest/access-tokens/1.0/users/admin/{token['id']}") is None
    deadline = time.monotonic() + 10
    while True:
        status = ci.get(url, params={"key": "TOKEN"}, advanced_mode=True).status_code
        if status == 401 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert status == 401


def test_library_group_and_permission_methods(server, bb):
    """Groups made with the library's generic post; its group and permission helpers, unmodified."""
    bb.post("rest/api/1.0/projects", data={"key": "GRP", "name": "Groups"})
    bb.post("rest/api/1.0/projects/GRP/repos", data={"name": "svc", "scmId": "git"})
    bb.post("rest/api/1.0/admin/users", params={"name": "gina", "password": "gina-pw", "displayName": "Gina",
                                                "emailAddress": "gina@example.com"})
    for name in ("ci-admins", "readers"):
        assert bb.post("rest/api/1.0/admin/groups", params={"name": name}) == {"name": name, "deletable": True}
    bb.post("rest/api/1.0/admin/groups/add-users", data={"group": "ci-admins", "users": ["gina"]})
    assert [g for g in bb.get_groups(group_filter="ci-")] == ["ci-admins"]
    assert [u["name"] for u in bb.group_members("ci-admins")] == ["gina"]

    bb.repo_grant_group_permissions("GRP", "svc", "ci-admins", "REPO_ADMIN")
    bb.project_grant_group_permissions("GRP", "readers", "PROJECT_READ")
    assert list(bb.repo_groups("GRP", "svc")) == [{"group": {"name": "ci-admins"}, "permission": "REPO_ADMIN"}]
    assert list(bb.project_groups("GRP")) == [{"group": {"name": "readers"}, "permission": "PROJECT_READ"}]
    assert bb.repo_groups_with_administrator_permissions("GRP", "svc") == ["ci-admins"]
    admins = bb.repo_users_with_administrator_permissions("GRP", "svc")
    assert "gina" in [u["name"] for u in admins]

    # gina administers the repository through her group: she may read its user grants.
    gina = client(server, username="gina", password="gina-pw")
    assert list(gina.repo_users("GRP", "svc")) == []
    bb.repo_remove_group_permissions("GRP", "svc", "ci-admins", None)
    bb.project_remove_group_permissions("GRP", "readers")
    assert list(bb.repo_groups("GRP", "svc")) == [] and list(bb.project_groups("GRP")) == []
    raised(lambda: list(gina.repo_users("GRP", "svc")), 404)


def test_library_with_a_repository_access_token(server, bb, repo):
    """The library has no token helpers: its generic put makes the token, Bitbucket(url, token=...) uses it."""
    sha = new_sha()
    token = bb.put(f"rest/access-tokens/1.0/projects/{repo.project}/repos/{repo.slug}",
                   data={"name": "jenkins", "permissions": ["REPO_WRITE"]})
    assert token["user"]["type"] == "SERVICE" and token["permissions"] == ["REPO_WRITE"]
    ci = client(server, token=token["token"])
    url = builds_url(ci, repo, sha)
    assert ci.post(url, data={"key": "SCOPED", "state": "SUCCESSFUL", "url": "http://ci/s"}) is None
    response = ci.get(url, params={"key": "SCOPED"}, advanced_mode=True)
    assert response.headers["X-AUSERNAME"] == token["user"]["name"]
    raised(lambda: ci.get("rest/api/1.0/projects/GRP"), 404)  # outside its repository nothing exists for it
    # Only as Bearer: the library's username/password form is refused.
    basic = client(server, username=token["user"]["name"], password=token["token"])
    raised(lambda: basic.get(url, params={"key": "SCOPED"}), 401)
    assert bb.delete(f"rest/access-tokens/1.0/projects/{repo.project}/repos/{repo.slug}/{token['id']}") is None
    raised(lambda: ci.get(url, params={"key": "SCOPED"}), 401)  # at once: the same process deleted it


# --------------------------------------------------------------------------------------------
# 2. The module page's curl examples, through the real curl binary
# --------------------------------------------------------------------------------------------

@dataclass
class CurlResult:
    status: int
    headers: dict[str, str]
    text: str

    def json(self):
        return json.loads(self.text)


def run_curl(server: Server, example: str, values: dict[str, str] | None = None,
             globoff: bool = False) -> CurlResult:
    """Run an example as printed, adding only -u admin:password (and output flags to read the answer).

    {baseurl} becomes host:port; path placeholders are replaced from `values` when given, else left
    as printed (curl's URL globbing then turns `{commitId}` into `commitId`, unless `globoff`).
    """
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl is not installed")
    command = CURL_EXAMPLES[example].replace("{baseurl}", f"{server.host}:{server.port}")
    for name, value in (values or {}).items():
        command = command.replace("{" + name + "}", value)
    argv = shlex.split(command.replace(" \\ ", " "))
    assert argv[0] == "curl"
    argv = [curl, "-u", f"{ADMIN[0]}:{ADMIN[1]}", "--silent", "--show-error", "--include",
            *(["--globoff"] if globoff else []), *argv[1:]]
    done = subprocess.run(argv, capture_output=True, timeout=30)
    assert done.returncode == 0, done.stderr.decode()
    raw = done.stdout.decode("utf-8")
    head, _, text = raw.partition("\r\n\r\n")
    status_line, *header_lines = head.split("\r\n")
    headers = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return CurlResult(int(status_line.split()[1]), headers, text)


def test_curl_examples_are_the_module_pages():
    if not SPEC_PAGE.exists():
        pytest.skip(f"module page not found at {SPEC_PAGE}")
    page = SPEC_PAGE.read_text(encoding="utf-8")
    on_page = {m.group(0).rstrip() for m in re.finditer(r"curl --request \S+ .*", page)
               if "/build-status/" in m.group(0) or "/builds'" in m.group(0)}
    assert on_page == set(CURL_EXAMPLES.values())


def test_curl_stats_post_example(server, bb, repo):
    # Before any build on the example's commit: 200 with an empty map.
    r = run_curl(server, "stats-post")
    assert (r.status, r.json()) == (200, {})
    assert r.headers["content-type"] == JSON_UTF8
    bb.post(builds_url(bb, repo, EXAMPLE_SHA), data={"key": "EX", "state": "SUCCESSFUL", "url": "http://ci/ex"})
    bb.post(legacy_url(bb, f"commits/{EXAMPLE_SHA}"), data={"key": "EX2", "state": "FAILED", "url": "http://ci/2"})
    r = run_curl(server, "stats-post")
    assert r.status == 200
    body = r.json()
    assert set(body) == {EXAMPLE_SHA}
    assert {k: body[EXAMPLE_SHA][k] for k in STATS_KEYS} == {**dict.fromkeys(STATS_KEYS, 0),
                                                              "successful": 1, "failed": 1}


def test_curl_stats_get_example(server, bb, repo):
    sha = new_sha()
    bb.post(builds_url(bb, repo, sha), data={"key": "A", "state": "INPROGRESS", "url": "http://ci/a"})
    bb.post(builds_url(bb, repo, sha), data={"key": "B", "state": "CANCELLED", "url": "http://ci/b"})
    r = run_curl(server, "stats-get", {"commitId": sha})
    assert r.status == 200 and r.headers["content-type"] == JSON_UTF8
    assert r.json() == {**dict.fromkeys(STATS_KEYS, 0), "inProgress": 1, "cancelled": 1}
    # A commit without builds: all five counters, zero.
    r = run_curl(server, "stats-get", {"commitId": new_sha()})
    assert (r.status, r.json()) == (200, dict.fromkeys(STATS_KEYS, 0))


def test_curl_builds_get_example(server, bb, repo):
    sha = new_sha()
    bb.post(builds_url(bb, repo, sha), data={"key": "A", "state": "SUCCESSFUL", "url": "http://ci/a",
                                             "buildNumber": "3", "ref": "refs/heads/master"})
    values = {"projectKey": repo.project, "repositorySlug": repo.slug, "commitId": sha}
    # Without ?key the example answers a page of the commit's statuses (decision D5).
    r = run_curl(server, "builds-get", values)
    assert r.status == 200 and r.headers["content-type"] == JSON_UTF8
    page = r.json()
    assert (page["size"], page["isLastPage"], page["start"]) == (1, True, 0) and "nextPageStart" not in page
    status = page["values"][0]
    assert (status["key"], status["state"], status["buildNumber"], status["ref"]) == \
        ("A", "SUCCESSFUL", "3", "refs/heads/master")


def test_curl_builds_post_example(server, bb, repo):
    sha = new_sha()
    values = {"projectKey": repo.project, "repositorySlug": repo.slug, "commitId": sha}
    # The example carries no body: 400 in Bitbucket's error body, nothing stored.
    r = run_curl(server, "builds-post", values)
    assert r.status == 400 and r.headers["content-type"] == JSON_UTF8
    assert_error_body(r.json())
    assert bb.get(legacy_url(bb, f"commits/stats/{sha}")) == dict.fromkeys(STATS_KEYS, 0)


def test_curl_builds_delete_example(server, bb, repo):
    sha = new_sha()
    bb.post(builds_url(bb, repo, sha), data={"key": "A", "state": "FAILED", "url": "http://ci/a"})
    values = {"projectKey": repo.project, "repositorySlug": repo.slug, "commitId": sha}
    # The example names no key: 400 naming the parameter; the status stays.
    r = run_curl(server, "builds-delete", values)
    assert r.status == 400 and r.headers["content-type"] == JSON_UTF8
    assert_error_body(r.json(), context="key")
    assert bb.get(builds_url(bb, repo, sha), params={"key": "A"})["state"] == "FAILED"


LITERAL_EXPECTED = {
    # example -> (status, exceptionName) when the placeholders are sent as printed
    "stats-get": (400, None),  # not a commit hash
    "builds-get": (404, "com.atlassian.bitbucket.project.NoSuchProjectException"),
    "builds-post": (404, "com.atlassian.bitbucket.project.NoSuchProjectException"),
    "builds-delete": (404, "com.atlassian.bitbucket.project.NoSuchProjectException"),
}


@pytest.mark.parametrize("globoff", [False, True], ids=["as-printed", "globoff"])
@pytest.mark.parametrize("example", sorted(LITERAL_EXPECTED))
def test_curl_examples_with_literal_placeholders(server, example, globoff):
    """Pasted without filling in the placeholders: a clean 400/404 error body, never a 500."""
    r = run_curl(server, example, globoff=globoff)
    status, exception = LITERAL_EXPECTED[example]
    assert r.status == status, (r.status, r.text)
    assert r.headers["content-type"] == JSON_UTF8
    assert_error_body(r.json(), exception=exception)


def test_server_output_has_no_tracebacks(server):
    """Runs last for each server: no request above ended in an unhandled exception."""
    output = server.log_text()
    assert "Traceback" not in output and "Exception in ASGI application" not in output, output
