"""The live stream of a repository's (or a commit's) events, as Server-Sent Events (/rest/cairn)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from starlette.responses import StreamingResponse

from cairn.auth.deps import RepoRead, RepositoryAccess
from cairn.db.uow import Conn
from cairn.errors import bad_request
from cairn.events import store
from cairn.events.stream import Subscription
from cairn.kit.commits import CommitId

router = APIRouter(tags=["Events (cairn)"])

_REPOSITORY = "/projects/{projectKey}/repos/{repositorySlug}"
REPLAY = 1000  # events a resuming stream is sent at most before it goes live (the outbox keeps a day)
HEARTBEAT = 15.0  # seconds of silence before a comment line keeps proxies from closing the stream
LIFETIME = 300.0  # seconds a stream lasts: the client reconnects with Last-Event-ID, and is authorised again


def _frame(row) -> bytes:
    return f"id: {row.id}\nevent: {row.event_key}\ndata: {row.payload}\n\n".encode()


def _last_event_id(header: str | None, query: str | None) -> int | None:
    """The id to resume after: the Last-Event-ID header (a reconnecting EventSource sends it), else the
    lastEventId parameter (a page passes the newest event it rendered)."""
    value = header if header is not None else query
    if value is None or value == "":
        return None
    if not (value.isascii() and value.strip().isdigit()):
        raise bad_request("lastEventId must be the id of an event.", "lastEventId")
    return int(value)


async def _stream(request: Request, conn, access: RepositoryAccess, commit_id: str | None,
                  after: int | None) -> StreamingResponse:
    bus = request.app.state.event_bus
    subscription: Subscription = bus.subscribe(access.repository.id, commit_id)  # first: nothing falls between
    replay = [] if after is None else await store.newer(conn, access.repository.id, after, REPLAY, commit_id)

    async def frames():
        try:
            yield b"retry: 2000\n\n"
            sent = after or 0
            for row in replay:
                sent = row.id
                yield _frame(row)
            deadline = asyncio.get_running_loop().time() + LIFETIME
            while not subscription.overflowed:
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    return
                try:
                    row = await asyncio.wait_for(subscription.queue.get(), min(HEARTBEAT, left))
                except asyncio.TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                if row.id > sent or after is None:  # (replayed already)
                    yield _frame(row)
        finally:
            bus.unsubscribe(subscription)

    return StreamingResponse(frames(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})


LastEventId = Annotated[str | None, Header(alias="Last-Event-ID")]
LastEventIdParameter = Annotated[str | None, Query(alias="lastEventId", description="Resume after this event")]
_SSE = {"response_class": StreamingResponse,
        "responses": {200: {"content": {"text/event-stream": {"schema": {"type": "string"}}},
                            "description": "`id: <event id>`, `event: <event key>`, `data: <the webhook body>`, "
                                           "per event; a comment line every 15 s of silence"}}}


@router.get(_REPOSITORY + "/events", summary="The repository's events as they commit (Server-Sent Events)", **_SSE)
async def repository_events(request: Request, conn: Conn, access: RepoRead, last_event_id: LastEventId = None,
                            resume: LastEventIdParameter = None):
    """Each event as a webhook receives it; `Last-Event-ID` resumes after that event."""
    return await _stream(request, conn, access, None, _last_event_id(last_event_id, resume))


@router.get(_REPOSITORY + "/commits/{commitId}/events", summary="The commit's events as they commit (SSE)", **_SSE)
async def commit_events(request: Request, conn: Conn, access: RepoRead, commit: CommitId,
                        last_event_id: LastEventId = None, resume: LastEventIdParameter = None):
    return await _stream(request, conn, access, commit, _last_event_id(last_event_id, resume))
