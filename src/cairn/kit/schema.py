"""Base wire schema: camelCase on the wire, unknown members ignored (Bitbucket clients send extras)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    WithJsonSchema,
)
from pydantic.alias_generators import to_camel


class Schema(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")


def no_nul(value: str) -> str:
    # PostgreSQL cannot store U+0000 in text; refuse it on both databases rather than fail with a 500.
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    return value


# A string whose rules a service checks; only NUL is refused here.
Plain = Annotated[str, AfterValidator(no_nul)]


def _string_or_integer(value):
    # Clients send buildNumber both as "7" and as 7; both mean the string "7".
    if isinstance(value, bool):
        raise ValueError("must be a string or an integer")
    if isinstance(value, int):
        return str(value)
    return value


def _not_blank(value):
    if isinstance(value, str) and not value.strip():
        raise ValueError("must not be blank")
    return value


def Text(max_length: int, *, required: bool = False):
    """A string field of at most max_length characters; required ones must not be blank."""
    if required:
        return Annotated[str, StringConstraints(max_length=max_length), BeforeValidator(_not_blank),
                         AfterValidator(no_nul)]
    return Annotated[str, StringConstraints(max_length=max_length), AfterValidator(no_nul)]


def TextOrInteger(max_length: int):
    # Documented as what it takes (string or integer), not as the string it becomes.
    accepted = {"anyOf": [{"type": "string", "maxLength": max_length}, {"type": "integer"}]}
    return Annotated[str, StringConstraints(max_length=max_length), BeforeValidator(_string_or_integer),
                     AfterValidator(no_nul), WithJsonSchema(accepted, mode="validation")]


def is_web_url(value, max_length: int) -> bool:
    """An absolute http(s) URL with a host and no whitespace, of at most max_length characters."""
    if not isinstance(value, str) or not value or len(value) > max_length or any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:  # e.g. a malformed IPv6 host
        return False


def WebUrl(max_length: int):
    """A link field: a valid http or https URL, stored exactly as given (never normalised)."""
    def check(value: str) -> str:
        if not is_web_url(value, max_length):
            raise ValueError(f"must be a valid http or https URL of at most {max_length} characters")
        return value
    return Annotated[str, AfterValidator(check), WithJsonSchema({"type": "string", "format": "uri",
                                                                 "maxLength": max_length})]
