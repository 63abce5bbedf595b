"""Signing in and out, CSRF, and what each visitor may see: no page, search result or count leaks a private
repository."""

from __future__ import annotations

import pytest

from cairn.web import CSP
from tests.fixtures.api import SHA
from tests.web.conftest import CONTEXT, Browser

REPO_PAGES = ["/browse", f"/commits/{SHA}", "/environments", "/settings/required-builds", "/merge-check"]


def _names(r) -> list[str]:
    return [f"{x.project.key}/{x.slug}" for x in r.context["repositories"]["values"]]


def test_sign_in_sets_a_safe_cookie_and_sign_out_ends_the_session(repo, browser):
    browser.get("/login")
    r = browser.post("/login", {"username": "admin", "password": "admin-password", "next": "/projects/PRJ"})
    assert r.status_code == 303 and r.headers["location"] == "/projects/PRJ"
    cookie = [h for h in r.headers.get_list("set-cookie") if h.startswith("cairn_session=")][0].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie  # http base URL
    stolen = dict(browser.jar)
    assert browser.get("/").context["visitor"].name == "admin"
    assert browser.post("/logout").status_code == 303
    assert browser.get("/").context["visitor"].anonymous
    thief = Browser(repo)
    thief.jar = stolen  # the cookie from before signing out no longer signs anyone in
    assert thief.get("/").context["visitor"].anonymous


@pytest.mark.parametrize("username, password", [("admin", "wrong"), ("nobody", "admin-password")])
def test_a_failed_sign_in_does_not_say_which_part_was_wrong(repo, browser, username, password):
    browser.get("/login")
    r = browser.post("/login", {"username": username, "password": password})
    assert r.status_code == 401
    assert r.context["failed"] and "The username or password is incorrect." in r.text
    assert "cairn_session" not in browser.jar


def test_a_token_is_not_a_password_for_the_page(repo, browser):
    secret = repo.token(("admin", "admin-password"), ["REPO_READ"])["token"]
    browser.get("/login")
    assert browser.post("/login", {"username": "admin", "password": secret}).status_code == 401


def test_next_never_leads_to_another_site(repo, browser):
    browser.get("/login")
    r = browser.post("/login", {"username": "admin", "password": "admin-password", "next": "//evil.example/x"})
    assert r.headers["location"] == CONTEXT + "/"


@pytest.mark.parametrize("csrf", [None, "wrong-token-wrong-token-wrong-token-wrong-t"])
def test_a_form_without_the_csrf_token_is_refused(repo, browser, csrf):
    browser.get("/login")
    data = {"username": "admin", "password": "admin-password"}
    if csrf:
        data["csrf"] = csrf
    r = browser.post("/login", data, csrf=False)
    assert r.status_code == 403 and "cairn_session" not in browser.jar
    browser.sign_in("admin", "admin-password")
    r = browser.post("/account/tokens", {"name": "x", "permission": "REPO_READ", **({"csrf": csrf} if csrf else {})},
                     csrf=False)
    assert r.status_code == 403
    assert repo.get("/rest/access-tokens/latest/users/admin").json()["size"] == 0


def test_a_cross_site_form_post_is_refused_even_with_the_token(admin_browser):
    r = admin_browser.post("/account/tokens", {"name": "x", "permission": "REPO_READ"},
                           headers={"Sec-Fetch-Site": "cross-site"})
    assert r.status_code == 403


def test_anonymous_visitors_see_public_repositories_only(repo, browser):
    repo.project("PUB", public=True)
    repo.repo("PUB", "open")
    r = browser.get("/")
    assert _names(r) == ["PUB/open"]
    browser.get("/projects/PRJ/repos/repo/browse")
    for page in REPO_PAGES:
        r = browser.get("/projects/PRJ/repos/repo" + page)
        assert r.status_code == 303 and r.headers["location"].startswith(CONTEXT + "/login?next="), page
        missing = browser.get("/projects/PRJ/repos/nothing" + page)
        assert (missing.status_code, missing.headers["location"].split("next=")[0]) == (
            r.status_code, r.headers["location"].split("next=")[0])
    assert browser.get("/projects/PUB/repos/open/browse").status_code == 200


def test_an_empty_front_page_asks_anonymous_visitors_to_sign_in(repo, browser):
    r = browser.get("/")
    assert r.status_code == 200 and _names(r) == []
    assert "Sign in</a> to see your repositories" in r.text


def test_a_user_without_access_sees_the_private_repository_as_missing(repo, browser):
    repo.repo("PRJ", "other")
    user = repo.user("stranger")
    repo.grant_repo("stranger", "REPO_READ", slug="other")
    browser.sign_in(*user)
    assert _names(browser.get("/")) == ["PRJ/other"]
    assert _names(browser.get("/?q=repo")) == []
    assert [r.slug for r in browser.get("/projects/PRJ").context["repositories"]["values"]] == ["other"]
    for page in REPO_PAGES:
        hidden = browser.get("/projects/PRJ/repos/repo" + page)
        missing = browser.get("/projects/PRJ/repos/nothing" + page)
        assert hidden.status_code == missing.status_code == 404, page
        assert hidden.text.replace("repo ", "X ").count("does not exist") == 1
    assert browser.get("/projects/NOPE").status_code == 404


def test_a_group_grant_shows_its_repository_to_members_and_not_after_they_leave(repo, browser):
    repo.repo("PRJ", "other")
    member = repo.user("member")
    assert repo.post("/rest/api/latest/admin/groups", params={"name": "readers"}).status_code == 200
    assert repo.post("/rest/api/latest/admin/groups/add-user",
                     json={"context": "readers", "itemName": "member"}).status_code == 200
    assert repo.put("/rest/api/latest/projects/PRJ/repos/other/permissions/groups",
                    params={"name": "readers", "permission": "REPO_READ"}).status_code == 204
    browser.sign_in(*member)
    assert _names(browser.get("/")) == ["PRJ/other"]
    assert browser.get("/projects/PRJ/repos/other/browse").status_code == 200
    assert browser.get("/projects/PRJ/repos/repo/browse").status_code == 404
    assert repo.post("/rest/api/latest/admin/groups/remove-user",
                     json={"context": "readers", "itemName": "member"}).status_code == 200
    assert _names(browser.get("/")) == []
    assert browser.get("/projects/PRJ/repos/other/browse").status_code == 404


def test_search_finds_by_name_or_project_key_and_pages(repo, browser):
    for n in range(30):
        repo.repo("PRJ", f"svc-{n:02d}")
    browser.sign_in("admin", "admin-password")
    assert _names(browser.get("/?q=SVC-0"))[:2] == ["PRJ/svc-00", "PRJ/svc-01"]
    first = browser.get("/?q=prj").context["repositories"]
    assert first["size"] == 25 and not first["isLastPage"]
    second = browser.get(f"/?q=prj&start={first['nextPageStart']}").context["repositories"]
    assert second["isLastPage"] and second["size"] == 6  # 30 services and `repo`
    assert _names(browser.get("/?q=100%25")) == []  # % is a character to find, not a wildcard


def test_pages_carry_a_strict_policy_and_the_api_does_not(admin_browser, repo):
    r = admin_browser.get("/")
    assert r.headers["content-security-policy"] == CSP and "'unsafe-inline'" not in CSP
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin" and "frame-ancestors 'none'" in CSP
    assert r.headers["cache-control"] == "no-store"
    assert "content-security-policy" not in repo.get("/rest/api/latest/projects").headers


def test_unknown_pages_are_pages_and_unknown_api_paths_stay_json(repo, browser):
    r = browser.get("/no/such/page")
    assert r.status_code == 404 and r.headers["content-type"].startswith("text/html")
    api = repo.get("/rest/api/latest/no-such-thing")
    assert api.status_code == 404 and api.headers["content-type"] == "application/json;charset=UTF-8"


def test_the_pages_answer_under_the_context_path_too(admin_browser):
    assert admin_browser.get(CONTEXT + "/projects/PRJ/repos/repo/browse").status_code == 200
