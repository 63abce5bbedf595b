"""Base wire schema: camelCase on the wire, unknown members ignored (Bitbucket clients send extras)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, BeforeValidator, ConfigDict, StringConstraints, WithJsonSchema
from pydantic.alias_generators import to_camel


class Schema(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore")

    def wire(self) -> dict:
        """The JSON body: camelCase, absent values omitted (Bitbucket omits nulls in entities)."""
        return self.model_dump(by_alias=True, exclude_none=True, mode="json")


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
        return Annotated[str, StringConstraints(max_length=max_length), BeforeValidator(_not_blank)]
    return Annotated[str, StringConstraints(max_length=max_length)]


def TextOrInteger(max_length: int):
    # Documented as what it takes (string or integer), not as the string it becomes.
    accepted = {"anyOf": [{"type": "string", "maxLength": max_length}, {"type": "integer"}]}
    return Annotated[str, StringConstraints(max_length=max_length), BeforeValidator(_string_or_integer),
                     WithJsonSchema(accepted, mode="validation")]
