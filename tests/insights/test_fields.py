"""Report data fields: the value each `type` accepts, through PUT report and in cairn.insights.fields itself."""

from __future__ import annotations

import pytest

from tests.fixtures.api import assert_error
from tests.insights.conftest import report, report_url

LINK = {"linktext": "Open", "href": "https://ci.example/1"}

# type (None: omitted), value, accepted
CASES = [
    (None, "text", True),
    (None, 42, True),
    (None, 4.5, True),
    (None, True, True),
    (None, None, False),
    (None, [1], False),
    (None, {"a": 1}, False),
    ("BOOLEAN", True, True),
    ("BOOLEAN", False, True),
    ("BOOLEAN", "true", False),
    ("BOOLEAN", 1, False),
    ("DATE", 1587533699278, True),
    ("DATE", 1587533699278.5, True),
    ("DATE", True, False),
    ("DATE", "2020-04-22", False),
    ("DURATION", 0, True),
    ("DURATION", 2154, True),
    ("DURATION", -1, False),
    ("DURATION", "2154", False),
    ("DURATION", False, False),
    ("NUMBER", 0, True),
    ("NUMBER", -3.25, True),
    ("NUMBER", {}, False),  # the module page's example shows {} as a placeholder (decision D14)
    ("NUMBER", True, False),
    ("NUMBER", None, False),
    ("PERCENTAGE", 0, True),
    ("PERCENTAGE", 100, True),
    ("PERCENTAGE", 55.5, True),
    ("PERCENTAGE", 100.01, False),
    ("PERCENTAGE", -0.5, False),
    ("PERCENTAGE", True, False),
    ("TEXT", "some text", True),
    ("TEXT", 5, False),
    ("TEXT", None, False),
    ("LINK", LINK, True),
    ("LINK", {"linktext": "Open", "href": "http://ci.example"}, True),
    ("LINK", "https://ci.example/1", False),
    ("LINK", {"href": "https://ci.example/1"}, False),
    ("LINK", {"linktext": "Open"}, False),
    ("LINK", {"linktext": "  ", "href": "https://ci.example/1"}, False),
    ("LINK", {"linktext": "Open", "href": "ftp://ci.example/1"}, False),
    ("LINK", {"linktext": "Open", "href": "not a url"}, False),
    ("LINK", [LINK], False),
]


def _id(case) -> str:
    kind, value, ok = case
    return f"{kind or 'untyped'}-{value!r}-{'ok' if ok else 'bad'}"


# --- the pure check ----------------------------------------------------------------------------------


def test_types_are_the_seven_of_the_spec():
    from cairn.insights.fields import TYPES
    assert set(TYPES) == {"BOOLEAN", "DATE", "DURATION", "LINK", "NUMBER", "PERCENTAGE", "TEXT"}


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_check_value(case):
    from cairn.insights.fields import check_value
    kind, value, ok = case
    if ok:
        assert check_value(kind, value) is None
    else:
        with pytest.raises(ValueError) as raised:
            check_value(kind, value)
        assert str(raised.value)  # a message the 400 can carry


@pytest.mark.parametrize("kind", ["STRING", "boolean", "Text", ""])
def test_check_value_refuses_an_unknown_type(kind):
    from cairn.insights.fields import check_value
    with pytest.raises(ValueError):
        check_value(kind, "x")


# --- through the API ---------------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_data_field_value_through_put(repo, case):
    kind, value, ok = case
    field = {"title": "F", "value": value} | ({"type": kind} if kind else {})
    body = {"title": "T", "data": [{"title": "first", "value": "fine"}, field]}
    r = repo.put(report_url("K"), json=body)
    if ok:
        assert r.status_code == 200, r.text
        assert r.json()["data"] == body["data"]
        assert repo.get(report_url("K")).json()["data"] == body["data"]
    else:
        assert_error(r, 400, context="data.1.value")
        assert repo.get(report_url("K")).status_code == 404


@pytest.mark.parametrize("kind", ["STRING", "boolean", "", 5])
def test_unknown_type_is_400_on_the_type(repo, kind):
    r = repo.put(report_url("K"), json={"title": "T", "data": [{"title": "F", "type": kind, "value": "x"}]})
    assert_error(r, 400, context="data.0.type")
    assert repo.get(report_url("K")).status_code == 404


def test_missing_value_is_400(repo):
    assert_error(repo.put(report_url("K"), json={"title": "T", "data": [{"title": "F", "type": "TEXT"}]}),
                 400, context="data.0.value")


def test_field_order_and_types_are_kept(repo):
    data = [{"title": "Link", "type": "LINK", "value": LINK}, {"title": "A", "value": 1},
            {"title": "Date", "type": "DATE", "value": 1587533699278}, {"title": "B", "value": False}]
    assert report(repo, "K", data=data)["data"] == data
    assert repo.get(report_url("K")).json()["data"] == data


def test_data_title_of_450_characters_is_accepted_451_is_not(repo):
    assert report(repo, "K", data=[{"title": "t" * 450, "value": 1}])["data"][0]["title"] == "t" * 450
    assert_error(repo.put(report_url("L"), json={"title": "T", "data": [{"title": "t" * 451, "value": 1}]}),
                 400, context="data.0.title")


def test_unknown_members_of_a_field_are_dropped(repo):
    data = [{"title": "A", "value": 1, "extra": "x"}, {"title": "B", "type": "TEXT", "value": "b", "id": 7}]
    assert report(repo, "K", data=data)["data"] == [{"title": "A", "value": 1},
                                                     {"title": "B", "type": "TEXT", "value": "b"}]


@pytest.mark.parametrize("item", [5, "text", None, [{"title": "A", "value": 1}]], ids=repr)
def test_a_field_that_is_not_an_object_is_400(repo, item):
    assert_error(repo.put(report_url("K"), json={"title": "T", "data": [{"title": "A", "value": 1}, item]}), 400)
    assert repo.get(report_url("K")).status_code == 404


@pytest.mark.parametrize("field, context", [
    ({"title": "F", "value": "a\x00b"}, "data.0.value"),
    ({"title": "F", "type": "TEXT", "value": "a\x00b"}, "data.0.value"),
    ({"title": "F", "type": "LINK", "value": {"linktext": "a\x00b", "href": "https://ci.example/1"}},
     "data.0.value.linktext"),
    ({"title": "F", "type": "LINK", "value": {"linktext": "L", "href": "https://ci.example/1", "x\x00": 1}},
     "data.0.value.x\x00"),
], ids=["untyped", "TEXT", "LINK", "member name"])
def test_nul_in_a_value_is_refused_as_everywhere_else(repo, field, context):
    # README: "A NUL character anywhere in a URL, a body or a username is refused (400)".
    assert_error(repo.put(report_url("K"), json={"title": "T", "data": [field]}), 400, context=context)
    assert repo.get(report_url("K")).status_code == 404
