"""Signing in and out, and the signed-in user's personal access tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from cairn.auth import permissions as perms
from cairn.auth import service as users
from cairn.auth.schemas import token_permission_names
from cairn.db.uow import Conn
from cairn.errors import CairnError, unauthorized
from cairn.kit.paging import page, page_request
from cairn.web.pages import Text
from cairn.web.render import render, secure_cookies
from cairn.web.session import CSRF_COOKIE, SESSION_COOKIE, Form, Visitor

router = APIRouter(include_in_schema=False)
TOKEN_PERMISSIONS = (*perms.REPOSITORY, *perms.PROJECT)


def _local(target: str | None, base: str) -> str:
    """Where to go after signing in: a path on this site only (never another origin)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return base + "/"


@router.get("/login")
async def login_form(request: Request, visitor: Visitor, next: Text = None):  # noqa: A002
    return render(request, "account/login.html", {"next": next or "", "failed": False, "wait": 0, "username": ""})


@router.post("/login")
async def login(request: Request, conn: Conn, visitor: Visitor, form: Form):
    username, password = str(form.get("username") or ""), str(form.get("password") or "")
    secret, wait = await users.sign_in(conn, request.app.state.hasher,
                                       request.app.state.authenticator.failed_sign_ins, username, password)
    if secret is None:
        # One message for both mistakes: which one was wrong is not for a stranger to learn.
        return render(request, "account/login.html", {"next": form.get("next") or "", "failed": True, "wait": wait,
                                                      "username": username}, status_code=401)
    response = RedirectResponse(_local(form.get("next"), request.app.state.context_path), 303)
    secure = secure_cookies(request)
    response.set_cookie(SESSION_COOKIE, secret, max_age=users.SESSION_DAYS * 86400, httponly=True,
                        samesite="lax", secure=secure, path="/")
    response.delete_cookie(CSRF_COOKIE, path="/")  # a new one with the next page: none fixed before sign-in
    return response


@router.post("/logout")
async def logout(request: Request, conn: Conn, visitor: Visitor, form: Form):
    await users.sign_out(conn, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(request.app.state.context_path + "/", 303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _signed_in(visitor) -> None:
    if visitor.anonymous:
        raise unauthorized(True)


async def _tokens(request: Request, conn, visitor, start: str | None, created: dict | None = None,
                  errors: list[str] | None = None, status_code: int = 200):
    paging = page_request(start, None)
    _, rows = await users.list_tokens(conn, visitor.slug, paging.start, paging.limit + 1)
    tokens = [{"id": r.id, "name": r.name, "permissions": token_permission_names(r), "created": r.created_date,
               "expires": r.expires_date, "used": r.last_authenticated} for r in rows]
    return render(request, "account/tokens.html", {"tokens": page(tokens, paging), "created": created,
                                                   "errors": errors or [], "permissions": TOKEN_PERMISSIONS},
                  status_code=status_code)


@router.get("/account/tokens")
async def tokens(request: Request, conn: Conn, visitor: Visitor, start: Text = None):
    _signed_in(visitor)
    return await _tokens(request, conn, visitor, start)


@router.post("/account/tokens")
async def create_token(request: Request, conn: Conn, visitor: Visitor, form: Form):
    _signed_in(visitor)
    name = str(form.get("name") or "").strip()
    permission = str(form.get("permission") or "")
    expiry = str(form.get("expiryDays") or "").strip()
    errors = []
    if not name or len(name) > 255:
        errors.append("Give the token a name of at most 255 characters.")
    if permission not in TOKEN_PERMISSIONS:
        errors.append(f"Choose one of {', '.join(TOKEN_PERMISSIONS)}.")
    if expiry and not (expiry.isascii() and expiry.isdigit() and 1 <= int(expiry) <= 32767):
        errors.append("Expiry is a number of days from 1 to 32767, or empty for never.")
    if errors:
        return await _tokens(request, conn, visitor, None, errors=errors, status_code=400)
    try:
        _, row, secret = await users.create_token(conn, visitor.slug, name, [permission],
                                                  int(expiry) if expiry else None)
    except CairnError as error:
        if error.status != 400:
            raise
        return await _tokens(request, conn, visitor, None, errors=[error.message], status_code=400)
    # Shown in this answer only: the database keeps its hash, so no later page can show it again.
    return await _tokens(request, conn, visitor, None, created={"name": row.name, "secret": secret})


@router.post("/account/tokens/{tokenId}/revoke")
async def revoke_token(request: Request, conn: Conn, visitor: Visitor, form: Form, tokenId: str):  # noqa: N803
    _signed_in(visitor)
    await users.delete_token(conn, visitor.slug, tokenId)
    return RedirectResponse(request.app.state.context_path + "/account/tokens", 303)
