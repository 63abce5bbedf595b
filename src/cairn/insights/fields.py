"""A report's data fields: which value each type takes (pure; the module page's table)."""

from __future__ import annotations

import math

from cairn.kit.schema import is_web_url

TYPES = ("BOOLEAN", "DATE", "DURATION", "LINK", "NUMBER", "PERCENTAGE", "TEXT")
MAX_URL = 2048  # no limit is documented; cairn's guard against unbounded links


def _number(value) -> bool:
    # JSON has no NaN or Infinity, though Python's parser takes them.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def check_value(type_: str | None, value) -> None:
    """Raise ValueError saying what is wrong when `value` is not what a field of `type_` holds."""
    if type_ is None:
        if not (isinstance(value, (str, bool)) or _number(value)):
            raise ValueError("without a type, the value must be a string, a number or a boolean")
    elif type_ == "BOOLEAN":
        if not isinstance(value, bool):
            raise ValueError("a BOOLEAN value must be true or false")
    elif type_ in ("DATE", "NUMBER"):
        if not _number(value):
            raise ValueError(f"a {type_} value must be a number")
    elif type_ == "DURATION":
        if not _number(value) or value < 0:
            raise ValueError("a DURATION value must be a non-negative number of milliseconds")
    elif type_ == "PERCENTAGE":
        if not _number(value) or not 0 <= value <= 100:
            raise ValueError("a PERCENTAGE value must be a number between 0 and 100")
    elif type_ == "TEXT":
        if not isinstance(value, str):
            raise ValueError("a TEXT value must be a string")
    elif type_ == "LINK":
        if not (isinstance(value, dict) and isinstance(value.get("linktext"), str)
                and value["linktext"].strip() and is_web_url(value.get("href"), MAX_URL)):
            raise ValueError('a LINK value must be {"linktext": "...", "href": "<http or https URL>"}')
    else:
        raise ValueError(f"'{type_}' is not a data field type; use one of {', '.join(TYPES)}")
