"""What clients probe first: version, capabilities, health; every module under 1.0 and latest."""

import re

import pytest

from tests.fixtures.api import SHA, assert_error

BASE = "http://cairn.test:7990/bitbucket"  # the tests' CAIRN_BASE_URL, with a context path
JSON = "application/json;charset=UTF-8"


@pytest.mark.parametrize("version", ["1.0", "latest"])
def test_application_properties_anonymous_with_a_numeric_version_at_least_9_4(api, version):
    r = api.as_user(None).get(f"/rest/api/{version}/application-properties")
    assert r.status_code == 200 and r.headers["content-type"] == JSON
    body = r.json()
    # bitbucketserver and TeamCity parse it as plain dotted numbers and gate features on it.
    assert re.fullmatch(r"\d+(\.\d+){2,3}", body["version"]), body["version"]
    assert tuple(int(p) for p in body["version"].split(".")) >= (9, 4, 0)
    assert body["displayName"] == "Bitbucket"
    assert body["buildNumber"].isdigit() and body["buildDate"].isdigit()


def test_capabilities_are_absolute_urls_under_the_base_url_including_the_context_path(api):
    r = api.as_user(None).get("/rest/capabilities")
    assert r.status_code == 200 and r.headers["content-type"] == JSON
    body = r.json()
    assert body["application"] == "stash"
    assert body["links"]["self"] == f"{BASE}/rest/capabilities"
    assert body["capabilities"]["build"] == f"{BASE}/rest/api/latest/build/capabilities"
    assert body["capabilities"]["deployment"] == f"{BASE}/rest/api/latest/deployment/capabilities"


def test_every_advertised_capability_url_answers(api):
    capabilities = api.as_user(None).get("/rest/capabilities").json()["capabilities"]
    expected = {"build": {"buildStatus": ["richBuildStatus", "cancelledStatus", "unknownStatus"]},
                "deployment": {}}
    for name, url in capabilities.items():
        assert url.startswith(BASE + "/rest/")
        path = url[len(BASE):]
        # Behind a proxy that strips the context path, and straight at the server under it.
        for asked in (path, "/bitbucket" + path):
            r = api.as_user(None).get(asked)
            assert r.status_code == 200, (asked, r.text)
            assert r.headers["content-type"] == JSON
            if name in expected:
                assert r.json() == expected[name]


@pytest.mark.parametrize("version", ["1.0", "latest"])
def test_build_and_deployment_capabilities(api, version):
    assert api.get(f"/rest/api/{version}/build/capabilities").json() == {
        "buildStatus": ["richBuildStatus", "cancelledStatus", "unknownStatus"]}
    assert api.get(f"/rest/api/{version}/deployment/capabilities").json() == {}


def test_status_says_running_to_anyone(api):
    for caller in (api, api.as_user(None)):
        r = caller.get("/status")
        assert r.status_code == 200 and r.json() == {"state": "RUNNING"}
        assert r.headers["content-type"] == JSON


def test_the_whole_api_answers_under_the_context_path(api):
    api.project()
    r = api.get("/bitbucket/rest/api/latest/projects/PRJ")
    assert r.status_code == 200 and r.json()["key"] == "PRJ"
    assert r.json()["links"]["self"][0]["href"] == f"{BASE}/projects/PRJ"
    assert_error(api.get("/bitbucket/rest/api/latest/projects/NOPE"), 404,
                 "com.atlassian.bitbucket.project.NoSuchProjectException")
    assert_error(api.get("/bitbucketx/rest/api/latest/projects"), 404)


# --- every module under both versions ----------------------------------------------------------------

@pytest.fixture
def world(api):
    api.project()
    api.repo()
    r = api.post(f"/rest/api/latest/projects/PRJ/repos/repo/commits/{SHA}/builds",
                 json={"key": "K", "state": "SUCCESSFUL", "url": "http://ci/1"})
    assert r.status_code == 204
    return api


SAMPLES = [  # (module, method, path after the version, body, expected status)
    ("api", "GET", "/application-properties", None, 200),
    ("api", "GET", "/projects", None, 200),
    ("api", "GET", "/projects/PRJ/repos/repo", None, 200),
    ("api", "GET", f"/projects/PRJ/repos/repo/commits/{SHA}/builds?key=K", None, 200),
    ("api", "POST", f"/projects/PRJ/repos/repo/commits/{SHA}/builds",
     {"key": "J", "state": "FAILED", "url": "http://ci/2"}, 204),
    ("api", "GET", "/admin/users", None, 200),
    ("build-status", "GET", f"/commits/stats/{SHA}", None, 200),
    ("build-status", "GET", f"/commits/{SHA}", None, 200),
    ("build-status", "POST", f"/commits/{SHA}", {"key": "L", "state": "INPROGRESS", "url": "http://ci/3"}, 204),
    ("build-status", "POST", "/commits/stats", [SHA], 200),
    ("access-tokens", "GET", "/users/admin", None, 200),
]


@pytest.mark.parametrize("version", ["1.0", "latest"])
@pytest.mark.parametrize("module, method, path, body, status", SAMPLES)
def test_every_module_answers_under_1_0_and_latest(world, version, module, method, path, body, status):
    r = world.request(method, f"/rest/{module}/{version}{path}", json=body)
    assert r.status_code == status, r.text


def test_1_0_and_latest_are_the_same_data(world):
    for path in ("/rest/{v}/commits/stats/" + SHA, "/rest/{v}/commits/" + SHA):
        latest = world.get(path.format(v="build-status/latest")).json()
        assert world.get(path.format(v="build-status/1.0")).json() == latest
    assert world.get("/rest/api/1.0/projects").json() == world.get("/rest/api/latest/projects").json()


@pytest.mark.parametrize("version", ["2.0", "1", "LATEST", "v1"])
def test_other_versions_do_not_exist(api, version):
    assert_error(api.get(f"/rest/api/{version}/application-properties"), 404)
