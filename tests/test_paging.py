"""Paging through a real list endpoint: start/limit honoured, Bitbucket's envelope, termination."""

import pytest

from tests.fixtures.api import assert_error

PROJECTS = "/rest/api/latest/projects"
KEYS = [f"P{i:02d}" for i in range(30)]


@pytest.fixture
def thirty(api):
    for key in KEYS:
        api.project(key)
    return api


def _keys(body):
    return [p["key"] for p in body["values"]]


def test_default_limit_is_25(thirty):
    body = thirty.get(PROJECTS).json()
    assert body["limit"] == 25 and body["start"] == 0
    assert body["size"] == 25 == len(body["values"])
    assert body["isLastPage"] is False and body["nextPageStart"] == 25
    assert _keys(body) == KEYS[:25]


def test_start_and_limit_are_honoured(thirty):
    body = thirty.get(PROJECTS, params={"start": 10, "limit": 7}).json()
    assert _keys(body) == KEYS[10:17]
    assert (body["start"], body["limit"], body["size"], body["isLastPage"], body["nextPageStart"]) == \
        (10, 7, 7, False, 17)


def test_the_last_page_says_so_and_has_no_next_page_start(thirty):
    body = thirty.get(PROJECTS, params={"start": 25}).json()
    assert _keys(body) == KEYS[25:]
    assert body["size"] == 5 and body["isLastPage"] is True
    assert "nextPageStart" not in body


def test_a_page_ending_exactly_at_the_end_is_last(thirty):
    body = thirty.get(PROJECTS, params={"start": 20, "limit": 10}).json()
    assert body["size"] == 10 and body["isLastPage"] is True and "nextPageStart" not in body


def test_following_next_page_start_visits_every_item_once(thirty):
    seen, start, pages = [], 0, 0
    while True:
        body = thirty.get(PROJECTS, params={"start": start, "limit": 8}).json()
        seen += _keys(body)
        pages += 1
        if body["isLastPage"]:
            assert "nextPageStart" not in body
            break
        start = body["nextPageStart"]
    assert seen == KEYS and pages == 4


def test_start_past_the_end_is_an_empty_last_page(thirty):
    body = thirty.get(PROJECTS, params={"start": 500}).json()
    assert body == {"size": 0, "limit": 25, "isLastPage": True, "start": 500, "values": []}


def test_limit_above_1000_is_clamped_to_1000(thirty):
    body = thirty.get(PROJECTS, params={"limit": 5000}).json()
    assert body["limit"] == 1000 and body["size"] == 30 and body["isLastPage"] is True


def test_limit_1000_is_honoured(thirty):
    assert thirty.get(PROJECTS, params={"limit": 1000}).json()["limit"] == 1000


@pytest.mark.parametrize("params, field", [
    ({"start": -1}, "start"),
    ({"limit": -1}, "limit"),
    ({"start": "abc"}, "start"),
    ({"limit": "many"}, "limit"),
    ({"limit": "2.5"}, "limit"),
    ({"start": 2**31}, "start"),
    ({"start": "99999999999999999999999999"}, "start"),
])
def test_negative_or_non_numeric_start_or_limit_is_a_400(api, params, field):
    assert_error(api.get(PROJECTS, params=params), 400, context=field)


def test_an_ignorable_size_parameter_is_ignored(thirty):
    # TeamCity sends size=…; it is not a paging parameter.
    body = thirty.get(PROJECTS, params={"limit": 5, "size": 3}).json()
    assert body["size"] == 5 and body["limit"] == 5


def test_paging_works_the_same_on_other_list_endpoints(api):
    api.project()
    for name in ("a", "b", "c"):
        api.repo(name=name)
    body = api.get("/rest/api/1.0/projects/PRJ/repos", params={"limit": 2}).json()
    assert body["size"] == 2 and body["isLastPage"] is False and body["nextPageStart"] == 2
    body = api.get("/rest/api/1.0/projects/PRJ/repos", params={"start": 2, "limit": 2}).json()
    assert body["size"] == 1 and body["isLastPage"] is True and "nextPageStart" not in body
    assert_error(api.get("/rest/api/1.0/projects/PRJ/repos", params={"start": "-3"}), 400, context="start")
