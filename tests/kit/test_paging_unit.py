"""The paging helper as a pure function: start/limit parsing and Bitbucket's page envelope."""

import pytest

from cairn.errors import CairnError
from cairn.kit.paging import DEFAULT_LIMIT, MAX_LIMIT, MAX_START, PageRequest, page, page_request


@pytest.mark.parametrize("start, limit, expected", [
    (None, None, PageRequest(0, DEFAULT_LIMIT)),
    ("", "", PageRequest(0, DEFAULT_LIMIT)),
    ("0", "25", PageRequest(0, 25)),
    ("10", "5", PageRequest(10, 5)),
    (" 7 ", "3", PageRequest(7, 3)),
    ("0", "1000", PageRequest(0, 1000)),
    ("0", "1001", PageRequest(0, MAX_LIMIT)),            # clamped, not refused (decision D18)
    ("0", "99999999999999999999", PageRequest(0, MAX_LIMIT)),
    ("0", "0", PageRequest(0, DEFAULT_LIMIT)),
    (str(MAX_START), None, PageRequest(MAX_START, DEFAULT_LIMIT)),
])
def test_page_request_reads_start_and_limit(start, limit, expected):
    assert page_request(start, limit) == expected


@pytest.mark.parametrize("start, limit, field", [
    ("-1", None, "start"),
    (None, "-5", "limit"),
    ("abc", None, "start"),
    (None, "ten", "limit"),
    ("1.5", None, "start"),
    (None, "2e3", "limit"),
    ("+3", None, "start"),
    ("1_000", None, "start"),
    ("٣", None, "start"),                  # a non-ASCII digit is not a number a client meant
    (str(MAX_START + 1), None, "start"),  # beyond a Java int: no page could be there (and SQL would overflow)
    ("99999999999999999999999", None, "start"),
])
def test_bad_start_or_limit_is_a_400_naming_the_parameter(start, limit, field):
    with pytest.raises(CairnError) as caught:
        page_request(start, limit)
    assert caught.value.status == 400
    assert caught.value.context == field
    assert field in caught.value.message


def test_a_short_fetch_is_the_last_page_without_next_page_start():
    body = page(["a", "b"], PageRequest(0, 25))
    assert body == {"size": 2, "limit": 25, "isLastPage": True, "start": 0, "values": ["a", "b"]}


def test_exactly_limit_rows_is_the_last_page():
    body = page(list(range(5)), PageRequest(10, 5))
    assert body["isLastPage"] is True and "nextPageStart" not in body
    assert body["size"] == 5 and body["start"] == 10


def test_the_extra_row_means_more_and_is_not_returned():
    body = page(list(range(6)), PageRequest(10, 5))
    assert body["values"] == [0, 1, 2, 3, 4]
    assert body["size"] == 5
    assert body["isLastPage"] is False
    assert body["nextPageStart"] == 15


def test_an_empty_page_past_the_end():
    body = page([], PageRequest(500, 25))
    assert body == {"size": 0, "limit": 25, "isLastPage": True, "start": 500, "values": []}


def test_a_clamped_limit_serves_at_most_1000_items():
    request = page_request("0", "5000")
    body = page(list(range(MAX_LIMIT + 1)), request)
    assert body["limit"] == 1000 and body["size"] == 1000 and body["nextPageStart"] == 1000
