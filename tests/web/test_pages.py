"""What each page shows, read from the data the handler rendered (response.context), on both databases."""

from __future__ import annotations

import html
import time

from sqlalchemy import text

from tests.fixtures.api import SHA, SHA2

REPO = "/projects/PRJ/repos/repo"
API = "/rest/api/latest/projects/PRJ/repos/repo"
INSIGHTS = f"/rest/insights/latest/projects/PRJ/repos/repo/commits/{SHA}/reports"


def _sha(n: int) -> str:
    return f"{n:040x}"


def _build(repo, sha: str, key: str, state: str, **extra):
    r = repo.post(f"{API}/commits/{sha}/builds", json={"key": key, "state": state, "url": f"https://ci.example/{key}",
                                                       **extra})
    assert r.status_code == 204, r.text


def _deploy(repo, sha: str, number: int, env: str = "prod", state: str = "SUCCESSFUL"):
    r = repo.post(f"{API}/commits/{sha}/deployments", json={
        "deploymentSequenceNumber": number, "key": "web", "displayName": f"web #{number}", "description": "d",
        "url": f"https://ci.example/deploy/{number}", "state": state,
        "environment": {"key": env, "displayName": env.title(), "type": "PRODUCTION"}})
    assert r.status_code == 200, r.text


def test_a_commit_page_shows_both_kinds_of_status_with_every_detail(repo, admin_browser):
    _build(repo, SHA, "unit", "FAILED", name="Unit tests", parent="PLAN", buildNumber="7", duration=125_000,
           description="line one\nline two", testResults={"successful": 10, "failed": 2, "skipped": 1})
    _build(repo, SHA, "lint", "INPROGRESS")
    assert repo.post(f"/rest/build-status/1.0/commits/{SHA}", json={
        "state": "SUCCESSFUL", "key": "old-plugin", "url": "https://ci.example/legacy"}).status_code == 204
    r = admin_browser.get(f"{REPO}/commits/{SHA}")
    assert r.status_code == 200
    assert [b["key"] for b in r.context["builds"]] == ["lint", "unit"]
    assert [b["key"] for b in r.context["legacy_builds"]] == ["old-plugin"]
    assert "legacy status" in r.text and "repository status" in r.text
    assert "2 min 5 s" in r.text and "line one\nline two" in r.text and "Unit tests" in r.text
    assert 'href="https://ci.example/unit"' in r.text


def test_report_data_fields_are_shown_as_the_module_page_prescribes(repo, admin_browser):
    recent, old = int(time.time() * 1000) - 3_600_000, 1_600_000_000_000
    r = repo.put(f"{INSIGHTS}/lint", json={"title": "Lint", "result": "FAIL", "details": "one\ntwo", "data": [
        {"title": "Safe", "type": "BOOLEAN", "value": False},
        {"title": "Recent", "type": "DATE", "value": recent},
        {"title": "Old", "type": "DATE", "value": old},
        {"title": "Took", "type": "DURATION", "value": 754_000},
        {"title": "Dashboard", "type": "LINK", "value": {"linktext": "open", "href": "https://x.example/d"}},
        {"title": "Issues", "type": "NUMBER", "value": 14_300}]})
    assert r.status_code == 200, r.text
    assert repo.put(f"{INSIGHTS}/cov", json={"title": "Coverage", "data": [
        {"title": "Covered", "type": "PERCENTAGE", "value": 81.5}, {"title": "Note", "type": "TEXT", "value": "as is"},
        {"title": "Guessed", "value": True}]}).status_code == 200
    page = admin_browser.get(f"{REPO}/commits/{SHA}")
    fields = {f["title"]: f for report in page.context["reports"] for f in report["fields"]}
    assert fields["Safe"]["text"] == "No" and fields["Guessed"]["text"] == "Yes"
    assert fields["Recent"]["text"] == "1 hour ago" and fields["Recent"]["relative"]
    assert fields["Old"]["text"] == "2020-09-13 12:26 UTC" and not fields["Old"]["relative"]
    assert fields["Took"]["text"] == "12 min 34 s"
    assert (fields["Dashboard"]["text"], fields["Dashboard"]["href"]) == ("open", "https://x.example/d")
    assert fields["Issues"]["text"] == "14.3k" and fields["Covered"]["text"] == "81.5%"
    assert fields["Note"]["text"] == "as is"
    assert '<a href="https://x.example/d" rel="noopener noreferrer nofollow">open</a>' in page.text
    assert 'title="2020-09-13 12:26 UTC"' in page.text  # the exact time on hover (relocalised by the script)


def test_a_thousand_annotations_are_grouped_by_file_and_ordered_by_line(repo, admin_browser):
    assert repo.put(f"{INSIGHTS}/lint", json={"title": "Lint"}).status_code == 200
    severities = ("LOW", "MEDIUM", "HIGH")
    annotations = [{"path": f"src/f{i % 10}.py", "line": 1000 - i, "message": f"m{i}", "severity": severities[i % 3],
                    "type": "BUG"} for i in range(1000)]
    assert repo.post(f"{INSIGHTS}/lint/annotations", json={"annotations": annotations}).status_code == 204
    page = admin_browser.get(f"{REPO}/commits/{SHA}")
    assert page.status_code == 200, page.text[-2000:]
    [group] = page.context["annotations"]
    assert page.context["annotation_count"] == 1000 and group["count"] == 1000
    assert [f["path"] for f in group["files"]] == [f"src/f{i}.py" for i in range(10)]
    lines = [a["line"] for a in group["files"][0]["annotations"]]
    assert lines == sorted(lines) and len(lines) == 100
    high = admin_browser.get(f"{REPO}/commits/{SHA}?severity=HIGH")  # the same filter without the script
    assert high.context["annotation_count"] == 333
    assert high.text.count('data-severity="HIGH"') == 333 and 'data-severity="LOW"' not in high.text


def test_the_repository_page_lists_commits_by_newest_activity_with_their_state(repo, admin_browser):
    _build(repo, _sha(1), "ci", "SUCCESSFUL")
    _build(repo, _sha(2), "ci", "FAILED")
    assert repo.put(f"/rest/insights/latest/projects/PRJ/repos/repo/commits/{_sha(3)}/reports/r",
                    json={"title": "Only a report", "result": "PASS"}).status_code == 200
    _deploy(repo, _sha(1), 1)  # the oldest commit is the newest activity again
    _build(repo, _sha(4), "ci", "INPROGRESS")
    page = admin_browser.get(f"{REPO}/browse")
    rows = page.context["commits"]
    assert [(c["commit"], c["state"]) for c in rows] == [
        (_sha(4), "INPROGRESS"), (_sha(1), "SUCCESSFUL"), (_sha(3), "NONE"), (_sha(2), "FAILED")]
    assert rows[1]["environments"] == [("prod", "Prod", "PRODUCTION", "SUCCESSFUL")]
    assert rows[2]["reports"] == [("r", "Only a report", "PASS")]
    assert rows[3]["counts"]["FAILED"] == 1
    assert [c["commit"] for c in admin_browser.get(f"{REPO}/browse?state=FAILED").context["commits"]] == [_sha(2)]
    assert [c["commit"] for c in admin_browser.get(f"{REPO}/browse?state=none").context["commits"]] == [_sha(3)]
    assert admin_browser.get(f"{REPO}/browse?state=GREEN").status_code == 400
    assert admin_browser.get(f"{REPO}/browse?before=junk").status_code == 400


def _execute(repo, sql: str) -> None:
    async def run():
        async with repo.client.app.state.engine.begin() as conn:
            await conn.execute(text(sql))
    repo.client.portal.call(run)


def _query(repo, sql: str) -> list[tuple]:
    async def run():
        async with repo.client.app.state.engine.connect() as conn:
            return [tuple(row) for row in await conn.execute(text(sql))]
    return repo.client.portal.call(run)


def test_the_repository_page_pages_through_every_commit_once(repo, admin_browser):
    for n in range(60):
        _build(repo, _sha(n), "ci", "FAILED" if n % 3 == 0 else "SUCCESSFUL")
    _execute(repo, "UPDATE build_statuses SET updated_date = 1000")  # all at one time: ties are broken by commit
    seen, before = [], ""
    while True:
        page = admin_browser.get(f"{REPO}/browse" + (f"?before={before}" if before else ""))
        seen += [c["commit"] for c in page.context["commits"]]
        before = page.context["next"]
        if not before:
            break
    assert seen == sorted((_sha(n) for n in range(60)), reverse=True)
    failed = admin_browser.get(f"{REPO}/browse?state=FAILED").context["commits"]
    assert len(failed) == 20 and all(c["state"] == "FAILED" for c in failed)


def test_paging_matches_each_commits_newest_activity_when_the_walk_reads_few_rows_at_a_time(repo, admin_browser,
                                                                                              monkeypatch):
    from cairn.activity import store
    monkeypatch.setattr(store, "CHUNK", 3)  # every page then takes many walk steps across the three sources
    for n in range(40):
        for key in ("a", "b", "c")[:n % 3 + 1]:
            _build(repo, _sha(n), key, "SUCCESSFUL")
        if n % 4 == 0:
            assert repo.put(f"/rest/insights/latest/projects/PRJ/repos/repo/commits/{_sha(n)}/reports/r",
                            json={"title": "R"}).status_code == 200
        if n % 5 == 0:
            _deploy(repo, _sha(n), n)
    # Scrambled times with ties, within and across sources.
    _execute(repo, "UPDATE build_statuses SET updated_date = (id * 7) % 23")
    _execute(repo, "UPDATE insight_reports SET created_date = (id * 5) % 29")
    _execute(repo, "UPDATE deployments SET last_updated = (id * 3) % 31")
    newest: dict[str, int] = {}
    for table, column in (("build_statuses", "updated_date"), ("insight_reports", "created_date"),
                          ("deployments", "last_updated")):
        for commit, at in _query(repo, f"SELECT commit_id, MAX({column}) FROM {table} GROUP BY commit_id"):
            newest[commit] = max(at, newest.get(commit, at))
    expected = sorted(((at, commit) for commit, at in newest.items()), reverse=True)
    seen, before = [], ""
    while True:
        page = admin_browser.get(f"{REPO}/browse" + (f"?before={before}" if before else ""))
        seen += [(c["at"], c["commit"]) for c in page.context["commits"]]
        before = page.context["next"]
        if not before:
            break
    assert seen == expected


def test_the_environments_page_shows_latest_latest_successful_and_history(repo, admin_browser):
    _deploy(repo, SHA, 1)
    _deploy(repo, SHA2, 2, state="FAILED")
    envs = admin_browser.get(f"{REPO}/environments").context["environments"]["values"]
    [prod] = envs
    assert prod["latest"]["toCommit"]["id"] == SHA2 and prod["latest"]["state"] == "FAILED"
    assert prod["latestSuccessful"]["toCommit"]["id"] == SHA
    assert [d["deploymentSequenceNumber"] for d in prod["history"]] == [2, 1]


def test_user_text_and_links_render_harmlessly(repo, admin_browser):
    evil = '"><script>alert(1)</script><img src=x onerror=alert(2)>'
    _build(repo, SHA, "x", "FAILED", name=evil, description=evil)
    assert repo.post(f"/rest/build-status/1.0/commits/{SHA}", json={
        "state": "FAILED", "key": "legacy", "url": "javascript:alert(3)", "name": evil}).status_code == 204
    assert repo.put(f"{INSIGHTS}/r", json={"title": evil, "details": evil, "reporter": evil, "data": [
        {"title": evil, "type": "TEXT", "value": evil}]}).status_code == 200
    page = admin_browser.get(f"{REPO}/commits/{SHA}").text
    assert "<script>alert" not in page and "<img src=x" not in page
    assert html.escape(evil, quote=True) in page or "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert 'href="javascript:' not in page.lower()
    assert "javascript:alert(3)" in page  # shown as text, so a person sees where it would have gone


def test_required_builds_are_read_only_for_readers(repo, browser):
    user = repo.user("reader")
    repo.grant_repo("reader", "REPO_READ")
    browser.sign_in(*user)
    page = browser.get(f"{REPO}/settings/required-builds")
    assert page.status_code == 200 and not page.context["may_edit"] and "Add a condition" not in page.text
    r = browser.post(f"{REPO}/settings/required-builds", {"buildParentKeys": "ci", "refMatcherType": "ANY_REF"})
    assert r.status_code == 403
    assert repo.get("/rest/required-builds/latest/projects/PRJ/repos/repo/conditions").json()["size"] == 0


def test_an_administrator_creates_edits_and_deletes_a_condition_through_the_form(repo, admin_browser):
    conditions = "/rest/required-builds/latest/projects/PRJ/repos/repo/conditions"
    r = admin_browser.post(f"{REPO}/settings/required-builds", {
        "buildParentKeys": "ci\nlint", "refMatcherType": "BRANCH", "refMatcherId": "main",
        "exemptRefMatcherType": "MODEL_CATEGORY", "exemptRefMatcherCategory": "HOTFIX",
        "requiredForPullRequest": "on", "requiredForMergeQueue": "on"})
    assert r.status_code == 303
    [stored] = repo.get(conditions).json()["values"]
    assert stored["buildParentKeys"] == ["ci", "lint"] and stored["refMatcher"]["id"] == "refs/heads/main"
    assert stored["exemptRefMatcher"]["id"] == "HOTFIX"
    r = admin_browser.post(f"{REPO}/settings/required-builds/{stored['id']}", {
        "buildParentKeys": "ci", "refMatcherType": "PATTERN", "refMatcherId": "release/*"})
    assert r.status_code == 303
    [edited] = repo.get(conditions).json()["values"]
    assert edited["refMatcher"]["id"] == "release/*" and "exemptRefMatcher" not in edited
    assert admin_browser.post(f"{REPO}/settings/required-builds/{stored['id']}/delete").status_code == 303
    assert repo.get(conditions).json()["size"] == 0


def test_a_bad_condition_gets_the_apis_message_and_stores_nothing(repo, admin_browser):
    form = {"buildParentKeys": "ci", "refMatcherType": "MODEL_BRANCH", "refMatcherModelBranch": "staging"}
    page = admin_browser.post(f"{REPO}/settings/required-builds", form)
    api = repo.post("/rest/required-builds/latest/projects/PRJ/repos/repo/condition", json={
        "buildParentKeys": ["ci"], "refMatcher": {"id": "staging", "type": {"id": "MODEL_BRANCH"}}})
    assert page.status_code == api.status_code == 400
    assert page.context["errors"][0]["message"] == api.json()["errors"][0]["message"]
    empty = admin_browser.post(f"{REPO}/settings/required-builds", {"buildParentKeys": "", "refMatcherType": "ANY_REF"})
    assert empty.status_code == 400 and empty.context["errors"][0]["context"] == "buildParentKeys"
    assert repo.get("/rest/required-builds/latest/projects/PRJ/repos/repo/conditions").json()["size"] == 0


def test_the_merge_check_page_shows_what_blocks_and_what_passes(repo, admin_browser):
    assert repo.post("/rest/required-builds/latest/projects/PRJ/repos/repo/condition", json={
        "buildParentKeys": ["ci", "lint"], "refMatcher": {"id": "main", "type": {"id": "BRANCH"}}}).status_code == 200
    _build(repo, SHA, "ci", "SUCCESSFUL")
    _build(repo, SHA, "lint", "FAILED")
    blocked = admin_browser.get(f"{REPO}/merge-check?sourceRef=feature/x&targetRef=main&commitId={SHA}")
    verdict = blocked.context["verdict"]
    assert not verdict["canMerge"]
    assert verdict["conditions"][0]["met"] == ["ci"] and verdict["conditions"][0]["unmet"] == [
        {"key": "lint", "state": "FAILED"}]
    _build(repo, SHA, "lint", "SUCCESSFUL")
    assert admin_browser.get(f"{REPO}/merge-check?targetRef=main&commitId={SHA}").context["verdict"]["canMerge"]
    bad = admin_browser.get(f"{REPO}/merge-check?targetRef=main&commitId=nope")
    assert bad.status_code == 400 and "not a valid commit hash" in bad.context["error"]


def test_tokens_are_created_shown_once_used_and_revoked(repo, admin_browser):
    r = admin_browser.post("/account/tokens", {"name": "jenkins", "permission": "REPO_READ", "expiryDays": "30"})
    secret = r.context["created"]["secret"]
    assert r.status_code == 200 and secret in r.text
    listed = admin_browser.get("/account/tokens")
    assert secret not in listed.text
    [token] = listed.context["tokens"]["values"]
    assert token["name"] == "jenkins" and token["permissions"] == ["REPO_READ"] and token["expires"]
    bearer = {"Authorization": f"Bearer {secret}"}
    assert repo.as_user(None).get(f"{API}/commits/{SHA}/builds", headers=bearer).status_code == 200
    assert admin_browser.post(f"/account/tokens/{token['id']}/revoke").status_code == 303
    repo.client.app.state.authenticator.forget()  # as another process sees it after CAIRN_AUTH_CACHE_SECONDS
    assert repo.as_user(None).get(f"{API}/commits/{SHA}/builds", headers=bearer).status_code == 401
    bad = admin_browser.post("/account/tokens", {"name": "", "permission": "SYS_ADMIN", "expiryDays": "-1"})
    assert bad.status_code == 400 and len(bad.context["errors"]) == 3


def test_tokens_need_a_signed_in_visitor(repo, browser):
    r = browser.get("/account/tokens")
    assert r.status_code == 303 and "/login?next=" in r.headers["location"]
