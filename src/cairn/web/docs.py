"""The interactive API page at /rest/docs, served entirely by cairn.

Swagger UI's files come from the ``fastapi-offline`` package (its ``static`` directory holds
swagger-ui-dist's ``swagger-ui-bundle.js`` and ``swagger-ui.css``), so the page needs no CDN and works
offline. The page itself has no inline script or style: Swagger UI is started by ``/rest/docs/init.js``,
so it runs under ``default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:``.
"""
from __future__ import annotations

import html
import json
from importlib.resources import files

from fastapi import FastAPI
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.staticfiles import StaticFiles

DOCS_PATH = "/rest/docs"
ASSETS_PATH = DOCS_PATH + "/assets"
INIT_PATH = DOCS_PATH + "/init.js"

# Swagger UI 5 (OpenAPI 3.1, which FastAPI writes), as shipped by fastapi-offline.
_STATIC_DIR = files("fastapi_offline") / "static"

_PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>cairn - REST API</title>
<link rel="stylesheet" type="text/css" href="{assets}/swagger-ui.css">
<link rel="icon" type="image/png" href="{assets}/favicon.png">
</head>
<body>
<noscript>This page needs JavaScript. The OpenAPI document itself is at <a href="{openapi}">{openapi}</a>.</noscript>
<div id="swagger-ui"></div>
<script src="{assets}/swagger-ui-bundle.js"></script>
<script src="{init}"></script>
</body>
</html>
"""

# validatorUrl null: no badge image from validator.swagger.io (another origin, and offline).
_INIT = """"use strict";
window.ui = SwaggerUIBundle({{
  url: {openapi},
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis]
}});
"""


def install_docs(app: FastAPI, context_path: str, openapi_path: str) -> None:
    """Serve Swagger UI at ``/rest/docs`` for the OpenAPI document at ``context_path + openapi_path``.

    ``context_path`` is the path of the external base URL ("" or e.g. "/bitbucket", no trailing slash):
    the page's references carry it so that they resolve behind a proxy that strips it as well as
    straight at the server.
    """
    openapi_url = context_path + openapi_path
    page = _PAGE.format(assets=html.escape(context_path + ASSETS_PATH),
                        init=html.escape(context_path + INIT_PATH),
                        openapi=html.escape(openapi_url))
    # json.dumps escapes quotes, backslashes and (ensure_ascii) U+2028/2029: a valid JS string literal.
    script = _INIT.format(openapi=json.dumps(openapi_url))

    async def docs(_: Request) -> Response:
        return HTMLResponse(page)

    async def init(_: Request) -> Response:
        return Response(script, media_type="application/javascript")

    app.mount(ASSETS_PATH, StaticFiles(directory=str(_STATIC_DIR)), name="docs-assets")
    app.add_route(DOCS_PATH, docs, methods=["GET"], include_in_schema=False)
    app.add_route(INIT_PATH, init, methods=["GET"], include_in_schema=False)
