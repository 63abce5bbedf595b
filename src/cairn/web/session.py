"""Who is looking at a page (the session cookie), and CSRF protection for the forms that change state."""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import Depends, Request

from cairn.auth import service as users
from cairn.auth.principal import Principal
from cairn.db.uow import Conn
from cairn.errors import CairnError

SESSION_COOKIE = "cairn_session"
CSRF_COOKIE = "cairn_csrf"
CSRF_FIELD = "csrf"


async def _visitor(request: Request, conn: Conn) -> Principal:
    principal = await users.session_principal(conn, request.cookies.get(SESSION_COOKIE))
    request.state.principal = principal  # X-AUSERNAME, as on the API
    return principal


Visitor = Annotated[Principal, Depends(_visitor)]


def csrf_token(request: Request) -> str:
    """The visitor's CSRF token: their cookie's, or a new one that render() sets (double-submit cookie)."""
    token = getattr(request.state, "csrf", None) or request.cookies.get(CSRF_COOKIE)
    if not token or len(token) != 43:
        token = secrets.token_urlsafe(32)
        request.state.new_csrf = token
    request.state.csrf = token
    return token


def forbidden_form() -> CairnError:
    return CairnError(403, "This form expired or was sent from another site. Reload the page and try again.")


async def _checked_form(request: Request):
    """The posted form, when it carries the visitor's CSRF token and came from this site."""
    if request.headers.get("sec-fetch-site") == "cross-site":
        raise forbidden_form()
    form = await request.form()
    cookie = request.cookies.get(CSRF_COOKIE) or ""
    sent = form.get(CSRF_FIELD)
    if not (cookie and isinstance(sent, str) and hmac.compare_digest(sent.encode(), cookie.encode())):
        raise forbidden_form()
    return form


Form = Annotated[object, Depends(_checked_form)]
