"""Display rules for the web UI: pure functions from stored values to the words and numbers a person reads."""

from __future__ import annotations

import math
from datetime import datetime, timedelta
from fractions import Fraction
from urllib.parse import urlsplit

# Naive datetimes standing for UTC: only ever formatted, never compared with local time.
_EPOCH = datetime(1970, 1, 1)
_MIN_MS = (datetime.min - _EPOCH) // timedelta(milliseconds=1)
_MAX_MS = (datetime.max - _EPOCH) // timedelta(milliseconds=1)
_HOUR_MS, _DAY_MS, _WEEK_MS = 3_600_000, 86_400_000, 7 * 86_400_000

STATE_LABELS: dict[str, str] = {
    "SUCCESSFUL": "Successful", "FAILED": "Failed", "INPROGRESS": "In progress", "CANCELLED": "Cancelled",
    "UNKNOWN": "Unknown", "NONE": "No builds",
    # Deployments spell it IN_PROGRESS; the other deployment states share the build states' words.
    "PENDING": "Pending", "IN_PROGRESS": "In progress", "ROLLED_BACK": "Rolled back",
    "PASS": "Passed", "FAIL": "Failed",
}
STATE_ICONS: dict[str, str] = {
    "SUCCESSFUL": "✓", "FAILED": "✕", "INPROGRESS": "◔", "CANCELLED": "⊘", "UNKNOWN": "?", "NONE": "–",
    "PENDING": "…", "IN_PROGRESS": "◔", "ROLLED_BACK": "↶", "PASS": "✓", "FAIL": "✕",
}


def _nonfinite(value: object) -> bool:
    # NaN and the infinities: a float, though no JSON number (ints are never tested: they may not fit a float).
    return isinstance(value, float) and not math.isfinite(value)


def _finite(value: object) -> bool:
    # bool is an int to Python, never a number to a person.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and not _nonfinite(value)


def _round(value: Fraction, places: int = 0) -> int:
    # Exact (Fraction, not float) and half away from zero, as a person rounds: 1.25 -> 1.3, never 1.2.
    return (-1 if value < 0 else 1) * math.floor(abs(value) * 10**places + Fraction(1, 2))


def _fixed(value: int | float | Fraction, places: int) -> str:
    """`value` rounded to at most `places` (>= 1) decimals, trailing zeros dropped: "12.5", "3", "-0.33"."""
    if _nonfinite(value):
        return str(value)
    scaled = _round(Fraction(value), places)
    whole, part = divmod(abs(scaled), 10**places)
    text = f"{whole}.{part:0{places}d}".rstrip("0").rstrip(".")
    return f"-{text}" if scaled < 0 else text


def safe_url(url: object) -> str | None:
    """The URL, stripped, when it is an absolute http or https URL with a host; else None."""
    if not isinstance(url, str):
        return None
    url = url.strip()
    # Browsers skip tabs and newlines inside a scheme ("java\tscript:"), so any such character rejects the URL.
    if any(ch.isspace() or not ch.isprintable() for ch in url):
        return None
    try:
        parts = urlsplit(url)
        # .port raises for a port that is no number or out of range; no browser opens port 0.
        web = parts.scheme.lower() in ("http", "https") and bool(parts.hostname) and parts.port != 0
    except ValueError:  # that port, or an unclosed IPv6 bracket
        return None
    return url if web else None


def _pair(big: int, small: int, big_unit: str, small_unit: str) -> str:
    """Two units with a zero left out: "3 min 5 s", "3 min", "42 s"."""
    if not big:
        return f"{small} {small_unit}"
    return f"{big} {big_unit}" + (f" {small} {small_unit}" if small else "")


def human_duration(ms: int | float | None) -> str | None:
    """A duration in milliseconds as a person says it: "850 ms", "4.2 s", "3 min 5 s", "1 h 2 min", "2 d 3 h"."""
    if ms is None or _nonfinite(ms):
        return None
    exact = max(Fraction(ms), Fraction(0))

    def whole(unit: int) -> int:
        return _round(exact / unit)

    # Each unit is chosen after rounding, so 59.6 s reads "1 min", never "60 s".
    if whole(1) < 1000:
        return f"{whole(1)} ms"
    if whole(100) < 100:
        return f"{_fixed(exact / 1000, 1)} s"
    if (seconds := whole(1000)) < 3600:
        return _pair(*divmod(seconds, 60), "min", "s")
    if (minutes := whole(60_000)) < 1440:
        return _pair(*divmod(minutes, 60), "h", "min")
    return _pair(*divmod(whole(_HOUR_MS), 24), "d", "h")


def human_number(value: int | float) -> str:
    """A number the way Bitbucket shows one: "999", "12.5", "14.3k", "1M", "-2B"."""
    if isinstance(value, int) and abs(value) < 1000 or _nonfinite(value):
        return str(value)
    text, suffix = _fixed(value, 2), ""
    # Round first, then check the unit, so 999.999 and 999_999 read "1k" and "1M", never "1000" and "1000k".
    for power, unit in enumerate("kMBT", 1):
        if abs(float(text)) < 1000:
            break
        text, suffix = _fixed(Fraction(value) / 1000**power, 1), unit
    return text + suffix


def percentage(value: int | float) -> str:
    """A percentage with at most 2 decimals: "81.5%", "100%"."""
    return f"{_fixed(value, 2)}%"


def yes_no(value: bool) -> str:
    """The word for a boolean: "Yes" or "No"."""
    return "Yes" if value else "No"


def _moment(ms: int | float) -> datetime:
    # Clamped so that no stored number, however wild, makes a page fail to render.
    ms = 0 if isinstance(ms, float) and math.isnan(ms) else min(max(ms, _MIN_MS), _MAX_MS)
    return _EPOCH + timedelta(milliseconds=ms)


def iso_utc(ms: int | float) -> str:
    """Milliseconds since the epoch as ISO 8601 UTC to the second: "1970-01-01T00:00:00Z"."""
    return _moment(ms).isoformat(timespec="seconds") + "Z"


def absolute_time(ms: int | float) -> str:
    """Milliseconds since the epoch as "2026-11-02 14:03 UTC" (the browser's script relocalises it)."""
    return _moment(ms).isoformat(sep=" ", timespec="minutes") + " UTC"


def relative_time(ms: int | float, now_ms: int | float) -> str:
    """How long before or after `now_ms` the moment `ms` is: "just now", "5 minutes ago", "yesterday", "in 1 hour"."""
    gap, future = abs(now_ms - ms), ms > now_ms
    if gap < 45_000:
        return "just now"
    if gap < _HOUR_MS:
        count, unit = max(1, int(gap // 60_000)), "minute"
    elif gap < _DAY_MS:
        count, unit = int(gap // _HOUR_MS), "hour"
    else:
        count, unit = int(gap // _DAY_MS), "day"
        if count == 1 and not future:
            return "yesterday"
    words = f"{count} {unit}" + ("" if count == 1 else "s")
    return f"in {words}" if future else f"{words} ago"


def when(ms: int | float, now_ms: int | float) -> dict:
    """A moment for display: relative within a week either side of now, else absolute (the module page's DATE rule)."""
    relative = abs(now_ms - ms) < _WEEK_MS
    text = relative_time(ms, now_ms) if relative else absolute_time(ms)
    return {"iso": iso_utc(ms), "text": text, "exact": absolute_time(ms), "relative": relative}


_SHOWN = {
    "BOOLEAN": (lambda v: isinstance(v, bool), yes_no),
    "DURATION": (_finite, human_duration),
    "NUMBER": (_finite, human_number),
    "PERCENTAGE": (_finite, percentage),
    "TEXT": (lambda v: isinstance(v, str), str),
}


def data_field(field: dict, now_ms: int) -> dict:
    """One stored report data field as {"title", "type", "text"} (+ "href" for LINK, when() keys for DATE)."""
    title, value, type_ = str(field.get("title") or ""), field.get("value"), field.get("type")
    if type_ is None:  # the module page: without a type, the value's JSON type decides
        type_ = "BOOLEAN" if isinstance(value, bool) else "NUMBER" if _finite(value) else "TEXT"
    shown = {"title": title, "type": type_}
    if type_ == "DATE" and _finite(value):
        return shown | when(value, now_ms)
    if type_ == "LINK" and isinstance(value, dict) and isinstance(value.get("linktext"), str):
        return shown | {"text": value["linktext"], "href": safe_url(value.get("href"))}
    if type_ in _SHOWN and _SHOWN[type_][0](value):
        return shown | {"text": _SHOWN[type_][1](value)}
    # A value that does not match its type is shown as it is, never an error page.
    return {"title": title, "type": "TEXT", "text": str(value)}


def combined_state(counts: dict[str, int]) -> str:
    """The one state a commit shows for its builds' counts per state; "NONE" when it has no builds."""
    # A guess at Bitbucket's commit badge: red if any failed, blue if any running, green if any passed.
    for state in ("FAILED", "INPROGRESS", "SUCCESSFUL", "CANCELLED", "UNKNOWN"):
        if (counts.get(state) or 0) > 0:
            return state
    return "NONE"


def short_sha(commit_id: str) -> str:
    """The first 11 characters of a commit id (Bitbucket's display id length)."""
    return commit_id[:11]
