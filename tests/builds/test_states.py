"""The pure rules of build states: RestBuildStats counters and the legacy listing's orderBy."""

import pytest

from cairn.builds.states import STATES, STATUS_ORDER, build_stats, parse_order

ZERO = {"successful": 0, "failed": 0, "inProgress": 0, "cancelled": 0, "unknown": 0}


@pytest.mark.parametrize("counts, expected", [
    ({}, ZERO),
    ({"SUCCESSFUL": 2}, {**ZERO, "successful": 2}),
    ({"FAILED": 1}, {**ZERO, "failed": 1}),
    ({"INPROGRESS": 3}, {**ZERO, "inProgress": 3}),
    ({"CANCELLED": 4}, {**ZERO, "cancelled": 4}),
    ({"UNKNOWN": 5}, {**ZERO, "unknown": 5}),
    ({"SUCCESSFUL": 1, "FAILED": 2, "INPROGRESS": 3, "CANCELLED": 4, "UNKNOWN": 5},
     {"successful": 1, "failed": 2, "inProgress": 3, "cancelled": 4, "unknown": 5}),
])
def test_build_stats_always_has_all_five_counters(counts, expected):
    stats = build_stats(counts)
    assert stats == expected
    assert list(stats) == ["successful", "failed", "inProgress", "cancelled", "unknown"]
    assert all(type(v) is int for v in stats.values())


def test_build_stats_accepts_database_counts_of_any_int_type():
    # Database drivers may hand back counts as other integer-like types.
    class Count(int):
        pass
    assert build_stats({"FAILED": Count(2)}) == {**ZERO, "failed": 2}
    assert type(build_stats({"FAILED": Count(2)})["failed"]) is int


@pytest.mark.parametrize("raw, order", [
    (None, "NEWEST"),
    ("", "NEWEST"),
    ("NEWEST", "NEWEST"),
    ("newest", "NEWEST"),
    ("Oldest", "OLDEST"),
    ("OLDEST", "OLDEST"),
    ("status", "STATUS"),
    ("STATUS", "STATUS"),
    ("sTaTuS", "STATUS"),
    ("NEW", None),
    ("DATE", None),
    ("NEWEST ", None),
    ("newest,oldest", None),
])
def test_parse_order(raw, order):
    assert parse_order(raw) == order


def test_the_states_are_bitbuckets_five():
    assert set(STATES) == {"SUCCESSFUL", "FAILED", "INPROGRESS", "CANCELLED", "UNKNOWN"}
    # orderBy=STATUS ranks every state exactly once.
    assert sorted(STATUS_ORDER) == sorted(STATES)
