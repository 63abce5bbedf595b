"""Build states and the statistics derived from them (pure)."""

from __future__ import annotations

from typing import Literal, Mapping

BuildState = Literal["SUCCESSFUL", "FAILED", "INPROGRESS", "CANCELLED", "UNKNOWN"]
STATES: tuple[str, ...] = ("SUCCESSFUL", "FAILED", "INPROGRESS", "CANCELLED", "UNKNOWN")

# RestBuildStats member for each state; all five are always present.
_COUNTER = {"SUCCESSFUL": "successful", "FAILED": "failed", "INPROGRESS": "inProgress",
            "CANCELLED": "cancelled", "UNKNOWN": "unknown"}

# orderBy=STATUS: what needs attention first (guess: Bitbucket does not document the order).
STATUS_ORDER: tuple[str, ...] = ("FAILED", "INPROGRESS", "CANCELLED", "UNKNOWN", "SUCCESSFUL")

ORDERS = ("NEWEST", "OLDEST", "STATUS")


def build_stats(counts: Mapping[str, int]) -> dict[str, int]:
    """RestBuildStats from a count per state; states with no build count zero."""
    return {_COUNTER[state]: int(counts.get(state, 0)) for state in STATES}


def parse_order(value: str | None) -> str | None:
    """orderBy is case-insensitive ("newest, oldest, or status"); None when not one of them."""
    if value is None or value == "":
        return "NEWEST"
    value = value.upper()
    return value if value in ORDERS else None
