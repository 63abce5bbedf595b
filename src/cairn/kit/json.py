"""The JSON response class: Bitbucket's exact content type."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import JSONResponse as _StarletteJSON

MEDIA_TYPE = "application/json;charset=UTF-8"


class JSONResponse(_StarletteJSON):
    media_type = MEDIA_TYPE

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
