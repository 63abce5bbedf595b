"""merge_check.verdict as a pure table (decision D17): conditions + statuses + branching model -> verdict."""

from __future__ import annotations

import pytest

from cairn.required_builds.merge_check import MISSING, Condition, Matcher, Status, key_state, verdict
from cairn.required_builds.refmatch import BranchModel

MODEL = BranchModel("refs/heads/main")
MAIN = Matcher("BRANCH", "refs/heads/main")
ANY = Matcher("ANY_REF", "ANY_REF_MATCHER_ID")
HOTFIX = Matcher("MODEL_CATEGORY", "HOTFIX")


def cond(*keys: str, ref: Matcher = MAIN, exempt: Matcher | None = None, id: int = 1) -> Condition:  # noqa: A002
    return Condition(id, tuple(keys), ref, exempt)


def s(key: str, state: str, parent: str | None = None) -> Status:
    return Status(key, parent, state)


# --- one key: which statuses meet it ---------------------------------------------------------------

# (statuses, parent key asked for, expected key_state: None = met)
KEY_CASES = {
    "successful": ([s("ci", "SUCCESSFUL")], "ci", None),
    "failed": ([s("ci", "FAILED")], "ci", "FAILED"),
    "in-progress": ([s("ci", "INPROGRESS")], "ci", "INPROGRESS"),
    "missing: no status": ([], "ci", MISSING),
    "missing: other key": ([s("lint", "SUCCESSFUL")], "ci", MISSING),
    "key compared exactly": ([s("CI", "SUCCESSFUL"), s("ci-2", "SUCCESSFUL")], "ci", MISSING),
    "cancelled only": ([s("ci", "CANCELLED")], "ci", "CANCELLED"),
    "unknown only": ([s("ci", "UNKNOWN")], "ci", "UNKNOWN"),
    "cancelled and unknown only": ([s("a", "UNKNOWN", "ci"), s("b", "CANCELLED", "ci")], "ci", "CANCELLED"),
    "cancelled beside successful": ([s("a", "CANCELLED", "ci"), s("b", "SUCCESSFUL", "ci")], "ci", None),
    "unknown beside successful": ([s("a", "SUCCESSFUL", "ci"), s("b", "UNKNOWN", "ci")], "ci", None),
    "failed beside successful": ([s("a", "SUCCESSFUL", "ci"), s("b", "FAILED", "ci")], "ci", "FAILED"),
    "in-progress beside successful": ([s("a", "SUCCESSFUL", "ci"), s("b", "INPROGRESS", "ci")], "ci",
                                      "INPROGRESS"),
    "failed and in-progress": ([s("a", "INPROGRESS", "ci"), s("b", "FAILED", "ci")], "ci", "FAILED"),
    "parent names the key": ([s("ci-linux", "SUCCESSFUL", "ci")], "ci", None),
    "two children of the parent": ([s("ci-linux", "SUCCESSFUL", "ci"), s("ci-mac", "SUCCESSFUL", "ci")], "ci",
                                   None),
    "a failing child blocks the parent": ([s("ci-linux", "SUCCESSFUL", "ci"), s("ci-mac", "FAILED", "ci")], "ci",
                                          "FAILED"),
    "key of a status with a parent does not count": ([s("ci", "SUCCESSFUL", "pipeline")], "ci", MISSING),
    "key fallback only without a parent": ([s("ci", "SUCCESSFUL", "pipeline"), s("ci", "FAILED")], "ci", "FAILED"),
    "failing child of another parent does not block": ([s("ci", "SUCCESSFUL"), s("x", "FAILED", "other")], "ci",
                                                       None),
}


@pytest.mark.parametrize("name", list(KEY_CASES))
def test_key_state(name):
    statuses, key, expected = KEY_CASES[name]
    assert key_state(key, statuses) == expected


# --- whole verdicts --------------------------------------------------------------------------------

# name -> (conditions, statuses, source, target, canMerge, {condition id: (applies, [(key, state), ...])})
VERDICT_CASES = {
    "no conditions": ([], [], "refs/heads/feature/x", "refs/heads/main", True, {}),
    "passing": ([cond("ci")], [s("ci", "SUCCESSFUL")], "refs/heads/feature/x", "refs/heads/main", True,
                {1: (True, [])}),
    "failing": ([cond("ci")], [s("ci", "FAILED")], "refs/heads/feature/x", "refs/heads/main", False,
                {1: (True, [("ci", "FAILED")])}),
    "in-progress": ([cond("ci")], [s("ci", "INPROGRESS")], "refs/heads/feature/x", "refs/heads/main", False,
                    {1: (True, [("ci", "INPROGRESS")])}),
    "missing": ([cond("ci")], [], "refs/heads/feature/x", "refs/heads/main", False,
                {1: (True, [("ci", MISSING)])}),
    "cancelled only": ([cond("ci")], [s("ci", "CANCELLED")], None, "refs/heads/main", False,
                       {1: (True, [("ci", "CANCELLED")])}),
    "unknown only": ([cond("ci")], [s("ci", "UNKNOWN")], None, "refs/heads/main", False,
                     {1: (True, [("ci", "UNKNOWN")])}),
    "cancelled beside successful": ([cond("ci")], [s("a", "CANCELLED", "ci"), s("b", "SUCCESSFUL", "ci")], None,
                                    "refs/heads/main", True, {1: (True, [])}),
    "parent satisfies": ([cond("ci")], [s("ci-1", "SUCCESSFUL", "ci")], None, "refs/heads/main", True,
                         {1: (True, [])}),
    "key of a parented status does not satisfy": ([cond("ci")], [s("ci", "SUCCESSFUL", "other")], None,
                                                  "refs/heads/main", False, {1: (True, [("ci", MISSING)])}),
    "short target name": ([cond("ci")], [], None, "main", False, {1: (True, [("ci", MISSING)])}),
    "not applicable target": ([cond("ci")], [s("ci", "FAILED")], "refs/heads/feature/x", "refs/heads/develop",
                              True, {1: (False, [])}),
    "not applicable: tag target": ([cond("ci")], [], None, "refs/tags/main", True, {1: (False, [])}),
    "exempted source": ([cond("ci", exempt=HOTFIX)], [s("ci", "FAILED")], "refs/heads/hotfix/urgent",
                        "refs/heads/main", True, {1: (False, [])}),
    "exempted source by short name": ([cond("ci", exempt=HOTFIX)], [], "hotfix/urgent", "refs/heads/main", True,
                                      {1: (False, [])}),
    "exemption not matching the source": ([cond("ci", exempt=HOTFIX)], [s("ci", "FAILED")],
                                          "refs/heads/feature/x", "refs/heads/main", False,
                                          {1: (True, [("ci", "FAILED")])}),
    "no source: no exemption": ([cond("ci", exempt=ANY)], [], None, "refs/heads/main", False,
                                {1: (True, [("ci", MISSING)])}),
    "empty source: no exemption": ([cond("ci", exempt=ANY)], [], "", "refs/heads/main", False,
                                   {1: (True, [("ci", MISSING)])}),
    "exempt matcher is about the source, not the target": (
        [cond("ci", exempt=Matcher("BRANCH", "refs/heads/main"))], [], "refs/heads/feature/x", "refs/heads/main",
        False, {1: (True, [("ci", MISSING)])}),
    "several keys, some unmet": ([cond("ci", "lint", "sec")],
                                 [s("ci", "SUCCESSFUL"), s("lint", "INPROGRESS")], None, "refs/heads/main", False,
                                 {1: (True, [("lint", "INPROGRESS"), ("sec", MISSING)])}),
    "several conditions, all met": ([cond("ci", id=1), cond("lint", ref=ANY, id=2)],
                                    [s("ci", "SUCCESSFUL"), s("lint", "SUCCESSFUL")], None, "refs/heads/main", True,
                                    {1: (True, []), 2: (True, [])}),
    "several conditions, one unmet": ([cond("ci", id=1), cond("lint", ref=ANY, id=2)],
                                      [s("ci", "SUCCESSFUL"), s("lint", "FAILED")], None, "refs/heads/main", False,
                                      {1: (True, []), 2: (True, [("lint", "FAILED")])}),
    "several conditions, only the applying one counts": (
        [cond("ci", id=1), cond("deploy", ref=Matcher("BRANCH", "refs/heads/prod"), id=2)],
        [s("ci", "SUCCESSFUL")], None, "refs/heads/main", True, {1: (True, []), 2: (False, [])}),
    "several conditions, both unmet": ([cond("ci", id=1), cond("lint", ref=ANY, id=2)], [], None,
                                       "refs/heads/main", False,
                                       {1: (True, [("ci", MISSING)]), 2: (True, [("lint", MISSING)])}),
    "model branch follows the model": ([cond("ci", ref=Matcher("MODEL_BRANCH", "development"))], [], None,
                                       "refs/heads/main", False, {1: (True, [("ci", MISSING)])}),
    "production absent by default": ([cond("ci", ref=Matcher("MODEL_BRANCH", "production"))], [], None,
                                     "refs/heads/main", True, {1: (False, [])}),
}


@pytest.mark.parametrize("name", list(VERDICT_CASES))
def test_verdict(name):
    conditions, statuses, source, target, can_merge, expected = VERDICT_CASES[name]
    got = verdict(conditions, statuses, MODEL, source, target)
    assert set(got) == {"canMerge", "vetoes", "conditions"}
    assert got["canMerge"] is can_merge
    assert {c["id"]: (c["applies"], [(u["key"], u["state"]) for u in c["unmet"]]) for c in got["conditions"]} \
        == expected
    assert [c["id"] for c in got["conditions"]] == [c.id for c in conditions]  # every condition, in order
    for c, given in zip(got["conditions"], conditions):
        assert c["buildParentKeys"] == list(given.build_parent_keys)
    # A veto per blocking condition, and only when the merge is blocked.
    blocking = [cid for cid, (_, unmet) in expected.items() if unmet]
    assert len(got["vetoes"]) == len(blocking)
    assert (got["vetoes"] == []) is can_merge
    for veto in got["vetoes"]:
        assert set(veto) == {"summaryMessage", "detailedMessage"}
        assert veto["summaryMessage"] and veto["detailedMessage"]


def test_veto_names_each_unmet_key_and_its_state():
    got = verdict([cond("ci", "lint", "sec", "docs")],
                  [s("ci", "FAILED"), s("lint", "INPROGRESS"), s("docs", "CANCELLED")], MODEL, None,
                  "refs/heads/main")
    [veto] = got["vetoes"]
    detail = veto["detailedMessage"]
    for key, state in (("ci", "FAILED"), ("lint", "INPROGRESS"), ("docs", "CANCELLED")):
        assert f"'{key}'" in detail and state in detail, detail
    assert "'sec'" in detail and "no build status" in detail, detail
    assert detail.startswith("4 required builds"), detail


def test_veto_lists_only_the_unmet_keys():
    got = verdict([cond("ci", "lint")], [s("ci", "SUCCESSFUL")], MODEL, None, "refs/heads/main")
    [veto] = got["vetoes"]
    assert "'lint'" in veto["detailedMessage"] and "'ci'" not in veto["detailedMessage"]
    assert veto["detailedMessage"].startswith("1 required build must"), veto


def test_statuses_may_be_an_iterator():
    """The function reads the statuses once per key: a generator must work as well as a list."""
    got = verdict([cond("ci", "lint")], (x for x in [s("ci", "SUCCESSFUL"), s("lint", "SUCCESSFUL")]), MODEL,
                  None, "refs/heads/main")
    assert got["canMerge"] is True
