"""Code Insights reports: PUT/GET/DELETE /rest/insights/{1.0,latest}/projects/../commits/{sha}/reports[/{key}]."""

from __future__ import annotations

import time

import pytest

from tests.fixtures.api import SHA, SHA2, assert_error
from tests.insights.conftest import (NO_PROJECT, NO_REPO, REPORTS, annotate, annotation,
                                     annotations_of, commit_url, report, report_url, short)

FULL = {"title": "Sonar analysis", "details": "Quality gate failed:\n3 new bugs", "result": "FAIL",
        "reporter": "SonarQube", "link": "https://sonar.example.com/dashboard?id=prj",
        "logoUrl": "https://sonar.example.com/logo.png", "coverageProviderKey": "com.example.coverage",
        "createdDate": 1587533699278,
        "data": [{"title": "Bugs", "type": "NUMBER", "value": 3},
                 {"title": "Coverage", "type": "PERCENTAGE", "value": 85.5},
                 {"title": "Safe", "type": "BOOLEAN", "value": False},
                 {"title": "Took", "type": "DURATION", "value": 2154},
                 {"title": "Dashboard", "type": "LINK",
                  "value": {"linktext": "Open", "href": "https://sonar.example.com/d"}},
                 {"title": "Note", "value": "plain text"}]}


def get_report(api, key: str = "K", url: str | None = None) -> dict:
    r = api.get(url or report_url(key))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json;charset=UTF-8"
    return r.json()


def keys(api, **params) -> list[str]:
    r = api.get(REPORTS, params=params)
    assert r.status_code == 200, r.text
    return [rep["key"] for rep in r.json()["values"]]


# --- storing ---------------------------------------------------------------------------------------


def test_put_answers_200_with_every_field_stored(repo):
    r = repo.put(report_url("com.example.sonar"), json=FULL)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json;charset=UTF-8"
    assert r.json() == {"key": "com.example.sonar", **FULL}
    assert get_report(repo, "com.example.sonar") == r.json()


def test_minimal_report_has_key_title_date_and_empty_data(repo):
    before = int(time.time() * 1000)
    body = report(repo, "K", title="Lint")
    created = body.pop("createdDate")
    assert before <= created <= int(time.time() * 1000) + 1
    assert body == {"key": "K", "title": "Lint", "data": []}
    assert get_report(repo)["createdDate"] == created


def test_null_data_is_an_empty_list(repo):
    assert report(repo, "K", data=None)["data"] == []


def test_unknown_members_are_ignored(repo):
    r = repo.put(report_url("K"), json={"title": "T", "report_title": "x", "report_type": "SECURITY", "key": "o"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["key"] == "K" and get_report(repo)["key"] == "K"
    assert "report_title" not in body and "report_type" not in body


@pytest.mark.parametrize("result", ["PASS", "FAIL"])
def test_each_result_is_stored(repo, result):
    assert report(repo, result=result)["result"] == result
    assert get_report(repo)["result"] == result


def test_urls_are_stored_exactly_as_given(repo):
    link = "HTTP://Example.COM:8080/a%20b/../c?x=1&y=%2F#frag"
    body = report(repo, link=link, logoUrl="https://example.com")
    assert (body["link"], body["logoUrl"]) == (link, "https://example.com")


# A float too large to be seconds (1630041546433.0) is milliseconds sent as a float, not a date 50,000 years on.
@pytest.mark.parametrize("sent, stored", [(1630041546.433, 1630041546433), (1630041546.5, 1630041546500),
                                          (1587533699278, 1587533699278), (0, 0),
                                          (1630041546433.0, 1630041546433)])
def test_float_created_date_is_seconds_integer_is_milliseconds(repo, sent, stored):
    assert report(repo, createdDate=sent)["createdDate"] == stored
    assert get_report(repo)["createdDate"] == stored


def test_upper_case_commit_names_the_same_report(repo):
    assert repo.put(f"{commit_url(SHA.upper())}/reports/K", json={"title": "T"}).status_code == 200
    assert get_report(repo, url=report_url("K"))["title"] == "T"
    assert get_report(repo, url=f"{commit_url(SHA.upper())}/reports/K")["title"] == "T"


@pytest.mark.parametrize("sha", ["abc", SHA[:-1], SHA + "0", "g" * 40])
def test_bad_commit_is_400(repo, sha):
    assert_error(repo.put(f"{commit_url(sha)}/reports/K", json={"title": "T"}), 400, context="commitId")
    assert_error(repo.get(f"{commit_url(sha)}/reports"), 400, context="commitId")


@pytest.mark.parametrize("version", ["1.0", "latest"])
def test_both_api_versions_answer(repo, version):
    url = f"{commit_url(version=version)}/reports/K"
    assert repo.put(url, json={"title": "T"}).status_code == 200
    assert get_report(repo, url=url)["title"] == "T"
    assert get_report(repo, url=f"{commit_url(version='1.0' if version == 'latest' else 'latest')}/reports/K")
    assert repo.delete(url).status_code == 204


def test_same_key_on_another_commit_is_another_report(repo):
    report(repo, "K", title="first")
    assert repo.put(f"{commit_url(SHA2)}/reports/K", json={"title": "second"}).status_code == 200
    assert get_report(repo)["title"] == "first"
    assert get_report(repo, url=f"{commit_url(SHA2)}/reports/K")["title"] == "second"


def test_missing_project_or_repository_is_404(repo):
    assert_error(repo.put(f"{commit_url(project='NOPE')}/reports/K", json={"title": "T"}), 404, NO_PROJECT)
    assert_error(repo.put(f"{commit_url(repo='nope')}/reports/K", json={"title": "T"}), 404, NO_REPO,
                 contains="PRJ/nope")
    assert_error(repo.get(f"{commit_url(repo='nope')}/reports"), 404, NO_REPO)


# --- reading ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["com.example.lint", "My Report", "ключ-отчёта", "😀" * 450, "a+b=c"])
def test_any_key_within_the_limit_round_trips(repo, key):
    assert report(repo, key, title="é" * 450)["key"] == key
    assert get_report(repo, key)["title"] == "é" * 450
    assert keys(repo) == [key]
    assert repo.delete(report_url(key)).status_code == 204
    assert keys(repo) == []


def test_get_absent_report_is_404_naming_the_key(repo):
    error = assert_error(repo.get(report_url("com.example.absent")), 404, context="reportKey")
    # Bitbucket's recorded answer (spec/api-notes.md §1.4): no exception name.
    assert error == {"context": "reportKey", "message": "No report found with key: com.example.absent",
                     "exceptionName": None}


def test_list_is_a_page_ordered_by_key(repo):
    for key in ("b", "a", "d", "c", "e"):
        report(repo, key)
    r = repo.get(REPORTS)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [rep["key"] for rep in body["values"]] == ["a", "b", "c", "d", "e"]
    assert body["values"][0] == get_report(repo, "a")
    assert (body["start"], body["size"], body["isLastPage"]) == (0, 5, True)
    assert "nextPageStart" not in body


def test_list_pages_with_start_and_limit(repo):
    for key in ("b", "a", "d", "c", "e"):
        report(repo, key)
    body = repo.get(REPORTS, params={"start": 1, "limit": 2}).json()
    assert [rep["key"] for rep in body["values"]] == ["b", "c"]
    assert (body["start"], body["limit"], body["size"], body["isLastPage"], body["nextPageStart"]) == \
        (1, 2, 2, False, 3)
    last = repo.get(REPORTS, params={"start": 3, "limit": 2}).json()
    assert [rep["key"] for rep in last["values"]] == ["d", "e"]
    assert last["isLastPage"] is True and "nextPageStart" not in last


@pytest.mark.parametrize("params", [{"start": -1}, {"limit": -1}, {"start": "x"}, {"limit": "x"}])
def test_bad_paging_parameters_are_400(repo, params):
    assert_error(repo.get(REPORTS, params=params), 400)


def test_limit_above_1000_is_clamped(repo):
    report(repo, "K")
    body = repo.get(REPORTS, params={"limit": 5000}).json()
    assert body["limit"] == 1000 and [rep["key"] for rep in body["values"]] == ["K"]


def test_list_of_a_commit_without_reports_is_empty(repo):
    report(repo, "K")
    body = repo.get(f"{commit_url(SHA2)}/reports").json()
    assert body["values"] == [] and body["size"] == 0 and body["isLastPage"] is True


# --- replacing and deleting --------------------------------------------------------------------------


def test_replacing_replaces_the_whole_report_and_keeps_annotations(repo):
    report(repo, "K", **{k: v for k, v in FULL.items() if k != "title"}, title="old")
    annotate(repo, "K", annotation("kept", externalId="e1"))
    body = report(repo, "K", title="new", result="PASS", createdDate=2000)
    assert body == {"key": "K", "title": "new", "result": "PASS", "createdDate": 2000, "data": []}
    assert get_report(repo) == body
    assert [a["message"] for a in annotations_of(repo, "K")] == ["kept"]
    assert keys(repo) == ["K"]


def test_replacing_without_a_date_dates_the_report_now(repo):
    report(repo, "K", createdDate=1000)
    before = int(time.time() * 1000)
    assert report(repo, "K")["createdDate"] >= before
    assert get_report(repo)["createdDate"] >= before


def test_delete_answers_204_and_removes_the_report_and_its_annotations(repo, count):
    report(repo, "K")
    report(repo, "L")
    annotate(repo, "K", annotation("a"), annotation("b"))
    annotate(repo, "L", annotation("c"))
    r = repo.delete(report_url("K"))
    assert r.status_code == 204 and r.content == b""
    assert_error(repo.get(report_url("K")), 404, context="reportKey")
    assert [a["message"] for a in annotations_of(repo)] == ["c"]
    assert (count("reports"), count("annotations")) == (1, 1)
    # A report created again under the key starts without annotations.
    report(repo, "K")
    assert annotations_of(repo, "K") == []


def test_delete_of_an_absent_report_is_204(repo):
    assert repo.delete(report_url("never")).status_code == 204


def test_delete_in_a_missing_repository_is_404(repo):
    assert_error(repo.delete(f"{commit_url(repo='nope')}/reports/K"), 404, NO_REPO)


# --- limits and bad input ----------------------------------------------------------------------------

URL_2048 = "https://example.com/" + "a" * (2048 - len("https://example.com/"))


@pytest.mark.parametrize("field, good, bad", [
    ("title", "t" * 450, "t" * 451),
    ("details", "d" * 2000, "d" * 2001),
    ("reporter", "r" * 450, "r" * 451),
    ("coverageProviderKey", "c" * 255, "c" * 256),
    ("link", URL_2048, URL_2048 + "a"),
    ("logoUrl", URL_2048, URL_2048 + "a"),
], ids=short)
def test_each_length_limit_is_inclusive(repo, count, field, good, bad):
    assert report(repo, "K", **{field: good})[field] == good
    assert_error(repo.put(report_url("L"), json={"title": "T", field: bad}), 400, context=field)
    assert_error(repo.get(report_url("L")), 404)
    # A refused replacement leaves the stored report as it was.
    assert_error(repo.put(report_url("K"), json={"title": "T", field: bad}), 400, context=field)
    assert get_report(repo)[field] == good
    assert count("reports") == 1


def test_six_data_fields_are_accepted_seven_are_not(repo):
    six = [{"title": f"f{i}", "value": i} for i in range(6)]
    assert report(repo, "K", data=six)["data"] == six
    assert_error(repo.put(report_url("L"), json={"title": "T", "data": six + [{"title": "f6", "value": 6}]}),
                 400)
    assert_error(repo.get(report_url("L")), 404)


def test_key_of_450_characters_is_accepted_451_is_not(repo):
    assert report(repo, "k" * 450, title="T")["key"] == "k" * 450
    assert get_report(repo, "k" * 450)["key"] == "k" * 450
    assert_error(repo.put(report_url("k" * 451), json={"title": "T"}), 400, context="key")
    assert keys(repo) == ["k" * 450]


BAD_REPORTS = [
    ({}, "title"),
    ({"title": None}, "title"),
    ({"title": ""}, "title"),
    ({"title": "   "}, "title"),
    ({"title": "T", "result": "pass"}, "result"),
    ({"title": "T", "result": "UNKNOWN"}, "result"),
    ({"title": "T", "link": "ftp://example.com/x"}, "link"),
    ({"title": "T", "link": "not a url"}, "link"),
    ({"title": "T", "link": "http://"}, "link"),
    ({"title": "T", "link": "https://exa mple.com/"}, "link"),
    ({"title": "T", "link": "example.com/x"}, "link"),
    ({"title": "T", "link": "javascript:alert(1)"}, "link"),
    ({"title": "T", "link": "//example.com/x"}, "link"),
    ({"title": "a\x00b"}, "title"),
    ({"title": "T", "details": "a\x00b"}, "details"),
    ({"title": "T", "link": "https://example.com/a\x00b"}, "link"),
    ({"title": "T", "logoUrl": "https://example.com/a\x00b"}, "logoUrl"),
    ({"title": "T", "logoUrl": "ftp://example.com/logo.png"}, "logoUrl"),
    ({"title": "T", "logoUrl": "http://"}, "logoUrl"),
    ({"title": "T", "createdDate": -1}, "createdDate"),
    ({"title": "T", "createdDate": -1.5}, "createdDate"),
    ({"title": "T", "createdDate": True}, "createdDate"),
    ({"title": "T", "createdDate": False}, "createdDate"),
    ({"title": "T", "data": "nope"}, "data"),
    ({"title": "T", "data": [{"value": 1}]}, "data.0.title"),
    ({"title": "T", "data": [{"title": " ", "value": 1}]}, "data.0.title"),
]


@pytest.mark.parametrize("body, context", BAD_REPORTS, ids=[f"{i}-{c}" for i, (_, c) in enumerate(BAD_REPORTS)])
def test_bad_report_is_400_and_stores_nothing(repo, count, body, context):
    assert_error(repo.put(report_url("K"), json=body), 400, context=context)
    assert_error(repo.get(report_url("K")), 404, context="reportKey")
    assert count("reports") == 0


@pytest.mark.parametrize("content", [b"{not json", b"", b"[]", b'"title"', b'{"title": "T",}'])
def test_malformed_or_non_object_body_is_400(repo, count, content):
    r = repo.put(report_url("K"), content=content, auth=repo.auth,
                 headers={"Content-Type": "application/json"})
    assert_error(r, 400)
    assert count("reports") == 0
