"""End to end in a real headless Chromium (Debian's package, driven by Playwright) against `cairn serve`.

Every flow a person follows, on both databases; a dialog opened by any page fails the run (the XSS check), and
each run leaves a screenshot of every main page at laptop and phone width under screenshots/.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

import httpx
import pytest

from tests.fixtures.server import ADMIN, _mark_server_output, server  # noqa: F401 - fixtures

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
if not Path(CHROMIUM).exists():
    if os.environ.get("CAIRN_REQUIRE_BROWSER") == "1":
        raise RuntimeError("CAIRN_REQUIRE_BROWSER=1 but Chromium is not installed (apt-get install chromium)")
    pytest.skip("Chromium is not installed (apt-get install chromium): the browser tests are skipped",
                allow_module_level=True)
sync_api = pytest.importorskip("playwright.sync_api")

SHOTS = Path(__file__).resolve().parents[2] / "screenshots"
SHA = "0123456789abcdef0123456789abcdef01234567"
REPO = "/projects/UI/repos/web"
EVIL = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
SIZES = {"laptop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}


def _seed(url: str) -> None:
    """A repository whose one commit has builds of every state, two reports, annotations, deployments."""
    J = {"auth": ADMIN}
    with httpx.Client(base_url=url, timeout=30, **J) as c:
        assert c.post("/rest/api/latest/projects", json={"key": "UI", "name": "Web UI"}).status_code == 201
        assert c.post("/rest/api/latest/projects/UI/repos", json={"name": "web"}).status_code == 201
        assert c.post("/rest/api/latest/projects/UI/repos", json={"name": "empty"}).status_code == 201
        api = f"/rest/api/latest{REPO}/commits/{SHA}"
        for state in ("SUCCESSFUL", "FAILED", "INPROGRESS", "CANCELLED", "UNKNOWN"):
            r = c.post(api + "/builds", json={"key": f"k-{state}", "state": state, "name": f"{state.title()} {EVIL}",
                                              "url": f"https://ci.example/{state}", "description": EVIL,
                                              "duration": 61_000, "parent": "ci" if state == "SUCCESSFUL" else None})
            assert r.status_code == 204, r.text
        assert c.post(f"/rest/build-status/1.0/commits/{SHA}", json={
            "state": "SUCCESSFUL", "key": "legacy", "url": "javascript:alert(3)", "name": EVIL}).status_code == 204
        reports = f"/rest/insights/latest{REPO}/commits/{SHA}/reports"
        now = int(time.time() * 1000)
        r = c.put(reports + "/lint", json={"title": "Lint " + EVIL, "result": "FAIL", "reporter": "eslint",
                                           "details": "first\nsecond " + EVIL, "link": "https://lint.example", "data": [
            {"title": "Safe", "type": "BOOLEAN", "value": True}, {"title": "Analysed", "type": "DATE", "value": now},
            {"title": "Took", "type": "DURATION", "value": 754_000},
            {"title": "Dashboard", "type": "LINK", "value": {"linktext": "open", "href": "https://lint.example/d"}},
            {"title": "Issues", "type": "NUMBER", "value": 14_300},
            {"title": "Coverage", "type": "PERCENTAGE", "value": 81.5}]})
        assert r.status_code == 200, r.text
        assert c.put(reports + "/sec", json={"title": "Security", "result": "PASS", "data": [
            {"title": "Note", "type": "TEXT", "value": EVIL}]}).status_code == 200
        severities = ("LOW", "MEDIUM", "HIGH")
        r = c.post(reports + "/lint/annotations", json={"annotations": [
            {"path": f"src/f{i % 4}.py", "line": i + 1, "message": f"issue {i} {EVIL}", "severity": severities[i % 3],
             "type": "BUG", "link": "https://lint.example/a"} for i in range(30)]})
        assert r.status_code == 204, r.text
        for n, env in ((1, "staging"), (2, "production")):
            r = c.post(api + "/deployments", json={
                "deploymentSequenceNumber": n, "key": "web", "displayName": f"web #{n} {EVIL}", "description": EVIL,
                "url": "javascript:alert(4)" if n == 1 else "https://ci.example/deploy",
                "state": "SUCCESSFUL", "environment": {"key": env, "displayName": env.title(), "type": env.upper()}})
            assert r.status_code == 200, r.text


@pytest.fixture(scope="module")
def site(server):  # noqa: F811
    _seed(server.url)
    return server.url


@pytest.fixture(scope="module")
def chromium():
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport=SIZES["laptop"])
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    yield page
    assert page.dialogs == [], "a page ran script it was given"
    context.close()


def _sign_in(page, url: str) -> None:
    page.goto(url + "/login")
    page.fill("#username", ADMIN[0])
    page.fill("#password", ADMIN[1])
    page.click("form.stack button[type=submit]")
    page.wait_for_url(url + "/")


def test_a_person_reads_a_commits_results(page, site, server):  # noqa: F811
    _sign_in(page, site)
    page.click("a[href$='/repos/web/browse']")
    page.wait_for_url(f"{site}{REPO}/browse")
    page.click(f"a.sha >> text={SHA[:11]}")
    for word in ("Successful", "Failed", "In progress", "Cancelled", "Unknown", "legacy status"):
        assert page.locator("#builds").get_by_text(word).first.is_visible(), word
    fields = page.locator(".fields").first.inner_text()
    for shown in ("Yes", "just now", "12 min 34 s", "open", "14.3k", "81.5%"):
        assert shown in fields, shown
    assert page.locator("#deployments").get_by_text("Production").first.is_visible()
    # Filtering annotations happens in place: the page is not loaded again (the marker survives).
    page.evaluate("window.__stillHere = true")
    assert page.locator("[data-annotation-count]").inner_text() == "30"
    page.locator("input[name=severity][value=HIGH]").check()
    assert page.locator("[data-annotation-count]").inner_text() == "10"
    assert page.locator("li[data-severity=LOW]").first.is_hidden()
    assert page.evaluate("window.__stillHere") is True
    assert "severity=HIGH" in page.url
    page.click("text=Environments")
    assert page.locator(".env").count() == 2


def test_a_person_sets_a_merge_rule_and_asks_for_verdicts(page, site, server):  # noqa: F811
    _sign_in(page, site)
    page.goto(f"{site}{REPO}/settings/required-builds")
    page.fill("#keys-new", "ci")
    page.select_option("#refMatcherType-new", "BRANCH")
    page.fill("#refMatcherId-new", "main")
    page.select_option("#exemptRefMatcherType-new", "MODEL_CATEGORY")
    page.select_option("#exemptRefMatcherCategory-new", "HOTFIX")
    page.click("text=Add condition")
    page.wait_for_url(f"{site}{REPO}/settings/required-builds")
    with httpx.Client(base_url=site, auth=ADMIN) as c:
        [condition] = c.get(f"/rest/required-builds/latest{REPO}/conditions").json()["values"]
        assert condition["refMatcher"]["id"] == "refs/heads/main" and condition["exemptRefMatcher"]["id"] == "HOTFIX"
        c.post(f"/rest/required-builds/latest{REPO}/condition", json={
            "buildParentKeys": ["lint"], "refMatcher": {"id": "main", "type": {"id": "BRANCH"}}})
    page.goto(f"{site}{REPO}/merge-check")
    page.fill("#sourceRef", "feature/x")
    page.fill("#targetRef", "main")
    page.fill("#commitId", SHA)
    page.click("form.stack button[type=submit]")
    assert "The merge is blocked" in page.locator(".verdict").inner_text()
    page.fill("#sourceRef", "hotfix/urgent")
    page.click("form.stack button[type=submit]")  # the ci condition is exempt for hotfixes; lint still has no build
    assert "'lint' has no build status" in page.locator(".verdict").inner_text()
    with httpx.Client(base_url=site, auth=ADMIN) as c:
        c.post(f"/rest/api/latest{REPO}/commits/{SHA}/builds", json={"key": "lint", "state": "SUCCESSFUL",
                                                                    "url": "https://ci.example/lint"})
    page.click("form.stack button[type=submit]")
    assert "The merge may proceed" in page.locator(".verdict").inner_text()


def test_a_person_makes_uses_and_revokes_a_token_then_signs_out(page, site, server):  # noqa: F811
    _sign_in(page, site)
    page.goto(site + "/account/tokens")
    page.fill("#token-name", "jenkins")
    page.select_option("#token-permission", "REPO_READ")
    page.click("text=Create token")
    secret = page.locator("#new-token").input_value()
    stats = f"/rest/api/latest{REPO}/commits/{SHA}/builds"
    assert httpx.get(site + stats, headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    page.goto(site + "/account/tokens")
    assert secret not in page.content()
    page.click("button:has-text('Revoke')")
    page.wait_for_url(site + "/account/tokens")
    time.sleep(1.1)  # CAIRN_AUTH_CACHE_SECONDS of the test server
    assert httpx.get(site + stats, headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    # A form post without the page's CSRF token is refused, even with the session cookie.
    refused = page.request.post(site + "/account/tokens", form={"name": "x", "permission": "REPO_READ"})
    assert refused.status == 403
    page.click("text=Sign out")
    page.wait_for_url(site + "/")
    assert page.locator("text=Sign in").first.is_visible()


def test_screenshots_of_every_main_page(chromium, site, server):  # noqa: F811
    SHOTS.mkdir(exist_ok=True)
    pages = {"home": "/", "project": "/projects/UI", "repository": f"{REPO}/browse",
             "empty-repository": "/projects/UI/repos/empty/browse",
             "commit": f"{REPO}/commits/{SHA}", "environments": f"{REPO}/environments",
             "required-builds": f"{REPO}/settings/required-builds",
             "merge-check": f"{REPO}/merge-check?sourceRef=feature/x&targetRef=main&commitId={SHA}",
             "tokens": "/account/tokens", "not-found": "/projects/NOPE", "api-docs": "/rest/docs"}
    for size, viewport in SIZES.items():
        context = chromium.new_context(viewport=viewport)
        page = context.new_page()
        dialogs, sideways = [], []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        _sign_in(page, site)
        for name, path in pages.items():
            page.goto(site + path)
            page.wait_for_load_state("networkidle")
            page.screenshot(path=str(SHOTS / f"{server.backend}-{name}-{size}.png"), full_page=True)
            if page.evaluate("document.documentElement.scrollWidth > window.innerWidth"):
                sideways.append(name)
        context.close()
        assert dialogs == [] and sideways == [], (size, sideways)  # no page scrolls sideways, a phone's included


def test_a_commits_and_a_repositorys_page_update_themselves_when_results_arrive(page, site, server):  # noqa: F811
    _sign_in(page, site)
    page.goto(f"{site}{REPO}/commits/{SHA}")
    page.evaluate("window.__stillHere = true")
    page.wait_for_selector("[data-live-status][data-state=live]")
    with httpx.Client(base_url=site, auth=ADMIN) as c:
        r = c.post(f"/rest/api/latest{REPO}/commits/{SHA}/builds", json={
            "key": "live", "state": "INPROGRESS", "name": "Arrived while watching", "url": "https://ci.example/l"})
        assert r.status_code == 204
    page.locator("#builds").get_by_text("Arrived while watching").wait_for(timeout=10_000)
    assert page.evaluate("window.__stillHere") is True  # in place: the page was not loaded again
    page.screenshot(path=str(SHOTS / "commit-live-update.png"))

    page.goto(f"{site}{REPO}/browse")
    page.evaluate("window.__stillHere = true")
    page.wait_for_selector("[data-live-status][data-state=live]")
    newer = "fedcba9876543210fedcba9876543210fedcba98"
    with httpx.Client(base_url=site, auth=ADMIN) as c:
        assert c.post(f"/rest/api/latest{REPO}/commits/{newer}/builds", json={
            "key": "ci", "state": "FAILED", "url": "https://ci.example/n"}).status_code == 204
    page.locator(f"a.sha >> text={newer[:11]}").wait_for(timeout=10_000)
    assert page.evaluate("window.__stillHere") is True
