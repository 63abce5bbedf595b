"""/rest/docs works offline under a strict CSP: no inline script or style, nothing from another origin."""
from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from fastapi import FastAPI
from starlette.testclient import TestClient

from cairn.web.docs import install_docs

OPENAPI_PATH = "/rest/openapi.json"


class _Page(HTMLParser):
    """The tags of a page that load or run something, and the text inside each <script> and <style>."""

    def __init__(self) -> None:
        super().__init__()
        self.scripts: list[dict[str, str | None]] = []
        self.script_bodies: list[str] = []
        self.styles: int = 0
        self.style_attrs: int = 0
        self.event_attrs: list[str] = []
        self.urls: list[str] = []
        self.title = ""
        self._in: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts.append(a)
            self.script_bodies.append("")
        if tag == "style":
            self.styles += 1
        if "style" in a:
            self.style_attrs += 1
        self.event_attrs += [k for k in a if k.startswith("on")]
        self.urls += [v for k, v in attrs if k in ("src", "href", "action", "data") and v is not None]
        self._in = tag

    def handle_endtag(self, tag):
        self._in = None

    def handle_data(self, data):
        if self._in == "script":
            self.script_bodies[-1] += data
        elif self._in == "title":
            self.title += data


def _client(context_path: str) -> TestClient:
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=OPENAPI_PATH)
    install_docs(app, context_path, OPENAPI_PATH)
    return TestClient(app)


def _page(client: TestClient) -> tuple[_Page, str]:
    r = client.get("/rest/docs")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    page = _Page()
    page.feed(r.text)
    page.close()
    return page, r.text


@pytest.fixture
def client() -> TestClient:
    return _client("")


def test_the_page_has_no_inline_script_or_style(client):
    page, text = _page(client)
    assert page.title == "cairn - REST API"
    assert len(page.scripts) == 2
    assert all(s.get("src") for s in page.scripts)  # every script is loaded from a file...
    assert all(body.strip() == "" for body in page.script_bodies)  # ...and has no body
    assert page.styles == 0 and page.style_attrs == 0 and page.event_attrs == []
    assert "javascript:" not in text.lower()


def test_the_page_references_only_same_origin_paths(client):
    page, _ = _page(client)
    assert page.urls
    for url in page.urls:
        assert url.startswith("/") and not url.startswith("//"), url  # no scheme, no other host
    assert [s["src"] for s in page.scripts] == ["/rest/docs/assets/swagger-ui-bundle.js", "/rest/docs/init.js"]
    assert "/rest/docs/assets/swagger-ui.css" in page.urls


@pytest.mark.parametrize(("path", "types"), [
    ("/rest/docs/assets/swagger-ui.css", ("text/css",)),
    ("/rest/docs/assets/swagger-ui-bundle.js", ("text/javascript", "application/javascript")),
])
def test_the_assets_are_served(client, path, types):
    r = client.get(path)
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] in types
    assert len(r.content) > 10_000


def test_every_reference_of_the_page_answers(client):
    page, _ = _page(client)
    for url in page.urls:
        if url != OPENAPI_PATH:  # the document itself is the app's, not install_docs'
            assert client.get(url).status_code == 200, url


def test_the_bundle_is_swagger_ui_5(client):
    # Swagger UI 4 cannot render OpenAPI 3.1, which FastAPI writes.
    bundle = client.get("/rest/docs/assets/swagger-ui-bundle.js").text
    assert re.search(r'PACKAGE_VERSION:"5\.\d+\.\d+"', bundle)


def test_the_init_script_starts_swagger_ui_on_the_document(client):
    r = client.get("/rest/docs/init.js")
    assert r.status_code == 200
    assert r.headers["content-type"].split(";")[0] == "application/javascript"
    assert "SwaggerUIBundle(" in r.text
    assert 'url: "/rest/openapi.json"' in r.text
    assert '"#swagger-ui"' in r.text
    assert "validatorUrl: null" in r.text  # no badge from validator.swagger.io


def test_the_page_is_not_in_the_openapi_document(client):
    paths = client.get(OPENAPI_PATH).json().get("paths", {})
    assert not [p for p in paths if p.startswith("/rest/docs")]


def test_references_carry_the_context_path():
    client = _client("/bitbucket")
    page, _ = _page(client)
    for url in page.urls:
        assert url.startswith("/bitbucket/"), url
    assert [s["src"] for s in page.scripts] == [
        "/bitbucket/rest/docs/assets/swagger-ui-bundle.js", "/bitbucket/rest/docs/init.js"]
    assert "/bitbucket/rest/docs/assets/swagger-ui.css" in page.urls
    # The app answers at the root too (a proxy in front strips the context path).
    assert client.get("/rest/docs/assets/swagger-ui.css").status_code == 200
    assert 'url: "/bitbucket/rest/openapi.json"' in client.get("/rest/docs/init.js").text


def test_the_document_url_is_json_escaped_into_the_script():
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    install_docs(app, '/a"b\\c\u2028', "/rest/openapi.json")
    body = TestClient(app).get("/rest/docs/init.js").text
    assert 'url: "/a\\"b\\\\c\\u2028/rest/openapi.json"' in body
    page = TestClient(app).get("/rest/docs").text
    assert '/a"b' not in page  # attribute values are HTML-escaped
