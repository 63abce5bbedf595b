"""Commit ids as Bitbucket takes them: a full 40-hex SHA-1, stored lower case (decision D2)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Depends, Path

from cairn.errors import bad_request

_SHA1 = re.compile(r"^[0-9a-fA-F]{40}\Z")  # \Z: "$" would let a trailing newline through


def parse_commit_id(value: str, context: str = "commitId") -> str:
    if not isinstance(value, str) or not _SHA1.match(value):
        shown = str(value)
        if len(shown) > 64:  # never echo a megabyte of input back
            shown = shown[:64] + "..."
        raise bad_request(f"'{shown}' is not a valid commit hash: a full 40 character SHA-1 is required.",
                          context)
    return value.lower()


# Documented, not enforced by FastAPI: parse_commit_id answers a bad id with cairn's own 400 message.
_DOC = Path(description="Full 40-hex SHA-1 of the commit (upper case accepted)",
            json_schema_extra={"pattern": "^[0-9a-fA-F]{40}$"})


async def commit_id(commitId: Annotated[str, _DOC]) -> str:  # noqa: N803 (async: a plain def runs in a thread)
    return parse_commit_id(commitId)


CommitId = Annotated[str, Depends(commit_id)]
