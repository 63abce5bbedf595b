"""Base wire schema: camelCase on the wire, unknown members ignored (Bitbucket clients send extras)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.alias_generators import to_camel

# Java's int and long: Bitbucket reads numbers into these; larger is a 400, never an overflow in SQL.
INT32_MAX = 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


class Schema(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


# String rules run inside pydantic-core as patterns (Rust regex), not as Python validators: validating
# 1000 annotations took 5.4 ms with Python validators and 1.4 ms with patterns. PATTERN_MESSAGES says what
# each one means in the 400 answer. pydantic's pattern searches: NOT_BLANK finds one non-space character.
NOT_BLANK = r"\S"
WEB_URL = (r"^(?i:https?)://(?:[^\s\x00/?#@]*@)?(?:\[[0-9A-Fa-f:.]+\]|[^\s\x00/?#@:\[\]]+)(?::[0-9]*)?"
           r"(?:[/?#][^\s\x00]*)?$")
PATTERN_MESSAGES = {
    NOT_BLANK: "must not be blank",
    WEB_URL: "must be a valid http or https URL",
}
_WEB_URL = re.compile(WEB_URL)


def may_hold_nul(body: bytes) -> bool:
    """Whether a JSON body can carry U+0000: valid JSON carries it only as the escape \\u0000, or as NUL bytes
    when it is UTF-16 or UTF-32 (which json.loads reads). One search of the body replaces a pattern on every
    string field, which cost 0.8 of 2.8 ms validating 1000 annotations."""
    return b"\\u0000" in body or b"\x00" in body


def nul_location(document) -> list | None:
    """The path (member names and indexes) to the first string of a parsed JSON document holding U+0000, a
    member name or a value; None when there is none."""
    pending = [((), document)]  # depth first, in document order, without recursion
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            if "\x00" in value:
                return list(path)
        elif isinstance(value, (dict, list)):
            for key, item in reversed(list(value.items() if isinstance(value, dict) else enumerate(value))):
                pending.append((path + (key,), item))
                if isinstance(key, str):
                    pending.append((path + (key,), key))  # a member's name comes before its value
    return None


async def refuse_nul(request: Request) -> None:
    """PostgreSQL cannot store U+0000, so no body may carry it (README): a 400 naming where it is.

    The permission dependencies (auth/deps.py) call this once they have let the caller in: as with any bad
    body, an unknown or unauthorised caller learns that first.
    """
    if request.method in ("POST", "PUT") and may_hold_nul(await request.body()):
        try:
            location = nul_location(await request.json())  # FastAPI has parsed a route's body already
        except (ValueError, RecursionError):
            return  # the route reads no body (FastAPI refuses a body it cannot parse before this)
        if location is not None:
            raise RequestValidationError([{"type": "value_error", "loc": ("body", *location),
                                           "msg": "must not contain NUL characters", "input": None}])


def _string_or_integer(value):
    # Clients send buildNumber both as "7" and as 7; both mean the string "7".
    if isinstance(value, bool):
        raise ValueError("must be a string or an integer")
    if isinstance(value, int):
        return str(value)
    return value


def Text(max_length: int, *, required: bool = False):
    """A string field of at most max_length characters; required ones must not be blank."""
    return Annotated[str, StringConstraints(max_length=max_length, pattern=NOT_BLANK if required else None)]


def TextOrInteger(max_length: int):
    # Documented as what it takes (string or integer), not as the string it becomes.
    accepted = {"anyOf": [{"type": "string", "maxLength": max_length}, {"type": "integer"}]}
    return Annotated[str, BeforeValidator(_string_or_integer), StringConstraints(max_length=max_length),
                     WithJsonSchema(accepted, mode="validation")]


def is_web_url(value, max_length: int) -> bool:
    """An absolute http(s) URL with a host, no whitespace or NUL, of at most max_length characters."""
    return isinstance(value, str) and len(value) <= max_length and _WEB_URL.fullmatch(value) is not None


def WebUrl(max_length: int):
    """A link field: a valid http or https URL, stored exactly as given (never normalised)."""
    return Annotated[str, StringConstraints(max_length=max_length, pattern=WEB_URL),
                     WithJsonSchema({"type": "string", "format": "uri", "maxLength": max_length}, mode="validation")]
