"""The fast lane (cairn.lane) answers POST and GET .../reports/{key}/annotations exactly as the full app does.

A caller's first request fills the credential and access caches; the caller's next annotation POSTs
take the lane, which stores them in one transaction on a direct connection and hands anything it does
not accept to the full app (`fallbacks` lists what it handed on). tests/builds/test_lane.py covers what
the caches promise.
"""

from __future__ import annotations

import pytest

from tests.fixtures.api import assert_error, observed
from tests.insights.conftest import FULL_ANNOTATION as FULL
from tests.insights.conftest import (AUTHORISATION, annotation, annotations_of, annotations_url, post, report,
                                     report_url)


def test_warm_posts_take_the_lane_answer_alike_and_store_every_member(repo, count, fallbacks):
    first = repo.put(report_url("K"), json={"title": "T"})
    assert first.status_code == 200
    fallbacks.clear()
    answers = [post(repo, annotation("plain")), post(repo, FULL)]
    assert fallbacks == []
    assert observed(answers[0]) == observed(answers[1]) == (204, None, "admin", first.headers["x-auserid"], b"")
    assert annotations_of(repo, "K") == [{"reportKey": "K", "message": "plain", "severity": "LOW", "line": 0},
                                         {"reportKey": "K", **FULL}]
    assert count("annotations") == 2


@pytest.mark.parametrize("n", [1, 99, 100, 101, 250, 1000])
def test_every_batch_size_is_stored_whole_and_in_order(rep, n, fallbacks):
    # SQLite inserts 100 rows per statement and the rest one by one: each boundary is here.
    sent = [annotation(f"m{i}", ("LOW", "MEDIUM", "HIGH")[i % 3], line=i, externalId=f"e{i}") for i in range(n)]
    fallbacks.clear()
    assert post(rep, *sent).status_code == 204
    assert fallbacks == []
    assert annotations_of(rep, "K") == [{"reportKey": "K", **a} for a in sent]


@pytest.mark.parametrize("body, status, context", [
    ([annotation("ok"), {"message": "no severity"}], 400, "annotations.1.severity"),
    ([annotation("a", externalId="x"), annotation("b", externalId="x")], 400, "annotations.1.externalId"),
    ([annotation("stored", externalId="s")], 400, "annotations.0.externalId"),
    ([annotation(f"m{i}") for i in range(1000)], 400, "annotations"),
    ([annotation("ok"), annotation("a\x00b")], 400, "annotations.1.message"),
], ids=["invalid member", "duplicate in request", "duplicate of stored", "over the cap", "NUL"])
def test_a_refusal_on_a_warm_path_is_the_full_apps_and_stores_nothing(rep, count, fallbacks, body, status,
                                                                     context):
    assert post(rep, annotation("stored", externalId="s")).status_code == 204
    fallbacks.clear()
    r = post(rep, *body)
    assert fallbacks == [annotations_url("K")]
    assert_error(r, status, context=context)
    assert r.headers["x-ausername"] == "admin"
    assert [a["message"] for a in annotations_of(rep, "K")] == ["stored"]
    assert count("annotations") == 1


def test_someone_elses_report_and_a_missing_one_get_the_full_apps_answers(rep, count):
    user = rep.user("reader")
    rep.grant_repo("reader", "REPO_READ")
    reader = rep.as_user(user)
    report(reader, "R")
    assert post(reader, annotation("own"), key="R").status_code == 204  # warm
    r = post(reader, annotation("not mine"))
    assert_error(r, 401, AUTHORISATION)
    assert r.headers["x-ausername"] == "reader"
    r = post(reader, annotation("nowhere"), key="absent")
    assert r.status_code == 404
    assert r.json() == {"errors": [{"context": "reportKey", "message": "No report found with key: absent",
                                    "exceptionName": None}]}
    assert count("annotations") == 1


def test_a_repeated_member_means_its_last_value_on_both_paths(rep, fallbacks):
    # The lane parses with pydantic's JSON parser, the full app with json.loads: both keep the last value.
    raw = b'{"annotations": [{"message": "first", "severity": "LOW", "message": "last"}]}'
    headers = {"Content-Type": "application/json"}
    fallbacks.clear()
    assert rep.post(annotations_url("K"), content=raw, headers=headers, auth=rep.auth).status_code == 204
    # A query string (ignored by the route) sends the same request to the full app.
    assert rep.post(annotations_url("K") + "?via=full", content=raw, headers=headers,
                    auth=rep.auth).status_code == 204
    assert fallbacks == [annotations_url("K")]
    assert [a["message"] for a in annotations_of(rep, "K")] == ["last", "last"]


def test_a_warm_report_annotation_get_takes_the_lane_and_answers_as_the_full_app(rep, fallbacks):
    assert post(rep, annotation("first", externalId="e1"), FULL).status_code == 204
    fallbacks.clear()
    lane = rep.get(annotations_url("K"))
    assert fallbacks == []
    full = rep.get(annotations_url("K") + "?via=full")  # a query string (ignored by the route): the full app
    assert fallbacks == [annotations_url("K")]
    assert observed(lane) == observed(full)
    assert lane.json() == {"totalCount": 2, "annotations": [
        {"reportKey": "K", "externalId": "e1", "message": "first", "severity": "LOW", "line": 0},
        {"reportKey": "K", **FULL}]}


def test_an_empty_report_is_listed_and_a_missing_one_gets_the_full_apps_404(rep, fallbacks):
    fallbacks.clear()
    assert observed(rep.get(annotations_url("K")))[::4] == (200, b'{"totalCount":0,"annotations":[]}')
    assert fallbacks == []
    assert_error(rep.get(annotations_url("absent")), 404, context="reportKey")
    assert fallbacks == [annotations_url("absent")]


def test_a_reader_reads_through_the_lane_and_a_stranger_does_not(rep, fallbacks):
    assert post(rep, annotation("a")).status_code == 204
    reader = rep.as_user(rep.user("reader"))
    rep.grant_repo("reader", "REPO_READ")
    assert reader.get(annotations_url("K")).status_code == 200  # fills the reader's caches
    stranger = rep.as_user(rep.user("stranger"))
    fallbacks.clear()
    assert [a["message"] for a in reader.get(annotations_url("K")).json()["annotations"]] == ["a"]
    assert fallbacks == []
    assert stranger.get(annotations_url("K")).status_code == 404
    assert stranger.get(annotations_url("K")).status_code == 404
    assert fallbacks == [annotations_url("K")] * 2
