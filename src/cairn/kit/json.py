"""The JSON response class: Bitbucket's exact content type."""

from __future__ import annotations

from typing import Any

import pydantic_core
from starlette.responses import JSONResponse as _StarletteJSON

MEDIA_TYPE = "application/json;charset=UTF-8"


class JSONResponse(_StarletteJSON):
    media_type = MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        # Compact UTF-8, as json.dumps(ensure_ascii=False, separators=(",", ":")) writes it (only a float's
        # exponent may read 1e-7, not 1e-07), in a third of the time: 1000 annotations 4.6 -> 1.3 ms.
        return pydantic_core.to_json(content)


_CONTENT_TYPE = (b"content-type", MEDIA_TYPE.encode())


async def send_json(send, content: Any) -> None:
    """Send `content` as JSONResponse(content) would, 200 with the same headers in the same order, without
    building a Response (the fast lane's answers; a Response object cost 4 us of a 25-us stats GET)."""
    body = pydantic_core.to_json(content)
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-length", str(len(body)).encode()), _CONTENT_TYPE]})
    await send({"type": "http.response.body", "body": body})
