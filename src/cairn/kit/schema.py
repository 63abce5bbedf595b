"""Base wire schema: camelCase on the wire, unknown members ignored (Bitbucket clients send extras)."""

from __future__ import annotations

import re
from typing import Annotated

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
# each one means in the 400 answer.
# PostgreSQL cannot store U+0000 in text; it is refused on both databases rather than failing with a 500.
NO_NUL = r"^[^\x00]*$"
NOT_BLANK = r"^[^\x00]*[^\s\x00][^\x00]*$"
WEB_URL = (r"^(?i:https?)://(?:[^\s\x00/?#@]*@)?(?:\[[0-9A-Fa-f:.]+\]|[^\s\x00/?#@:\[\]]+)(?::[0-9]*)?"
           r"(?:[/?#][^\s\x00]*)?$")
PATTERN_MESSAGES = {
    NO_NUL: "must not contain NUL characters",
    NOT_BLANK: "must not be blank or contain NUL characters",
    WEB_URL: "must be a valid http or https URL",
}
_WEB_URL = re.compile(WEB_URL)

# A string whose rules a service checks; only NUL is refused here.
Plain = Annotated[str, StringConstraints(pattern=NO_NUL)]


def _string_or_integer(value):
    # Clients send buildNumber both as "7" and as 7; both mean the string "7".
    if isinstance(value, bool):
        raise ValueError("must be a string or an integer")
    if isinstance(value, int):
        return str(value)
    return value


def Text(max_length: int, *, required: bool = False):
    """A string field of at most max_length characters; required ones must not be blank."""
    return Annotated[str, StringConstraints(max_length=max_length, pattern=NOT_BLANK if required else NO_NUL)]


def TextOrInteger(max_length: int):
    # Documented as what it takes (string or integer), not as the string it becomes.
    accepted = {"anyOf": [{"type": "string", "maxLength": max_length}, {"type": "integer"}]}
    return Annotated[str, BeforeValidator(_string_or_integer), StringConstraints(max_length=max_length, pattern=NO_NUL),
                     WithJsonSchema(accepted, mode="validation")]


def is_web_url(value, max_length: int) -> bool:
    """An absolute http(s) URL with a host, no whitespace or NUL, of at most max_length characters."""
    return isinstance(value, str) and len(value) <= max_length and _WEB_URL.fullmatch(value) is not None


def WebUrl(max_length: int):
    """A link field: a valid http or https URL, stored exactly as given (never normalised)."""
    return Annotated[str, StringConstraints(max_length=max_length, pattern=WEB_URL),
                     WithJsonSchema({"type": "string", "format": "uri", "maxLength": max_length}, mode="validation")]
