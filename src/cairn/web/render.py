"""Rendering pages: one Jinja2 environment, the context every page has, the cookies render sets."""

from __future__ import annotations

from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates

from cairn.kit.clock import now_ms
from cairn.web import format as fmt
from cairn.web.session import CSRF_COOKIE, csrf_token

HERE = Path(__file__).resolve().parent
templates = Jinja2Templates(directory=HERE / "templates")  # autoescapes .html: every value is escaped
templates.env.globals.update(state_label=fmt.STATE_LABELS, state_icon=fmt.STATE_ICONS)
templates.env.filters.update(duration=fmt.human_duration, short_sha=fmt.short_sha, safe_url=fmt.safe_url)


def secure_cookies(request: Request) -> bool:
    return request.app.state.settings.public_base_url.startswith("https://")


def render(request: Request, name: str, context: dict, status_code: int = 200):
    """The page `name` with `context` (tests read response.context), plus what the layout needs."""
    now = now_ms()
    page = {"request": request, "base": request.app.state.context_path,
            "visitor": getattr(request.state, "principal", None), "csrf": csrf_token(request),
            "when": lambda ms: fmt.when(ms, now), **context}
    response = templates.TemplateResponse(request, name, page, status_code=status_code)
    new = getattr(request.state, "new_csrf", None)
    if new:
        response.set_cookie(CSRF_COOKIE, new, httponly=True, samesite="lax", secure=secure_cookies(request),
                            path="/")
    return response
