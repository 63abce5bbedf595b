"""Code Insights annotations: POST/PUT/GET/DELETE .../reports/{key}/annotations and GET .../annotations."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.fixtures.api import SHA2, assert_error
from tests.insights.conftest import FULL_ANNOTATION as FULL
from tests.insights.conftest import (ANNOTATIONS, annotate, annotation, annotations_of,
                                     annotations_url, commit_url, post, report, report_url, short)

def messages(api, key: str | None = None, **params) -> list[str]:
    return [a["message"] for a in annotations_of(api, key, **params)]


# --- storing ---------------------------------------------------------------------------------------


def test_posted_annotations_show_in_both_listings(rep):
    annotate(rep, "K", annotation("one"), annotation("two", "MEDIUM"))
    expected = [{"reportKey": "K", "message": "one", "severity": "LOW", "line": 0},
                {"reportKey": "K", "message": "two", "severity": "MEDIUM", "line": 0}]
    assert annotations_of(rep, "K") == expected
    assert annotations_of(rep) == expected


def test_every_field_is_stored_and_returned(rep):
    annotate(rep, "K", FULL)
    assert annotations_of(rep, "K") == [{"reportKey": "K", **FULL}]


@pytest.mark.parametrize("severity", ["LOW", "MEDIUM", "HIGH"])
@pytest.mark.parametrize("kind", ["VULNERABILITY", "CODE_SMELL", "BUG"])
def test_each_severity_and_type_is_stored(rep, severity, kind):
    annotate(rep, "K", annotation("m", severity, type=kind))
    (stored,) = annotations_of(rep, "K")
    assert (stored["severity"], stored["type"]) == (severity, kind)


def test_report_key_inside_an_annotation_is_ignored(rep):
    annotate(rep, "K", annotation("m", reportKey="OTHER", extra="x"))
    assert annotations_of(rep, "K") == [{"reportKey": "K", "message": "m", "severity": "LOW", "line": 0}]


def test_listing_orders_by_report_key_then_as_stored(repo):
    report(repo, "b")
    report(repo, "a")
    annotate(repo, "b", annotation("b1"), annotation("b2"))
    annotate(repo, "a", annotation("a1"))
    annotate(repo, "b", annotation("b3"))
    annotate(repo, "a", annotation("a2"))
    assert messages(repo) == ["a1", "a2", "b1", "b2", "b3"]
    assert messages(repo, "b") == ["b1", "b2", "b3"]


def test_annotations_of_another_commit_are_separate(repo):
    report(repo, "K")
    assert repo.put(f"{commit_url(SHA2)}/reports/K", json={"title": "T"}).status_code == 200
    annotate(repo, "K", annotation("here"))
    r = repo.get(f"{commit_url(SHA2)}/annotations")
    assert r.json() == {"totalCount": 0, "annotations": []}
    assert messages(repo) == ["here"]


@pytest.mark.parametrize("version", ["1.0", "latest"])
def test_both_api_versions_answer(rep, version):
    base = commit_url(version=version)
    assert rep.post(f"{base}/reports/K/annotations", json={"annotations": [annotation("m")]}).status_code == 204
    assert rep.put(f"{base}/reports/K/annotations/e", json=annotation("e")).status_code == 204
    assert rep.get(f"{base}/reports/K/annotations").json()["totalCount"] == 2
    assert rep.get(f"{base}/annotations").json()["totalCount"] == 2
    assert rep.delete(f"{base}/reports/K/annotations").status_code == 204
    assert annotations_of(rep) == []


def test_same_annotations_without_external_id_are_stored_twice(rep):
    annotate(rep, "K", annotation("a"), annotation("a"))
    annotate(rep, "K", annotation("a"), annotation("a"))
    assert messages(rep, "K") == ["a"] * 4


# --- limits and bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize("field, good, bad", [
    ("message", "m" * 2000, "m" * 2001),
    ("externalId", "e" * 449, "e" * 450),
    ("path", "p" * 50000, "p" * 50001),
    ("line", 2**31 - 1, 2**31),
    ("line", 0, -1),
    ("severity", "HIGH", "high"),
    ("severity", "LOW", "CRITICAL"),
    ("type", "BUG", "bug"),
    ("type", "CODE_SMELL", "ISSUE"),
    ("link", "http://ci.example/1", "ftp://ci.example/1"),
    ("link", "https://ci.example/1", "not a url"),
    ("link", "https://ci.example/1", "http://"),
    ("link", "https://example.com/" + "a" * 2028, "https://example.com/" + "a" * 2029),
], ids=short)
def test_each_limit(rep, field, good, bad):
    annotate(rep, "K", {**annotation(), field: good})
    assert annotations_of(rep, "K")[0][field] == good
    assert_error(post(rep, {**annotation(), field: bad}), 400, context=f"annotations.0.{field}")
    assert len(annotations_of(rep, "K")) == 1


@pytest.mark.parametrize("broken, field", [
    ({"severity": "LOW"}, "message"),
    ({"message": "", "severity": "LOW"}, "message"),
    ({"message": "  ", "severity": "LOW"}, "message"),
    ({"message": "m"}, "severity"),
    ({"message": "m", "severity": None}, "severity"),
    ({"message": "m", "severity": "LOW", "line": "x"}, "line"),
    ({"message": "m", "severity": "LOW", "line": 1.5}, "line"),
])
def test_one_bad_annotation_among_many_rejects_the_request(rep, count, broken, field):
    r = post(rep, annotation("a"), annotation("b"), broken, annotation("d"))
    assert_error(r, 400, context=f"annotations.2.{field}")
    assert annotations_of(rep, "K") == []
    assert count("annotations") == 0


@pytest.mark.parametrize("body", [{"annotations": []}, {}, {"annotations": None}, {"annotations": "x"},
                                  {"annotations": {"message": "m", "severity": "LOW"}}])
def test_missing_or_empty_list_is_400(rep, body):
    assert_error(rep.post(annotations_url("K"), json=body), 400, context="annotations")


@pytest.mark.parametrize("item", [5, "message", None, []], ids=repr)
def test_an_annotation_that_is_not_an_object_is_400(rep, count, item):
    assert_error(post(rep, annotation(), item), 400)
    assert count("annotations") == 0


def test_malformed_json_is_400(rep, count):
    r = rep.post(annotations_url("K"), content=b'{"annotations": [', auth=rep.auth,
                 headers={"Content-Type": "application/json"})
    assert_error(r, 400)
    assert count("annotations") == 0


def test_absent_report_is_404(repo, count):
    for r in (post(repo, annotation()), repo.get(annotations_url("K")),
              repo.put(f"{annotations_url('K')}/e", json=annotation()), repo.delete(annotations_url("K"))):
        assert_error(r, 404, context="reportKey")
    assert count("annotations") == 0


# --- externalId ----------------------------------------------------------------------------------------


def test_duplicate_external_id_in_one_request_is_400_and_stores_nothing(rep):
    r = post(rep, annotation("a", externalId="x"), annotation("b", externalId="y"), annotation("c", externalId="x"))
    assert_error(r, 400, context="annotations.2.externalId", contains="x")
    assert annotations_of(rep, "K") == []


def test_external_id_already_in_the_report_is_400_and_stores_nothing(rep):
    annotate(rep, "K", annotation("a", externalId="x"))
    assert_error(post(rep, annotation("new"), annotation("b", externalId="x")), 400,
                 context="annotations.1.externalId", contains="x")
    assert messages(rep, "K") == ["a"]


def test_external_id_is_unique_per_report_only(repo):
    report(repo, "K")
    report(repo, "L")
    annotate(repo, "K", annotation("k", externalId="x"))
    annotate(repo, "L", annotation("l", externalId="x"))
    assert messages(repo, externalId="x") == ["k", "l"]


def test_put_one_annotation_creates_then_replaces(rep):
    r = rep.put(f"{annotations_url('K')}/x", json={**FULL, "externalId": "ignored"})
    assert r.status_code == 204 and r.content == b""
    assert annotations_of(rep, "K") == [{"reportKey": "K", **FULL, "externalId": "x"}]
    assert rep.put(f"{annotations_url('K')}/x", json=annotation("replaced", "MEDIUM")).status_code == 204
    assert annotations_of(rep, "K") == [{"reportKey": "K", "message": "replaced", "severity": "MEDIUM",
                                         "line": 0, "externalId": "x"}]


def test_put_one_annotation_beside_others(rep):
    annotate(rep, "K", annotation("a", externalId="a"), annotation("b"))
    assert rep.put(f"{annotations_url('K')}/a", json=annotation("a2")).status_code == 204
    assert rep.put(f"{annotations_url('K')}/c", json=annotation("c")).status_code == 204
    assert sorted(messages(rep, "K")) == ["a2", "b", "c"]


def test_put_one_bad_annotation_is_400(rep):
    assert_error(rep.put(f"{annotations_url('K')}/x", json={"severity": "LOW"}), 400)
    assert_error(rep.put(f"{annotations_url('K')}/x", json=annotation(severity="low")), 400)
    assert_error(rep.put(f"{annotations_url('K')}/{'e' * 450}", json=annotation()), 400)
    assert annotations_of(rep, "K") == []


# --- deleting ------------------------------------------------------------------------------------------


def test_delete_without_external_id_removes_all_of_the_report(repo):
    report(repo, "K")
    report(repo, "L")
    annotate(repo, "K", annotation("a", externalId="a"), annotation("b"))
    annotate(repo, "L", annotation("c"))
    r = repo.delete(annotations_url("K"))
    assert r.status_code == 204 and r.content == b""
    assert annotations_of(repo, "K") == []
    assert messages(repo) == ["c"]
    assert repo.get(report_url("K")).status_code == 200  # the report stays


def test_delete_by_repeated_external_id(rep):
    annotate(rep, "K", annotation("a", externalId="a"), annotation("b", externalId="b"),
             annotation("c", externalId="c"), annotation("none"))
    assert rep.delete(annotations_url("K"), params=[("externalId", "a"), ("externalId", "c"),
                                                     ("externalId", "zzz")]).status_code == 204
    assert messages(rep, "K") == ["b", "none"]
    # A deleted externalId may be used again.
    annotate(rep, "K", annotation("a again", externalId="a"))


def test_deleting_the_repository_deletes_reports_and_annotations(repo, count):
    report(repo, "K")
    annotate(repo, "K", annotation("a"), annotation("b", externalId="b"))
    repo.repo(name="other")
    assert repo.put(f"{commit_url(repo='other')}/reports/O", json={"title": "T"}).status_code == 200
    assert repo.post(f"{commit_url(repo='other')}/reports/O/annotations",
                     json={"annotations": [annotation("o")]}).status_code == 204
    assert repo.delete("/rest/api/latest/projects/PRJ/repos/repo").status_code in (202, 204)
    assert (count("reports"), count("annotations")) == (1, 1)


# --- filters ---------------------------------------------------------------------------------------------


@pytest.fixture
def mixed(repo):
    report(repo, "a")
    report(repo, "b")
    annotate(repo, "a", annotation("a1", "LOW", type="BUG", path="x.py", externalId="1"),
             annotation("a2", "HIGH", type="VULNERABILITY", path="y.py"),
             annotation("a3", "MEDIUM"))
    annotate(repo, "b", annotation("b1", "HIGH", type="BUG", path="x.py", externalId="1"),
             annotation("b2", "LOW", type="CODE_SMELL", path="z.py", externalId="2"))
    return repo


@pytest.mark.parametrize("params, expected", [
    ([], ["a1", "a2", "a3", "b1", "b2"]),
    ([("key", "b")], ["b1", "b2"]),
    ([("key", "a"), ("key", "b")], ["a1", "a2", "a3", "b1", "b2"]),
    ([("key", "nope")], []),
    ([("severity", "HIGH")], ["a2", "b1"]),
    ([("severity", "HIGH"), ("severity", "MEDIUM")], ["a2", "a3", "b1"]),
    ([("type", "BUG")], ["a1", "b1"]),
    ([("type", "BUG"), ("type", "CODE_SMELL")], ["a1", "b1", "b2"]),
    ([("path", "x.py")], ["a1", "b1"]),
    ([("path", "x.py"), ("path", "z.py")], ["a1", "b1", "b2"]),
    ([("externalId", "1")], ["a1", "b1"]),
    ([("externalId", "2"), ("externalId", "1")], ["a1", "b1", "b2"]),
    ([("key", "a"), ("type", "BUG")], ["a1"]),
    ([("severity", "HIGH"), ("type", "BUG"), ("path", "x.py")], ["b1"]),
    ([("severity", "LOW"), ("path", "y.py")], []),
    ([("key", "b"), ("externalId", "1"), ("externalId", "2"), ("severity", "LOW")], ["b2"]),
])
def test_commit_annotation_filters(mixed, params, expected):
    r = mixed.get(ANNOTATIONS, params=params)
    assert r.status_code == 200, r.text
    body = r.json()
    assert [a["message"] for a in body["annotations"]] == expected
    assert body["totalCount"] == len(expected)


@pytest.mark.parametrize("name, value", [("severity", "high"), ("severity", "CRITICAL"), ("type", "ISSUE")])
def test_unknown_filter_value_is_400_naming_the_parameter(mixed, name, value):
    error = assert_error(mixed.get(ANNOTATIONS, params={name: value}), 400)
    assert name == error["context"] or name in error["message"], error


# --- methods ------------------------------------------------------------------------------------------


def test_wrong_methods_are_405(rep):
    assert_error(rep.put(annotations_url("K"), json={"annotations": [annotation()]}), 405)
    assert_error(rep.post(f"{annotations_url('K')}/x", json=annotation()), 405)
    assert_error(rep.post(report_url("K"), json={"title": "T"}), 405)
    assert_error(rep.delete(ANNOTATIONS), 405)
    assert annotations_of(rep, "K") == []


# --- the cap --------------------------------------------------------------------------------------------


def many(n: int, prefix: str = "m") -> list[dict]:
    return [annotation(f"{prefix}{i}") for i in range(n)]


def test_a_report_holds_1000_annotations_and_no_more(rep, count):
    assert post(rep, *many(1000)).status_code == 204
    assert_error(post(rep, annotation("one too many")), 400, context="annotations", contains="1000")
    assert_error(rep.put(f"{annotations_url('K')}/x", json=annotation()), 400, contains="1000")
    assert count("annotations") == 1000
    assert rep.get(annotations_url("K")).json()["totalCount"] == 1000


def test_1001_annotations_in_one_request_are_refused(rep, count):
    assert_error(post(rep, *many(1001)), 400, context="annotations", contains="1000")
    assert count("annotations") == 0


def test_a_full_report_still_replaces_by_external_id(rep, count):
    assert post(rep, *many(999), annotation("x", externalId="x")).status_code == 204
    assert rep.put(f"{annotations_url('K')}/x", json=annotation("x2")).status_code == 204
    assert count("annotations") == 1000
    # Deleting makes room again; the cap counts one report only.
    assert rep.delete(annotations_url("K"), params={"externalId": "x"}).status_code == 204
    annotate(rep, "K", annotation("fits"))
    report(rep, "L")
    annotate(rep, "L", *many(10))


def test_concurrent_posts_never_pass_the_cap(rep, count):
    def send(prefix: str):
        return post(rep, *many(600, prefix)).status_code

    with ThreadPoolExecutor(2) as pool:
        codes = sorted(pool.map(send, ["x", "y"]))
    assert codes == [204, 400]
    assert count("annotations") == 600
    assert rep.get(annotations_url("K")).json()["totalCount"] == 600


def test_concurrent_puts_of_one_external_id_store_one_annotation(rep, count):
    def send(i: int):
        return rep.put(f"{annotations_url('K')}/x", json=annotation(f"v{i}")).status_code

    with ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(send, range(8)))
    assert codes == [204] * 8
    assert count("annotations") == 1
    assert [a["externalId"] for a in annotations_of(rep, "K")] == ["x"]


def test_concurrent_posts_of_one_external_id_store_it_once(rep, count):
    def send(i: int):
        return post(rep, annotation(f"v{i}", externalId="x")).status_code

    with ThreadPoolExecutor(4) as pool:
        codes = sorted(pool.map(send, range(4)))
    assert codes == [204, 400, 400, 400]
    assert count("annotations") == 1


def test_concurrent_puts_at_the_cap_store_one(rep, count):
    assert post(rep, *many(999)).status_code == 204

    def send(i: int):
        return rep.put(f"{annotations_url('K')}/x{i}", json=annotation()).status_code

    with ThreadPoolExecutor(4) as pool:
        codes = sorted(pool.map(send, range(4)))
    assert codes == [204, 400, 400, 400]
    assert count("annotations") == 1000


@pytest.mark.parametrize("field", ["message", "path", "externalId", "link"])
def test_nul_in_an_annotation_is_400(rep, count, field):
    value = "https://ci.example/a\x00b" if field == "link" else "a\x00b"
    assert_error(post(rep, annotation(), {**annotation(), field: value}), 400, context=f"annotations.1.{field}")
    assert count("annotations") == 0


@pytest.mark.parametrize("param", ["key", "path", "externalId"])
def test_nul_in_a_filter_is_400(rep, param):
    assert_error(rep.get(ANNOTATIONS, params={param: "a\x00b"}), 400)
