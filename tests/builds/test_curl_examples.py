"""The module page's curl examples for build statuses, sent as written (credentials added).

Placeholders are filled in where the example needs a real value; one test also sends them literally.
"""

from __future__ import annotations

import json

import pytest

from tests.builds.conftest import status
from tests.fixtures.api import SHA, assert_error

BASE = "/rest/api/latest/projects/PRJ/repos/repo/commits"
ZERO = {"cancelled": 0, "successful": 0, "inProgress": 0, "unknown": 0, "failed": 0}
EXAMPLE_SHA = "db0dd118fa6ccdf1d593fef00df839dd27702df7"


def curl(api, method: str, url: str, headers: dict | None = None, data: bytes | None = None):
    """Roughly what curl sends: only the given headers, and a body only with --data."""
    return api.client.request(method, url, headers=headers or {}, content=data, auth=api.auth)


def test_post_stats_example(api):
    # curl --request POST --url '.../rest/build-status/latest/commits/stats' --header 'Accept: application/json'
    #      --header 'Content-Type: application/json' --data '[ "db0dd118fa6ccdf1d593fef00df839dd27702df7" ]'
    def send():
        return curl(api, "POST", "/rest/build-status/latest/commits/stats",
                    {"Accept": "application/json", "Content-Type": "application/json"},
                    b'[ "db0dd118fa6ccdf1d593fef00df839dd27702df7" ]')

    r = send()
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json;charset=UTF-8"
    assert r.json() == {}  # no statuses yet: the commit is left out
    assert api.post(f"/rest/build-status/latest/commits/{EXAMPLE_SHA}", json=status("K", "FAILED")).status_code == 204
    assert send().json() == {EXAMPLE_SHA: {**ZERO, "failed": 1}}


def test_post_stats_example_without_content_type(api):
    # curl --data without a Content-Type header sends application/x-www-form-urlencoded.
    r = curl(api, "POST", "/rest/build-status/latest/commits/stats",
             {"Content-Type": "application/x-www-form-urlencoded"}, b'[ "%s" ]' % EXAMPLE_SHA.encode())
    assert r.status_code == 200, r.text
    assert r.json() == {}


def test_get_stats_example(api):
    # curl --request GET --url '.../rest/build-status/latest/commits/stats/{commitId}' --header 'Accept: application/json'
    r = curl(api, "GET", f"/rest/build-status/latest/commits/stats/{SHA}", {"Accept": "application/json"})
    assert r.status_code == 200
    assert r.json() == ZERO  # the documented 200 response's five members


def test_get_stats_example_with_the_placeholder_left_in(api):
    r = curl(api, "GET", "/rest/build-status/latest/commits/stats/{commitId}", {"Accept": "application/json"})
    assert_error(r, 400, context="commitId")


def test_get_builds_example_without_key_answers_a_page(api):
    # curl --request GET --url '.../commits/{commitId}/builds' --header 'Accept: application/json'
    api.project()
    api.repo()
    r = curl(api, "GET", f"{BASE}/{SHA}/builds", {"Accept": "application/json"})
    assert r.status_code == 200
    assert r.json() == {"size": 0, "limit": 25, "start": 0, "isLastPage": True, "values": []}


def test_documented_response_example_posted_back_is_stored(api):
    # The page's RestBuildStatus example, used as a POST body: dates and unknown members are ignored,
    # every documented field is kept.
    api.project()
    api.repo()
    example = {"createdDate": 1587533099278, "updatedDate": 1587533699278,
               "testResults": {"successful": 134, "skipped": 5, "failed": 1},
               "url": "https://bamboo.example.com/browse/TEST-REP3",
               "description": "A description of the build goes here", "buildNumber": "3",
               "name": "Database Matrix Tests", "key": "TEST-REP3", "parent": "TEST-REP", "state": "CANCELLED",
               "ref": "refs/heads/master", "duration": 2154}
    r = curl(api, "POST", f"{BASE}/{SHA}/builds", {"Content-Type": "application/json"}, json.dumps(example).encode())
    assert r.status_code == 204, r.text
    got = api.get(f"{BASE}/{SHA}/builds", params={"key": "TEST-REP3"}).json()
    for member in ("testResults", "url", "description", "buildNumber", "name", "key", "parent", "state", "ref",
                   "duration"):
        assert got[member] == example[member], member


def test_post_builds_example_has_no_body_and_gets_400(api, count):
    # curl --request POST --url '.../commits/{commitId}/builds' (no body, no Content-Type)
    api.project()
    api.repo()
    r = curl(api, "POST", f"{BASE}/{SHA}/builds")
    error = assert_error(r, 400)
    assert "body" in error["message"]
    assert count() == 0


def test_delete_builds_example_has_no_key_and_gets_400(api, count):
    # curl --request DELETE --url '.../commits/{commitId}/builds'
    api.project()
    api.repo()
    assert api.post(f"{BASE}/{SHA}/builds", json=status("K")).status_code == 204
    assert_error(curl(api, "DELETE", f"{BASE}/{SHA}/builds"), 400, context="key")
    assert count() == 1


@pytest.mark.parametrize("method", ["GET", "POST", "DELETE"])
def test_builds_examples_with_placeholders_left_in(api, method):
    # The project and repository are resolved first, so the literal placeholders name a missing project.
    r = curl(api, method, "/rest/api/latest/projects/{projectKey}/repos/{repositorySlug}/commits/{commitId}/builds",
             {"Accept": "application/json"})
    assert_error(r, 404, "com.atlassian.bitbucket.project.NoSuchProjectException")
