"""Code Insights through a real `cairn serve` process, driven by two unmodified client libraries.

What a CI job does on every run: delete the commit's report (204 also the first time), PUT it again,
POST its annotations, read them back. Once with atlassian-python-api (`atlassian.Bitbucket`, which
talks to /rest/insights/1.0 and sends `{"title": report_title, **report_params}`), once with the
`bitbucketserver` package (`BitbucketServer`, which probes application-properties first and decodes
the PUT's answer into a CodeInsightReport). Both sign in as `ci`, a plain user with REPO_READ on
PRJ/repo, as a CI service account would. The server runs once per database (tests/fixtures/server.py).
"""

from __future__ import annotations

import pytest
import requests
from atlassian import Bitbucket
from bitbucketserver import BitbucketServer
from bitbucketserver.connection import BitbucketServerException

from tests.fixtures.server import (  # noqa: F401 - fixtures
    AUTHORISATION, PROJECT, SLUG, Server, _mark_server_output, library_error, new_sha, now_ms, server,
    set_up_repository)
CI = ("ci", "ci-password")  # REPO_READ on PRJ/repo: creates the reports
OTHER = ("other", "other-password")  # REPO_READ too, but not the reports' creator


# --------------------------------------------------------------------------------------------
# Set-up: PRJ/repo and two REPO_READ users, through the API as an administrator would
# --------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def ci_setup(server: Server) -> Server:
    set_up_repository(server, *((name, password, name.title()) for name, password in (CI, OTHER)))
    return server


# --------------------------------------------------------------------------------------------
# What a lint job reports
# --------------------------------------------------------------------------------------------

REPORT_FIELDS = {
    "details": "flake8 found 4 problems in 3 files.\nSee the job log for the full output.",
    "result": "FAIL",
    "reporter": "flake8",
    "link": "https://ci.example.com/job/lint/42/",
    "logoUrl": "https://ci.example.com/static/flake8.png",
}
REPORT_DATA = [
    {"title": "Problems", "type": "NUMBER", "value": 4},
    {"title": "Coverage", "type": "PERCENTAGE", "value": 87.5},
    {"title": "Duration", "type": "DURATION", "value": 12345},
    {"title": "Safe to merge?", "type": "BOOLEAN", "value": False},
    {"title": "Build", "type": "LINK", "value": {"linktext": "#42", "href": "https://ci.example.com/job/lint/42/"}},
    {"title": "Tool", "value": "flake8 7.1.1"},
]

ANNOTATIONS = [
    {"externalId": "E501-app-12", "path": "src/app.py", "line": 12, "severity": "LOW", "type": "CODE_SMELL",
     "message": "E501 line too long (103 > 100 characters)", "link": "https://flake8.pycqa.org/en/latest/E501"},
    {"externalId": "F401-app-3", "path": "src/app.py", "line": 3, "severity": "MEDIUM", "type": "CODE_SMELL",
     "message": "F401 'os' imported but unused"},
    {"externalId": "B006-util-40", "path": "src/util.py", "line": 40, "severity": "HIGH", "type": "BUG",
     "message": "B006 Do not use mutable data structures for argument defaults"},
    # No externalId, no line (file level, stored as 0), no type, no link.
    {"path": "setup.cfg", "severity": "LOW", "message": "flake8 config in setup.cfg is deprecated"},
]


def expected_annotation(given: dict, report_key: str) -> dict:
    """The annotation as the server answers it: reportKey, message, severity, line always; the rest when set."""
    out = {"reportKey": report_key, "message": given["message"], "severity": given["severity"],
           "line": given.get("line", 0)}
    for name in ("path", "type", "link", "externalId"):
        if name in given:
            out[name] = given[name]
    return out


def expected_report(key: str, title: str, fields: dict, data: list) -> dict:
    return {"key": key, "title": title, **fields, "data": data}


def check_report(got: dict, key: str, title: str, fields: dict, data: list, created: int | None = None,
                 since: int | None = None) -> None:
    got = dict(got)
    created_date = got.pop("createdDate")
    assert isinstance(created_date, int) and not isinstance(created_date, bool), created_date
    if created is not None:
        assert created_date == created
    if since is not None:
        assert since - 5_000 <= created_date <= now_ms() + 5_000, (since, created_date)
    assert got == expected_report(key, title, fields, data)


# --------------------------------------------------------------------------------------------
# (a) atlassian-python-api
# --------------------------------------------------------------------------------------------

def atlassian_client(server: Server, auth: tuple[str, str] = CI) -> Bitbucket:
    return Bitbucket(url=server.url, username=auth[0], password=auth[1], timeout=30)


def atlassian_annotations(bb: Bitbucket, sha: str, key: str, version: str = "1.0") -> dict:
    """GET .../reports/{key}/annotations: the library has no helper for it; its URL helper and generic get."""
    url = bb._url_code_insights_annotations(PROJECT, SLUG, sha, key)
    assert url == f"rest/insights/1.0/projects/{PROJECT}/repos/{SLUG}/commits/{sha}/reports/{key}/annotations"
    body = bb.get(url.replace("/1.0/", f"/{version}/"))
    assert set(body) == {"totalCount", "annotations"}, body
    assert body["totalCount"] == len(body["annotations"])
    return body


def test_atlassian_ci_run(ci_setup):
    """delete report, put report, post annotations, read back; then the next run of the same job."""
    bb = atlassian_client(ci_setup)
    sha, key = new_sha(), "org.flake8.lint"

    for run in (1, 2):
        started = now_ms()
        # Delete first: 204 (the library's delete hands back None) also before the report exists.
        assert bb.delete_code_insights_report(PROJECT, SLUG, sha, key) is None
        library_error(lambda: bb.get_code_insights_report(PROJECT, SLUG, sha, key), 404)

        put = bb.create_code_insights_report(PROJECT, SLUG, sha, key, "flake8", data=REPORT_DATA,
                                             **REPORT_FIELDS)
        check_report(put, key, "flake8", REPORT_FIELDS, REPORT_DATA, since=started)

        # POST annotations: 204, so the library's post hands back None.
        assert bb.add_code_insights_annotations_to_report(PROJECT, SLUG, sha, key, ANNOTATIONS) is None

        # Read back: the report as PUT answered it, the annotations in the order they were posted.
        assert bb.get_code_insights_report(PROJECT, SLUG, sha, key) == put
        body = atlassian_annotations(bb, sha, key)
        assert body["totalCount"] == len(ANNOTATIONS), f"run {run}: {body}"
        assert body["annotations"] == [expected_annotation(a, key) for a in ANNOTATIONS]

    # The same data through `latest` and an upper-case commit id.
    assert atlassian_annotations(bb, sha.upper(), key, version="latest") == body
    assert bb.get(f"rest/insights/latest/projects/{PROJECT}/repos/{SLUG}/commits/{sha}/reports/{key}") == put


def test_atlassian_minimal_report_and_unknown_members(ci_setup):
    """Only a title (the library's minimum); extra keyword arguments a script passes are ignored."""
    bb = atlassian_client(ci_setup)
    sha, key = new_sha(), "com.example.minimal"
    started = now_ms()
    put = bb.create_code_insights_report(PROJECT, SLUG, sha, key, "Minimal")
    check_report(put, key, "Minimal", {}, [], since=started)
    # report_type / reportKey are not Bitbucket fields (scripts pass them anyway): ignored.
    again = bb.create_code_insights_report(PROJECT, SLUG, sha, key, "Minimal 2", report_type="SECURITY",
                                           reportKey="ignored", result="PASS")
    check_report(again, key, "Minimal 2", {"result": "PASS"}, [])
    assert bb.get_code_insights_report(PROJECT, SLUG, sha, key) == again
    # SonarQube sends createdDate as float seconds: stored as milliseconds.
    sonar = bb.create_code_insights_report(PROJECT, SLUG, sha, key, "Sonar", createdDate=1630041546.433)
    check_report(sonar, key, "Sonar", {}, [], created=1630041546433)
    # The reporter's annotations arrive with reportKey inside them (ignored) and no line.
    assert bb.add_code_insights_annotations_to_report(
        PROJECT, SLUG, sha, key, [{"reportKey": "other-key", "message": "m", "severity": "HIGH"}]) is None
    assert atlassian_annotations(bb, sha, key)["annotations"] == [
        {"reportKey": key, "message": "m", "severity": "HIGH", "line": 0}]


def test_atlassian_errors_a_ci_job_would_see(ci_setup):
    bb = atlassian_client(ci_setup)
    sha, key = new_sha(), "org.flake8.lint"

    # Annotations before the report: 404 naming the report.
    error = library_error(lambda: bb.add_code_insights_annotations_to_report(PROJECT, SLUG, sha, key,
                                                                             ANNOTATIONS), 404)
    assert error["exceptionName"] is None and error["context"] == "reportKey" and key in error["message"], error

    bb.create_code_insights_report(PROJECT, SLUG, sha, key, "flake8")
    # One bad annotation: 400 naming it, and none of the request is stored.
    bad = [*ANNOTATIONS[:2], {**ANNOTATIONS[2], "severity": "CRITICAL"}]
    error = library_error(lambda: bb.add_code_insights_annotations_to_report(PROJECT, SLUG, sha, key, bad), 400)
    assert error["context"] == "annotations.2.severity", error
    # An empty list: 400 on `annotations`.
    error = library_error(lambda: bb.add_code_insights_annotations_to_report(PROJECT, SLUG, sha, key, []), 400)
    assert error["context"] == "annotations", error
    assert atlassian_annotations(bb, sha, key)["totalCount"] == 0

    # externalId twice: 400 naming it, nothing stored; once is fine; again later is a 400 too.
    twice = [ANNOTATIONS[0], ANNOTATIONS[0]]
    error = library_error(lambda: bb.add_code_insights_annotations_to_report(PROJECT, SLUG, sha, key, twice), 400)
    assert error["context"] == "annotations.1.externalId" and ANNOTATIONS[0]["externalId"] in error["message"]
    assert bb.add_code_insights_annotations_to_report(PROJECT, SLUG, sha, key, ANNOTATIONS) is None
    error = library_error(lambda: bb.add_code_insights_annotations_to_report(
        PROJECT, SLUG, sha, key, [ANNOTATIONS[3], ANNOTATIONS[1]]), 400)
    assert error["context"] == "annotations.1.externalId", error
    assert atlassian_annotations(bb, sha, key)["totalCount"] == len(ANNOTATIONS)

    # A report without a title, a bad result, a short commit id: 400.
    library_error(lambda: bb.create_code_insights_report(PROJECT, SLUG, sha, key, ""), 400)
    library_error(lambda: bb.create_code_insights_report(PROJECT, SLUG, sha, key, "t", result="pass"), 400)
    error = library_error(lambda: bb.create_code_insights_report(PROJECT, SLUG, "abc123", key, "t"), 400)
    assert error["context"] == "commitId", error

    # Another user may neither replace the report nor add to it nor delete it (REPO_READ only): 401.
    other = atlassian_client(ci_setup, OTHER)
    error = library_error(lambda: other.create_code_insights_report(PROJECT, SLUG, sha, key, "hijack"), 401)
    assert error["exceptionName"] == AUTHORISATION, error
    library_error(lambda: other.add_code_insights_annotations_to_report(PROJECT, SLUG, sha, key,
                                                                        ANNOTATIONS[3:]), 401)
    library_error(lambda: other.delete_code_insights_report(PROJECT, SLUG, sha, key), 401)
    # ...but may read it.
    assert other.get_code_insights_report(PROJECT, SLUG, sha, key)["title"] == "flake8"
    assert atlassian_annotations(other, sha, key)["totalCount"] == len(ANNOTATIONS)

    # Anonymous and a wrong password: 401.
    anonymous = Bitbucket(url=ci_setup.url, timeout=30)
    library_error(lambda: anonymous.create_code_insights_report(PROJECT, SLUG, sha, key, "t"), 401)
    wrong = atlassian_client(ci_setup, (CI[0], "wrong"))
    library_error(lambda: wrong.get_code_insights_report(PROJECT, SLUG, sha, key), 401)

    # A missing repository / project: 404.
    library_error(lambda: bb.create_code_insights_report(PROJECT, "nope", sha, key, "t"), 404)
    library_error(lambda: bb.delete_code_insights_report("NOPE", SLUG, sha, key), 404)

    # The creator deletes: report and annotations gone.
    assert bb.delete_code_insights_report(PROJECT, SLUG, sha, key) is None
    library_error(lambda: bb.get_code_insights_report(PROJECT, SLUG, sha, key), 404)
    library_error(lambda: atlassian_annotations(bb, sha, key), 404)


# --------------------------------------------------------------------------------------------
# (b) bitbucketserver
# --------------------------------------------------------------------------------------------

def bbs_client(server: Server, auth: tuple[str, str] = CI) -> BitbucketServer:
    """Constructed as its README shows; the constructor itself GETs application-properties."""
    return BitbucketServer(url=server.url + "/", basic_auth=auth)


def bbs_error(call, status: int) -> BitbucketServerException:
    """A library call that must fail with Bitbucket's error body: the library raises BitbucketServerException."""
    with pytest.raises(BitbucketServerException) as info:
        call()
    error = info.value
    assert error.response.status_code == status, (error.response.status_code, error.response.text)
    assert error.errors and str(error) == error.errors[0]["message"]
    return error


def test_bitbucketserver_ci_run(ci_setup):
    bbs = bbs_client(ci_setup)
    sha, key = new_sha(), "com.example.sonar"
    insight = {"title": "SonarQube", **REPORT_FIELDS, "data": REPORT_DATA, "createdDate": 1700000000123,
               "coverageProviderKey": "com.example.coverage"}
    fields = {**REPORT_FIELDS, "coverageProviderKey": "com.example.coverage"}

    for run in (1, 2):
        assert bbs.delete_code_insight_report(PROJECT, SLUG, sha, key) is None
        bbs_error(lambda: bbs.code_insight_report(PROJECT, SLUG, sha, key), 404)

        # The PUT's 200 body is decoded into a CodeInsightReport.
        report = bbs.create_code_insight_report(PROJECT, SLUG, sha, key, insight)
        assert (report.key, report.report_key, report.title, str(report)) == (key, key, "SonarQube", key)
        check_report(report._raw, key, "SonarQube", fields, REPORT_DATA, created=1700000000123)
        assert report.data == {d["title"]: d["value"] for d in REPORT_DATA}

        assert bbs.add_code_insight_report_annotations(PROJECT, SLUG, sha, key, ANNOTATIONS) is None
        assert bbs.conn.last_response.status_code == 204

        got = bbs.code_insight_report(PROJECT, SLUG, sha, key)
        assert got._raw == report._raw
        expected = [expected_annotation(a, key) for a in ANNOTATIONS]
        assert bbs.code_insight_report_annotations(PROJECT, SLUG, sha, key) == expected, f"run {run}"

    # The commit's reports (paged, limit 500; stops on isLastPage) and the commit's annotations.
    reports = bbs.code_insight_reports(PROJECT, SLUG, sha)
    assert [r.key for r in reports] == [key] and reports[0]._raw == report._raw
    assert bbs.commit_code_insight_annotations(PROJECT, SLUG, sha) == expected


def test_bitbucketserver_filters_and_deletes(ci_setup):
    bbs = bbs_client(ci_setup)
    sha = new_sha()
    lint = bbs.create_code_insight_report(PROJECT, SLUG, sha, "a.lint", {"title": "Lint"})
    security = bbs.create_code_insight_report(PROJECT, SLUG, sha, "b.security", {"title": "Security",
                                                                                 "result": "PASS"})
    assert [r.key for r in bbs.code_insight_reports(PROJECT, SLUG, sha)] == ["a.lint", "b.security"]
    lint.add_annotations(ANNOTATIONS)
    vulnerability = {"externalId": "CVE-2024-0001", "path": "requirements.txt", "line": 7, "severity": "HIGH",
                     "type": "VULNERABILITY", "message": "requests < 2.32 is vulnerable (CVE-2024-0001)",
                     "link": "https://security.example.com/CVE-2024-0001"}
    security.add_annotations([vulnerability])

    every = [expected_annotation(a, "a.lint") for a in ANNOTATIONS] + [expected_annotation(vulnerability,
                                                                                           "b.security")]
    assert bbs.commit_code_insight_annotations(PROJECT, SLUG, sha) == every
    assert bbs.commit_code_insight_annotations(PROJECT, SLUG, sha, report_key="b.security") == every[-1:]
    assert bbs.commit_code_insight_annotations(PROJECT, SLUG, sha, severity="HIGH") == [every[2], every[4]]
    assert bbs.commit_code_insight_annotations(PROJECT, SLUG, sha, type="CODE_SMELL") == every[:2]
    assert bbs.commit_code_insight_annotations(PROJECT, SLUG, sha, path="src/app.py") == every[:2]
    assert bbs.commit_code_insight_annotations(PROJECT, SLUG, sha, external_id="F401-app-3") == [every[1]]
    assert bbs.commit_code_insight_annotations(PROJECT, SLUG, sha, severity="HIGH", type="BUG") == [every[2]]
    error = bbs_error(lambda: bbs.commit_code_insight_annotations(PROJECT, SLUG, sha, severity="BLOCKER"), 400)
    assert "severity" in str(error) or error.errors[0]["context"] == "severity"

    # The library's external_id variant POSTs to .../annotations/{externalId}: 405, as Bitbucket answers.
    with pytest.raises((BitbucketServerException, requests.HTTPError)) as info:
        bbs.add_code_insight_report_annotations(PROJECT, SLUG, sha, "a.lint", [ANNOTATIONS[3]],
                                                external_id="x-1")
    assert info.value.response.status_code == 405, info.value.response.text
    assert len(bbs.code_insight_report_annotations(PROJECT, SLUG, sha, "a.lint")) == len(ANNOTATIONS)

    # Deleting one annotation by externalId, then all of a report's, then the report itself.
    assert bbs.delete_code_insight_report_annotations(PROJECT, SLUG, sha, "a.lint", external_id="E501-app-12") \
        is None
    assert bbs.code_insight_report_annotations(PROJECT, SLUG, sha, "a.lint") == every[1:4]
    lint.delete_annotations()
    # (CodeInsightReport.annotations is broken in the library itself: it passes project_key= to a method
    # that takes project=; the server is not involved.)
    assert bbs.code_insight_report_annotations(PROJECT, SLUG, sha, "a.lint") == []
    assert bbs.code_insight_report(PROJECT, SLUG, sha, "a.lint").title == "Lint"  # the report stays
    security.delete()
    assert bbs.commit_code_insight_annotations(PROJECT, SLUG, sha) == []
    assert [r.key for r in bbs.code_insight_reports(PROJECT, SLUG, sha)] == ["a.lint"]

    # Another REPO_READ user: may read, may not add, replace or delete (401).
    other = bbs_client(ci_setup, OTHER)
    assert other.code_insight_report(PROJECT, SLUG, sha, "a.lint").title == "Lint"
    error = bbs_error(lambda: other.add_code_insight_report_annotations(PROJECT, SLUG, sha, "a.lint",
                                                                        ANNOTATIONS), 401)
    assert error.errors[0]["exceptionName"] == AUTHORISATION
    bbs_error(lambda: other.create_code_insight_report(PROJECT, SLUG, sha, "a.lint", {"title": "x"}), 401)
    bbs_error(lambda: other.delete_code_insight_report(PROJECT, SLUG, sha, "a.lint"), 401)
    assert bbs.code_insight_report(PROJECT, SLUG, sha, "a.lint").title == "Lint"

    # A bad report: 400 with Bitbucket's message.
    error = bbs_error(lambda: bbs.create_code_insight_report(PROJECT, SLUG, sha, "c.bad", {
        "title": "Bad", "data": [{"title": "Coverage", "type": "PERCENTAGE", "value": 101}]}), 400)
    assert error.errors[0]["context"] == "data.0.value"
    bbs_error(lambda: bbs.code_insight_report(PROJECT, SLUG, sha, "c.bad"), 404)


def test_bitbucketserver_annotation_cap(ci_setup):
    """A report holds at most 1000 annotations (the default): past it, 400 naming the cap, nothing stored."""
    bbs = bbs_client(ci_setup)
    sha, key = new_sha(), "com.example.many"
    bbs.create_code_insight_report(PROJECT, SLUG, sha, key, {"title": "Many"})
    many = [{"path": f"src/m{i // 50}.py", "line": i % 50 + 1, "severity": "LOW", "message": f"problem {i}"}
            for i in range(1000)]
    bbs.add_code_insight_report_annotations(PROJECT, SLUG, sha, key, many)
    got = bbs.code_insight_report_annotations(PROJECT, SLUG, sha, key)
    assert len(got) == 1000 and got[0]["message"] == "problem 0" and got[-1]["message"] == "problem 999"
    error = bbs_error(lambda: bbs.add_code_insight_report_annotations(PROJECT, SLUG, sha, key, many[:1]), 400)
    assert "1000" in str(error) and error.errors[0]["context"] == "annotations"
    assert len(bbs.code_insight_report_annotations(PROJECT, SLUG, sha, key)) == 1000


def test_server_output_has_no_tracebacks(server):
    """Runs last for each server: no request above ended in an unhandled exception."""
    output = server.log_text()
    assert "Traceback" not in output and "Exception in ASGI application" not in output, output
