"""The web UI's display rules (cairn.web.format), one table per function."""

from __future__ import annotations

import pytest

from cairn.web.format import (
    STATE_ICONS,
    STATE_LABELS,
    absolute_time,
    combined_state,
    data_field,
    human_duration,
    human_number,
    iso_utc,
    percentage,
    relative_time,
    safe_url,
    short_sha,
    when,
    yes_no,
)

NOW = 1_793_628_180_000  # 2026-11-02 14:03:00 UTC
SECOND, MINUTE, HOUR, DAY = 1000, 60_000, 3_600_000, 86_400_000
HUGE_HOURS = (10**400 + HOUR // 2) // HOUR  # an int too big for a float, in whole hours


@pytest.mark.parametrize("url, expected", [
    ("https://ci.example/build/1", "https://ci.example/build/1"),
    ("http://ci.example", "http://ci.example"),
    ("HTTPS://CI.EXAMPLE/a?b=c#d", "HTTPS://CI.EXAMPLE/a?b=c#d"),
    ("  https://ci.example/x \n", "https://ci.example/x"),
    ("http://user:pw@ci.example:8080/p", "http://user:pw@ci.example:8080/p"),
    ("http://[::1]:8080/", "http://[::1]:8080/"),
    ("javascript:alert(1)", None),
    ("JaVaScRiPt:alert(1)", None),
    (" javascript:alert(1)", None),
    ("\tjavascript:alert(1)", None),
    ("\njavascript:alert(1)", None),
    ("java\tscript:alert(1)", None),
    ("data:text/html,<script>alert(1)</script>", None),
    ("vbscript:msgbox(1)", None),
    ("ftp://ci.example/file", None),
    ("//ci.example/path", None),
    ("http:ci.example", None),
    ("http:/ci.example", None),
    ("http://", None),
    ("https:///path", None),
    ("http://:80/", None),
    ("http://[::1/", None),
    ("http://ci.example:port/", None),
    ("http://ci.example:99999/", None),
    ("http://ci.example:0/", None),
    ("https://ci.example/a b", None),
    ("https://ci.example/a\tb", None),
    ("https://ci.exa\x00mple/", None),
    ("https://ci.example/\x7f", None),
    ("https://ci.example/\u202e", None),
    ("/relative/path", None),
    ("", None),
    (None, None),
    (42, None),
    (b"https://ci.example", None),
    ({"href": "https://ci.example"}, None),
])
def test_safe_url(url, expected):
    assert safe_url(url) == expected


@pytest.mark.parametrize("ms, expected", [
    (None, None),
    (float("nan"), None),
    (0, "0 ms"),
    (-5, "0 ms"),
    (-90_000, "0 ms"),
    (850, "850 ms"),
    (850.4, "850 ms"),
    (999.4, "999 ms"),
    (999.5, "1 s"),
    (1000, "1 s"),
    (1250, "1.3 s"),
    (4000, "4 s"),
    (4200, "4.2 s"),
    (9949, "9.9 s"),
    (9950, "10 s"),
    (42_000, "42 s"),
    (42_400, "42 s"),
    (59_499, "59 s"),
    (59_500, "1 min"),
    (180_000, "3 min"),
    (185_000, "3 min 5 s"),
    (3_599_499, "59 min 59 s"),
    (3_599_500, "1 h"),
    (HOUR + 2 * MINUTE, "1 h 2 min"),
    (23 * HOUR + 59 * MINUTE, "23 h 59 min"),
    (DAY - 1, "1 d"),
    (DAY, "1 d"),
    (2 * DAY, "2 d"),
    (2 * DAY + 3 * HOUR, "2 d 3 h"),
    (400 * DAY + HOUR, "400 d 1 h"),
    pytest.param(10**400, f"{HUGE_HOURS // 24} d {HUGE_HOURS % 24} h", id="int-beyond-float"),
    (float("inf"), None),
])
def test_human_duration(ms, expected):
    assert human_duration(ms) == expected


@pytest.mark.parametrize("value, expected", [
    (0, "0"),
    (999, "999"),
    (-5, "-5"),
    (-999, "-999"),
    (12.5, "12.5"),
    (0.333, "0.33"),
    (0.335, "0.34"),
    (3.0, "3"),
    (-0.001, "0"),
    (999.999, "1k"),
    (1000, "1k"),
    (14_300, "14.3k"),
    (-14_300, "-14.3k"),
    (14_349, "14.3k"),
    (14_350, "14.4k"),
    (999_949, "999.9k"),
    (999_950, "1M"),
    (999_999, "1M"),
    (1_000_000, "1M"),
    (1_150_000, "1.2M"),
    (1_250_000, "1.3M"),
    (2_000_000_000, "2B"),
    (-2_500_000_000, "-2.5B"),
    (3_400_000_000_000, "3.4T"),
    (10**18, "1000000T"),
    (10**30, "1000000000000000000T"),
    (float("inf"), "inf"),
    (float("nan"), "nan"),
])
def test_human_number(value, expected):
    assert human_number(value) == expected


@pytest.mark.parametrize("value, expected", [
    (81.5, "81.5%"),
    (100, "100%"),
    (100.0, "100%"),
    (33.3333, "33.33%"),
    (66.6666, "66.67%"),
    (0, "0%"),
    (0.004, "0%"),
    (0.005, "0.01%"),
    (12.10, "12.1%"),
])
def test_percentage(value, expected):
    assert percentage(value) == expected


@pytest.mark.parametrize("value, expected", [(True, "Yes"), (False, "No")])
def test_yes_no(value, expected):
    assert yes_no(value) == expected


@pytest.mark.parametrize("ms, expected", [
    (0, "1970-01-01T00:00:00Z"),
    (999, "1970-01-01T00:00:00Z"),
    (-1, "1969-12-31T23:59:59Z"),
    (NOW, "2026-11-02T14:03:00Z"),
    (NOW + 59_999.9, "2026-11-02T14:03:59Z"),
    (10**20, "9999-12-31T23:59:59Z"),
    (-(10**20), "0001-01-01T00:00:00Z"),
    (float("inf"), "9999-12-31T23:59:59Z"),
    (float("-inf"), "0001-01-01T00:00:00Z"),
    (float("nan"), "1970-01-01T00:00:00Z"),
    pytest.param(10**400, "9999-12-31T23:59:59Z", id="int-beyond-float"),
])
def test_iso_utc(ms, expected):
    assert iso_utc(ms) == expected


@pytest.mark.parametrize("ms, expected", [
    (0, "1970-01-01 00:00 UTC"),
    (NOW, "2026-11-02 14:03 UTC"),
    (NOW + 59_999, "2026-11-02 14:03 UTC"),
    (NOW - 1, "2026-11-02 14:02 UTC"),
    (10**20, "9999-12-31 23:59 UTC"),
    (-(10**20), "0001-01-01 00:00 UTC"),
])
def test_absolute_time(ms, expected):
    assert absolute_time(ms) == expected


@pytest.mark.parametrize("ago, expected", [
    (0, "just now"),
    (44_999, "just now"),
    (-44_999, "just now"),
    (45 * SECOND, "1 minute ago"),
    (MINUTE, "1 minute ago"),
    (2 * MINUTE - 1, "1 minute ago"),
    (5 * MINUTE, "5 minutes ago"),
    (HOUR - 1, "59 minutes ago"),
    (HOUR, "1 hour ago"),
    (3 * HOUR, "3 hours ago"),
    (DAY - 1, "23 hours ago"),
    (DAY, "yesterday"),
    (2 * DAY - 1, "yesterday"),
    (2 * DAY, "2 days ago"),
    (3 * DAY, "3 days ago"),
    (30 * DAY, "30 days ago"),
    (-45 * SECOND, "in 1 minute"),
    (-5 * MINUTE, "in 5 minutes"),
    (-HOUR, "in 1 hour"),
    (-3 * HOUR, "in 3 hours"),
    (-DAY, "in 1 day"),
    (-(2 * DAY - 1), "in 1 day"),
    (-3 * DAY, "in 3 days"),
])
def test_relative_time(ago, expected):
    assert relative_time(NOW - ago, NOW) == expected


@pytest.mark.parametrize("ago, text, relative", [
    (0, "just now", True),
    (3 * HOUR, "3 hours ago", True),
    (7 * DAY - 1, "6 days ago", True),
    (7 * DAY, "2026-10-26 14:03 UTC", False),
    (400 * DAY, "2025-09-28 14:03 UTC", False),
    (-HOUR, "in 1 hour", True),  # the future within a week reads relative too
    (-(7 * DAY - 1), "in 6 days", True),
    (-7 * DAY, "2026-11-09 14:03 UTC", False),
])
def test_when(ago, text, relative):
    ms = NOW - ago
    assert when(ms, NOW) == {"iso": iso_utc(ms), "text": text, "exact": absolute_time(ms), "relative": relative}


DATE_2H = {"iso": "2026-11-02T12:03:00Z", "text": "2 hours ago", "exact": "2026-11-02 12:03 UTC", "relative": True}
DATE_OLD = {"iso": "2026-01-01T00:00:00Z", "text": "2026-01-01 00:00 UTC", "exact": "2026-01-01 00:00 UTC",
            "relative": False}


@pytest.mark.parametrize("field, expected", [
    # The type is given.
    ({"title": "Safe", "type": "BOOLEAN", "value": True}, {"type": "BOOLEAN", "text": "Yes"}),
    ({"title": "Safe", "type": "BOOLEAN", "value": False}, {"type": "BOOLEAN", "text": "No"}),
    ({"title": "Safe", "type": "DATE", "value": NOW - 2 * HOUR}, {"type": "DATE", **DATE_2H}),
    ({"title": "Safe", "type": "DATE", "value": 1_767_225_600_000}, {"type": "DATE", **DATE_OLD}),
    ({"title": "Safe", "type": "DURATION", "value": 185_000}, {"type": "DURATION", "text": "3 min 5 s"}),
    ({"title": "Safe", "type": "LINK", "value": {"linktext": "Open", "href": "https://ci.example/1"}},
     {"type": "LINK", "text": "Open", "href": "https://ci.example/1"}),
    ({"title": "Safe", "type": "LINK", "value": {"linktext": "Open", "href": "javascript:alert(1)"}},
     {"type": "LINK", "text": "Open", "href": None}),
    ({"title": "Safe", "type": "LINK", "value": {"linktext": "Open"}}, {"type": "LINK", "text": "Open", "href": None}),
    ({"title": "Safe", "type": "NUMBER", "value": 14_300}, {"type": "NUMBER", "text": "14.3k"}),
    ({"title": "Safe", "type": "NUMBER", "value": -3.25}, {"type": "NUMBER", "text": "-3.25"}),
    pytest.param({"title": "Safe", "type": "NUMBER", "value": 10**400}, {"type": "NUMBER", "text": f"{10**388}T"},
                 id="number-beyond-float"),
    pytest.param({"title": "Safe", "type": "DATE", "value": 10**400},
                 {"type": "DATE", "iso": "9999-12-31T23:59:59Z", "text": "9999-12-31 23:59 UTC",
                  "exact": "9999-12-31 23:59 UTC", "relative": False}, id="date-beyond-float"),
    ({"title": "Safe", "type": "PERCENTAGE", "value": 81.5}, {"type": "PERCENTAGE", "text": "81.5%"}),
    ({"title": "Safe", "type": "TEXT", "value": "<b>hi</b>"}, {"type": "TEXT", "text": "<b>hi</b>"}),
    # Without a type, the value's JSON type decides.
    ({"title": "Safe", "value": True}, {"type": "BOOLEAN", "text": "Yes"}),
    ({"title": "Safe", "value": 999_999}, {"type": "NUMBER", "text": "1M"}),
    ({"title": "Safe", "value": 4.5}, {"type": "NUMBER", "text": "4.5"}),
    ({"title": "Safe", "value": "text"}, {"type": "TEXT", "text": "text"}),
    ({"title": "Safe", "type": None, "value": "text"}, {"type": "TEXT", "text": "text"}),
    # Malformed: shown as text, never an error.
    ({"title": "Safe", "value": None}, {"type": "TEXT", "text": "None"}),
    ({"title": "Safe", "value": [1, 2]}, {"type": "TEXT", "text": "[1, 2]"}),
    ({"title": "Safe", "value": float("nan")}, {"type": "TEXT", "text": "nan"}),
    ({"title": "Safe", "type": "BOOLEAN", "value": "true"}, {"type": "TEXT", "text": "true"}),
    ({"title": "Safe", "type": "DATE", "value": "2020-04-22"}, {"type": "TEXT", "text": "2020-04-22"}),
    ({"title": "Safe", "type": "DATE", "value": True}, {"type": "TEXT", "text": "True"}),
    ({"title": "Safe", "type": "DATE", "value": float("inf")}, {"type": "TEXT", "text": "inf"}),
    ({"title": "Safe", "type": "DURATION", "value": "2154"}, {"type": "TEXT", "text": "2154"}),
    ({"title": "Safe", "type": "LINK", "value": "https://ci.example"}, {"type": "TEXT", "text": "https://ci.example"}),
    ({"title": "Safe", "type": "LINK", "value": {"href": "https://ci.example"}},
     {"type": "TEXT", "text": "{'href': 'https://ci.example'}"}),
    ({"title": "Safe", "type": "NUMBER", "value": "12"}, {"type": "TEXT", "text": "12"}),
    ({"title": "Safe", "type": "NUMBER", "value": True}, {"type": "TEXT", "text": "True"}),
    ({"title": "Safe", "type": "PERCENTAGE", "value": {}}, {"type": "TEXT", "text": "{}"}),
    ({"title": "Safe", "type": "TEXT", "value": 5}, {"type": "TEXT", "text": "5"}),
    ({"title": "Safe", "type": "COLOUR", "value": "red"}, {"type": "TEXT", "text": "red"}),
])
def test_data_field(field, expected):
    assert data_field(field, NOW) == {"title": "Safe", **expected}


@pytest.mark.parametrize("field, title", [
    ({"value": 1}, ""),
    ({"title": None, "value": 1}, ""),
    ({"title": 7, "value": 1}, "7"),
])
def test_data_field_title(field, title):
    assert data_field(field, NOW)["title"] == title


@pytest.mark.parametrize("counts, expected", [
    ({}, "NONE"),
    ({"SUCCESSFUL": 0, "FAILED": 0}, "NONE"),
    ({"SUCCESSFUL": 3}, "SUCCESSFUL"),
    ({"SUCCESSFUL": 3, "FAILED": 1, "INPROGRESS": 2}, "FAILED"),
    ({"SUCCESSFUL": 3, "INPROGRESS": 1}, "INPROGRESS"),
    ({"SUCCESSFUL": 1, "CANCELLED": 4, "UNKNOWN": 2}, "SUCCESSFUL"),
    ({"CANCELLED": 1, "UNKNOWN": 2}, "CANCELLED"),
    ({"UNKNOWN": 1}, "UNKNOWN"),
    ({"FAILED": 1, "CANCELLED": 1}, "FAILED"),
    ({"INPROGRESS": 1, "UNKNOWN": 1}, "INPROGRESS"),
])
def test_combined_state(counts, expected):
    assert combined_state(counts) == expected


@pytest.mark.parametrize("state, label, icon", [
    ("SUCCESSFUL", "Successful", "✓"),
    ("FAILED", "Failed", "✕"),
    ("INPROGRESS", "In progress", "◔"),
    ("CANCELLED", "Cancelled", "⊘"),
    ("UNKNOWN", "Unknown", "?"),
    ("NONE", "No builds", "–"),
    ("PENDING", "Pending", "…"),
    ("IN_PROGRESS", "In progress", "◔"),
    ("ROLLED_BACK", "Rolled back", "↶"),
    ("PASS", "Passed", "✓"),
    ("FAIL", "Failed", "✕"),
])
def test_state_label_and_icon(state, label, icon):
    assert (STATE_LABELS[state], STATE_ICONS[state]) == (label, icon)


@pytest.mark.parametrize("states", [
    ("SUCCESSFUL", "FAILED", "INPROGRESS", "CANCELLED", "UNKNOWN", "NONE"),  # a commit's builds
    ("PENDING", "IN_PROGRESS", "CANCELLED", "FAILED", "ROLLED_BACK", "SUCCESSFUL", "UNKNOWN"),  # a deployment
    ("PASS", "FAIL"),  # a report
])
def test_state_icons_tell_states_apart(states):
    # Every state a person sees has a word, and one screen's states never share a symbol.
    assert all(STATE_LABELS[s] for s in states)
    assert len({STATE_ICONS[s] for s in states}) == len(states)


@pytest.mark.parametrize("commit_id, expected", [
    ("0a943a29376f2336b78312d99e65da17048951db", "0a943a29376"),
    ("0a943a29376", "0a943a29376"),
    ("abc", "abc"),
    ("", ""),
])
def test_short_sha(commit_id, expected):
    assert short_sha(commit_id) == expected
