"""The web UI: server-rendered pages beside the API, on the same users, permissions and services.

Pages live at Bitbucket's URLs (so every `links.self` the API emits opens a page); anything outside
/rest and /status is a page, and its errors are pages too.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from cairn.errors import AUTHENTICATION_REQUIRED, CairnError
from cairn.openapi import OPENAPI_PATH
from cairn.web.docs import install_docs
from cairn.web.pages import account, home, repository, required_builds
from cairn.web.render import HERE, render

_STATIC = ("/static/", "/rest/docs/assets/")

# No inline script or style, nothing from another origin but report logos (http(s) images, as Bitbucket shows).
CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https: http:; "
       "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'")
_HEADERS = [(b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"same-origin"), (b"x-frame-options", b"DENY")]


def _route_path(scope) -> str:
    root = scope.get("root_path", "")
    path = scope["path"]
    return path[len(root):] if root and path.startswith(root) else path


# A client with a wrong context path (/ctx/rest/...) still gets the API's JSON errors.
_API = re.compile(r"/(?:(?!projects/)[^/]+/)?(?:rest(?:/|\Z)|status\Z)")


def is_page(scope) -> bool:
    path = _route_path(scope)
    return path.startswith("/rest/docs") or not _API.match(path)


class SecurityHeaders:
    """Every page (and the API page at /rest/docs) leaves with a strict policy; API answers are untouched."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not is_page(scope):
            return await self.app(scope, receive, send)
        static = _route_path(scope).startswith(_STATIC)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", [])) + _HEADERS
                if not static:
                    headers.append((b"cache-control", b"no-store"))  # pages show private data, once a secret
                message = dict(message, headers=headers)
            await send(message)

        await self.app(scope, receive, send_with_headers)


def error_page(request: Request, status: int, message: str):
    return render(request, "error.html", {"status": status, "message": message}, status_code=status)


def _page_error(request: Request, error: CairnError):
    if error.status == 401 and error.exception_name == AUTHENTICATION_REQUIRED and request.method == "GET":
        # An anonymous visitor is asked to sign in, for a missing page as for a private one (as the API does).
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{request.app.state.context_path}/login?next={quote(target, safe='')}", 303)
    if error.status == 401:
        return error_page(request, 403, "You do not have permission to do this.")
    return error_page(request, error.status, error.message)


def install_web(app: FastAPI, context_path: str) -> None:
    """Mount the pages, their static files and the API page; pages answer their errors as pages."""
    app.state.context_path = context_path
    for module in (home, repository, required_builds, account):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    install_docs(app, context_path, OPENAPI_PATH)
    api_handlers = dict(app.exception_handlers)

    async def cairn_error(request: Request, exc: CairnError):
        if is_page(request.scope):
            return _page_error(request, exc)
        return await api_handlers[CairnError](request, exc)

    async def http_error(request: Request, exc: StarletteHTTPException):
        if is_page(request.scope):
            messages = {404: "There is nothing here. It may have been moved or deleted, or you may need to sign in.",
                        405: "This page does not take that kind of request."}
            return error_page(request, exc.status_code, messages.get(exc.status_code, str(exc.detail)))
        return await api_handlers[StarletteHTTPException](request, exc)

    async def unexpected(request: Request, exc: Exception):
        if is_page(request.scope):
            return error_page(request, 500, "Something went wrong on our side. The server log has the details.")
        return await api_handlers[Exception](request, exc)

    app.add_exception_handler(CairnError, cairn_error)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)
