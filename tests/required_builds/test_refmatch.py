"""Ref matchers as a pure table (spec/api-notes.md §10, decision D12): every type, patterns, the branching model."""

from __future__ import annotations

import pytest

from cairn.required_builds.refmatch import BranchModel, Category, check, default_categories, display_id, matches

DEFAULT = BranchModel("refs/heads/main")  # development = the default branch, no production, default prefixes
DEVELOP_DEFAULT = BranchModel("refs/heads/develop")  # a repository whose default branch is develop
CONFIGURED = BranchModel("refs/heads/develop", "refs/heads/prod",
                         (Category("BUGFIX", "fix/"), Category("FEATURE", "feat/"),
                          Category("HOTFIX", "hotfix/", enabled=False), Category("RELEASE", "release/")))

# (type, matcher id, ref, model, expected)
CASES = [
    # ANY_REF: everything, branches and tags alike
    ("ANY_REF", "ANY_REF_MATCHER_ID", "refs/heads/main", DEFAULT, True),
    ("ANY_REF", "ANY_REF_MATCHER_ID", "refs/heads/feature/deep/x", DEFAULT, True),
    ("ANY_REF", "ANY_REF_MATCHER_ID", "refs/tags/v1.0", DEFAULT, True),
    ("ANY_REF", "ANY_REF_MATCHER_ID", "anything", DEFAULT, True),
    # BRANCH: one branch, given short or fully qualified
    ("BRANCH", "refs/heads/main", "refs/heads/main", DEFAULT, True),
    ("BRANCH", "main", "refs/heads/main", DEFAULT, True),
    ("BRANCH", "refs/heads/main", "main", DEFAULT, True),
    ("BRANCH", "main", "main", DEFAULT, True),
    ("BRANCH", "refs/heads/main", "refs/heads/main2", DEFAULT, False),
    ("BRANCH", "refs/heads/main", "refs/heads/feature/main", DEFAULT, False),
    ("BRANCH", "refs/heads/main", "refs/heads/Main", DEFAULT, False),
    ("BRANCH", "main", "refs/tags/main", DEFAULT, False),
    ("BRANCH", "refs/heads/release/1.0", "refs/heads/release/1.0", DEFAULT, True),
    # PATTERN: `*` within one segment
    ("PATTERN", "feature/*", "refs/heads/feature/x", DEFAULT, True),
    ("PATTERN", "feature/*", "refs/heads/feature/", DEFAULT, True),
    ("PATTERN", "feature/*", "refs/heads/feature/a/b", DEFAULT, False),
    ("PATTERN", "feature/*", "refs/heads/bugfix/x", DEFAULT, False),
    ("PATTERN", "*", "refs/heads/main", DEFAULT, True),
    ("PATTERN", "rel*", "refs/heads/release", DEFAULT, True),
    ("PATTERN", "refs/heads/*", "refs/heads/main", DEFAULT, True),
    ("PATTERN", "refs/heads/*", "refs/heads/feature/x", DEFAULT, False),
    # `**`: any number of whole segments
    ("PATTERN", "refs/heads/**", "refs/heads/feature/a/b", DEFAULT, True),
    ("PATTERN", "refs/**/main", "refs/heads/main", DEFAULT, True),
    ("PATTERN", "refs/**/main", "refs/heads/team/main", DEFAULT, True),
    ("PATTERN", "**/master", "refs/heads/master", DEFAULT, True),
    ("PATTERN", "**/master", "refs/heads/xmaster", DEFAULT, False),
    ("PATTERN", "heads/**/master", "refs/heads/master", DEFAULT, True),
    ("PATTERN", "heads/**/master", "refs/heads/feature/master", DEFAULT, True),
    ("PATTERN", "heads/**/master", "refs/heads/a/b/c/master", DEFAULT, True),
    ("PATTERN", "heads/**/master", "refs/heads/master-2", DEFAULT, False),
    ("PATTERN", "heads/**/master", "refs/tags/master", DEFAULT, False),
    # `?`: exactly one character, never `/`
    ("PATTERN", "release-?", "refs/heads/release-1", DEFAULT, True),
    ("PATTERN", "release-?", "refs/heads/release-10", DEFAULT, False),
    ("PATTERN", "release-?", "refs/heads/release-", DEFAULT, False),
    ("PATTERN", "a?b", "refs/heads/a/b", DEFAULT, False),
    ("PATTERN", "v?.?", "refs/tags/v1.2", DEFAULT, True),
    # a trailing `/` means `/**`
    ("PATTERN", "feature/", "refs/heads/feature/x", DEFAULT, True),
    ("PATTERN", "feature/", "refs/heads/feature/a/b/c", DEFAULT, True),
    ("PATTERN", "feature/", "refs/heads/features/x", DEFAULT, False),
    ("PATTERN", "feature/", "refs/heads/bugfix/featurex", DEFAULT, False),
    ("PATTERN", "heads/release/", "refs/heads/release/2.0/rc1", DEFAULT, True),
    # ... everything under the folder, not a branch named like the folder
    ("PATTERN", "feature/", "refs/heads/feature", DEFAULT, False),
    ("PATTERN", "feature/", "refs/heads/bugfix/feature", DEFAULT, False),
    # a suffix of the full ref name that starts a segment
    ("PATTERN", "PROJECT-*", "refs/heads/stable/PROJECT-1", DEFAULT, True),
    ("PATTERN", "PROJECT-*", "refs/heads/PROJECT-1234", DEFAULT, True),
    ("PATTERN", "PROJECT-*", "refs/heads/MYPROJECT-1", DEFAULT, False),
    ("PATTERN", "PROJECT-*", "refs/heads/project-1", DEFAULT, False),
    ("PATTERN", "main", "refs/heads/main", DEFAULT, True),
    ("PATTERN", "main", "refs/heads/not-main", DEFAULT, False),
    ("PATTERN", "main", "refs/heads/main/x", DEFAULT, False),
    ("PATTERN", "heads/main", "refs/heads/main", DEFAULT, True),
    ("PATTERN", "refs/heads/main", "refs/heads/main", DEFAULT, True),
    ("PATTERN", "stable/*", "refs/heads/team/stable/x", DEFAULT, True),
    # regex metacharacters are literal
    ("PATTERN", "v1.0", "refs/tags/v1x0", DEFAULT, False),
    ("PATTERN", "fix+(1)", "refs/heads/fix+(1)", DEFAULT, True),
    # tags
    ("PATTERN", "refs/tags/*", "refs/tags/v1.0", DEFAULT, True),
    ("PATTERN", "refs/tags/*", "refs/heads/v1.0", DEFAULT, False),
    ("PATTERN", "tags/**", "refs/tags/release/1.0", DEFAULT, True),
    ("PATTERN", "v*", "refs/tags/v2.3.4", DEFAULT, True),
    ("PATTERN", "tags/", "refs/tags/v1", DEFAULT, True),
    ("PATTERN", "tags/", "refs/heads/v1", DEFAULT, False),
    # MODEL_CATEGORY with the default prefixes
    ("MODEL_CATEGORY", "FEATURE", "refs/heads/feature/login", DEFAULT, True),
    ("MODEL_CATEGORY", "FEATURE", "feature/login", DEFAULT, True),
    ("MODEL_CATEGORY", "FEATURE", "refs/heads/feature/a/b", DEFAULT, True),
    ("MODEL_CATEGORY", "BUGFIX", "refs/heads/bugfix/crash", DEFAULT, True),
    ("MODEL_CATEGORY", "HOTFIX", "refs/heads/hotfix/1.0.1", DEFAULT, True),
    ("MODEL_CATEGORY", "RELEASE", "refs/heads/release/1.0", DEFAULT, True),
    ("MODEL_CATEGORY", "FEATURE", "refs/heads/bugfix/crash", DEFAULT, False),
    ("MODEL_CATEGORY", "FEATURE", "refs/heads/feature", DEFAULT, False),
    ("MODEL_CATEGORY", "FEATURE", "refs/heads/Feature/x", DEFAULT, False),
    ("MODEL_CATEGORY", "FEATURE", "refs/heads/team/feature/x", DEFAULT, False),
    ("MODEL_CATEGORY", "RELEASE", "refs/tags/release/1.0", DEFAULT, False),
    ("MODEL_CATEGORY", "FEATURE", "refs/tags/feature/x", DEFAULT, False),
    # ... with a changed prefix and a disabled category
    ("MODEL_CATEGORY", "FEATURE", "refs/heads/feat/login", CONFIGURED, True),
    ("MODEL_CATEGORY", "FEATURE", "refs/heads/feature/login", CONFIGURED, False),
    ("MODEL_CATEGORY", "BUGFIX", "refs/heads/fix/crash", CONFIGURED, True),
    ("MODEL_CATEGORY", "BUGFIX", "refs/heads/bugfix/crash", CONFIGURED, False),
    ("MODEL_CATEGORY", "HOTFIX", "refs/heads/hotfix/1.0.1", CONFIGURED, False),
    ("MODEL_CATEGORY", "RELEASE", "refs/heads/release/2.0", CONFIGURED, True),
    # MODEL_BRANCH development: the default branch, or the configured one
    ("MODEL_BRANCH", "development", "refs/heads/main", DEFAULT, True),
    ("MODEL_BRANCH", "development", "main", DEFAULT, True),
    ("MODEL_BRANCH", "development", "refs/heads/develop", DEFAULT, False),
    ("MODEL_BRANCH", "development", "refs/heads/develop", DEVELOP_DEFAULT, True),
    ("MODEL_BRANCH", "development", "refs/heads/main", DEVELOP_DEFAULT, False),
    ("MODEL_BRANCH", "development", "refs/heads/develop", CONFIGURED, True),
    ("MODEL_BRANCH", "development", "refs/heads/main", CONFIGURED, False),
    ("MODEL_BRANCH", "development", "refs/tags/main", DEFAULT, False),
    # MODEL_BRANCH production: none by default, else the configured one
    ("MODEL_BRANCH", "production", "refs/heads/main", DEFAULT, False),
    ("MODEL_BRANCH", "production", "refs/heads/prod", DEFAULT, False),
    ("MODEL_BRANCH", "production", "refs/heads/prod", CONFIGURED, True),
    ("MODEL_BRANCH", "production", "prod", CONFIGURED, True),
    ("MODEL_BRANCH", "production", "refs/heads/develop", CONFIGURED, False),
]


def _id(case) -> str:
    type_id, matcher_id, ref, model, expected = case
    name = {id(DEFAULT): "default", id(DEVELOP_DEFAULT): "develop-default", id(CONFIGURED): "configured"}[id(model)]
    return f"{type_id}:{matcher_id}~{ref}@{name}->{expected}"


def test_table_is_large_and_covers_every_type():
    assert len(CASES) >= 40
    assert {c[0] for c in CASES} == {"ANY_REF", "BRANCH", "PATTERN", "MODEL_CATEGORY", "MODEL_BRANCH"}
    for type_id in ("ANY_REF", "BRANCH", "PATTERN", "MODEL_CATEGORY", "MODEL_BRANCH"):
        outcomes = {c[4] for c in CASES if c[0] == type_id}
        assert outcomes == ({True} if type_id == "ANY_REF" else {True, False}), type_id


@pytest.mark.parametrize("case", CASES, ids=[_id(c) for c in CASES])
def test_matches(case):
    type_id, matcher_id, ref, model, expected = case
    assert matches(type_id, matcher_id, ref, model) is expected


@pytest.mark.parametrize("case", [c for c in CASES if c[0] == "BRANCH"], ids=lambda c: f"{c[1]}~{c[2]}")
def test_branch_matcher_as_stored_by_check_agrees(case):
    """What the API stores (check() qualifies the id) matches the same refs as the id given."""
    type_id, matcher_id, ref, model, expected = case
    assert matches(type_id, check(type_id, matcher_id), ref, model) is expected


def test_default_model_has_bitbucket_defaults():
    assert DEFAULT.production is None
    assert [(c.id, c.prefix, c.enabled) for c in default_categories()] == [
        ("BUGFIX", "bugfix/", True), ("FEATURE", "feature/", True), ("HOTFIX", "hotfix/", True),
        ("RELEASE", "release/", True)]


# --- check(): matchers that can and cannot exist ----------------------------------------------------

@pytest.mark.parametrize("type_id, given, stored", [
    ("ANY_REF", "", "ANY_REF_MATCHER_ID"),
    ("ANY_REF", "ANY_REF_MATCHER_ID", "ANY_REF_MATCHER_ID"),
    ("BRANCH", "main", "refs/heads/main"),
    ("BRANCH", "refs/heads/main", "refs/heads/main"),
    ("BRANCH", "release/1.0", "refs/heads/release/1.0"),
    ("PATTERN", "feature/*", "feature/*"),
    ("PATTERN", "heads/**/master", "heads/**/master"),
    ("MODEL_CATEGORY", "FEATURE", "FEATURE"),
    ("MODEL_CATEGORY", "RELEASE", "RELEASE"),
    ("MODEL_BRANCH", "development", "development"),
    ("MODEL_BRANCH", "production", "production"),
])
def test_check_accepts_and_normalises(type_id, given, stored):
    assert check(type_id, given) == stored


@pytest.mark.parametrize("type_id, given, named", [
    ("NOPE", "main", "NOPE"),
    ("branch", "main", "branch"),  # type ids are case-sensitive
    ("", "main", ""),
    ("MODEL_CATEGORY", "EPIC", "EPIC"),
    ("MODEL_CATEGORY", "feature", "feature"),
    ("MODEL_CATEGORY", "", None),
    ("MODEL_BRANCH", "staging", "staging"),
    ("MODEL_BRANCH", "Development", "Development"),
    ("MODEL_BRANCH", "", None),
    ("PATTERN", "", None),
    ("PATTERN", "   ", None),
    ("BRANCH", "", None),
    ("BRANCH", "  ", None),
])
def test_check_rejects_impossible_matchers(type_id, given, named):
    with pytest.raises(ValueError) as raised:
        check(type_id, given)
    if named:
        assert f"'{named}'" in str(raised.value)


@pytest.mark.parametrize("ref, shown", [
    ("refs/heads/main", "main"), ("refs/heads/feature/x", "feature/x"), ("refs/tags/v1.0", "v1.0"),
    ("refs/notes/x", "refs/notes/x")])
def test_display_id(ref, shown):
    assert display_id(ref) == shown


def test_many_stars_cannot_stall_the_server():
    # A regex of `*a*a...*b` backtracks exponentially on a long run of a's; the segment table does not.
    assert not matches("PATTERN", "*a" * 12 + "*b", "refs/heads/" + "a" * 1000, DEFAULT)
