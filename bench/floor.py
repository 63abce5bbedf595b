"""`python -m bench.annotations --floor`: what serving the annotation POST costs before storing anything.

A bare ASGI app under the same uvicorn settings as `cairn serve`: it reads the request body and answers 204
(GET /status: 200, for the harness). With BENCH_FLOOR_VALIDATE=1 it first validates a POST body with
cairn's own AnnotationsRequest, as cairn does. No authentication, no database.
"""

from __future__ import annotations

import os

from cairn.insights.schemas import AnnotationsRequest

_VALIDATE = os.environ.get("BENCH_FLOOR_VALIDATE") == "1"


async def app(scope, receive, send):
    if scope["type"] != "http":
        return  # no lifespan: uvicorn carries on without it
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    if _VALIDATE and scope["method"] == "POST":
        AnnotationsRequest.model_validate_json(b"".join(chunks))
    await send({"type": "http.response.start", "status": 200 if scope["path"] == "/status" else 204, "headers": []})
    await send({"type": "http.response.body", "body": b""})
