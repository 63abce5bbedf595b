"""A browser-like client of the real app: its own cookies, the CSRF token of the page it last loaded."""

from __future__ import annotations

import re

import pytest

from tests.fixtures.api import Api

CONTEXT = "/bitbucket"  # the context path of the test settings' CAIRN_BASE_URL
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class Browser:
    """Pages as a person's browser sees them: cookies kept between requests, redirects not followed."""

    def __init__(self, api: Api):
        self.client = api.client
        self.jar: dict[str, str] = {}
        self.csrf = ""

    def request(self, method: str, path: str, **kw):
        self.client.cookies.clear()
        self.client.cookies.update(self.jar)
        r = self.client.request(method, path, follow_redirects=False, **kw)
        self.jar = dict(self.client.cookies)
        self.client.cookies.clear()
        found = _CSRF.search(r.text) if r.headers.get("content-type", "").startswith("text/html") else None
        if found:
            self.csrf = found[1]
        return r

    def get(self, path: str, **kw):
        return self.request("GET", path, **kw)

    def post(self, path: str, data: dict | None = None, csrf: bool = True, **kw):
        if not self.csrf:
            self.get("/login")
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf", self.csrf)
        return self.request("POST", path, data=form, **kw)

    def sign_in(self, username: str, password: str):
        self.get("/login")
        r = self.post("/login", {"username": username, "password": password})
        assert r.status_code == 303, r.text
        return r


@pytest.fixture
def browser(api) -> Browser:
    """A signed-out browser on a clean database."""
    return Browser(api)


@pytest.fixture
def admin_browser(repo) -> Browser:
    """A browser signed in as the administrator, with PRJ/repo created."""
    b = Browser(repo)
    b.sign_in("admin", "admin-password")
    return b
