"""The one paging helper: start/limit in, Bitbucket's page envelope out."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any, Generic, Sequence, TypeVar

from fastapi import Depends, Query
from pydantic import BaseModel, Field

from cairn.errors import bad_request

DEFAULT_LIMIT = 25
MAX_LIMIT = 1000
# Bitbucket reads start as a Java int; anything larger is not a page it could serve (and would overflow SQL).
MAX_START = 2**31 - 1

T = TypeVar("T")


@dataclass(frozen=True)
class PageRequest:
    start: int = 0
    limit: int = DEFAULT_LIMIT


def _parse(name: str, raw: str | None, default: int) -> int:
    if raw is None or raw == "":
        return default
    raw = raw.strip()
    # Plain decimal digits only: int() would also take "1_000", "+5" and non-ASCII digits.
    if not (raw.isascii() and raw.isdigit()):
        raise bad_request(f"{name} must be a non-negative integer.", name)
    return int(raw)


def page_request(start: str | None = None, limit: str | None = None) -> PageRequest:
    """Read start/limit; a limit above 1000 is clamped, as Bitbucket does (the page shows the applied limit)."""
    first = _parse("start", start, 0)
    if first > MAX_START:
        raise bad_request(f"start must be at most {MAX_START}.", "start")
    size = _parse("limit", limit, DEFAULT_LIMIT)
    return PageRequest(first, min(size, MAX_LIMIT) or DEFAULT_LIMIT)


async def _paging(start: Annotated[str | None, Query(description="Index of the first item (default 0)")] = None,
                  limit: Annotated[str | None, Query(description="Page size (default 25; above 1000 clamped to 1000)")]
                  = None) -> PageRequest:
    # async: FastAPI runs a plain-def dependency in its thread pool, a hop on every listing request.
    return page_request(start, limit)


Paging = Annotated[PageRequest, Depends(_paging)]


class Page(BaseModel, Generic[T]):
    """Bitbucket's page envelope (documentation shape; pages are built by `page`)."""

    size: int
    limit: int
    start: int
    isLastPage: bool
    nextPageStart: int | None = Field(default=None, description="Present only when isLastPage is false")
    values: list[T]


def page(rows: Sequence[Any], request: PageRequest) -> dict:
    """Build the envelope from up to limit+1 rows fetched from `start`; the extra row only says 'more'."""
    values = list(rows[: request.limit])
    last = len(rows) <= request.limit
    body = {"size": len(values), "limit": request.limit, "isLastPage": last, "start": request.start,
            "values": values}
    if not last:
        body["nextPageStart"] = request.start + len(values)
    return body
