"""The live stream of a repository's (or a commit's) events, as Server-Sent Events (/rest/cairn)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Query, Request
from starlette.responses import StreamingResponse

from cairn.auth.deps import RepoRead
from cairn.db.uow import Conn
from cairn.events.stream import event_stream, resume_after
from cairn.kit.commits import CommitId

router = APIRouter(tags=["Events (cairn)"])

_REPOSITORY = "/projects/{projectKey}/repos/{repositorySlug}"


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
    return await event_stream(request, conn, access.repository.id, None, resume_after(last_event_id, resume))


@router.get(_REPOSITORY + "/commits/{commitId}/events", summary="The commit's events as they commit (SSE)", **_SSE)
async def commit_events(request: Request, conn: Conn, access: RepoRead, commit: CommitId,
                        last_event_id: LastEventId = None, resume: LastEventIdParameter = None):
    return await event_stream(request, conn, access.repository.id, commit,
                              resume_after(last_event_id, resume))
