"""Ref matchers and the branching model they can refer to (pure; spec/api-notes.md §10, decision D12)."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

BRANCH_PREFIX = "refs/heads/"

# type id -> the name Bitbucket fills in
TYPE_NAMES = {"ANY_REF": "Any branch", "BRANCH": "Branch", "PATTERN": "Pattern",
              "MODEL_CATEGORY": "Branching model category", "MODEL_BRANCH": "Branching model branch"}
CATEGORIES = ("BUGFIX", "FEATURE", "HOTFIX", "RELEASE")
CATEGORY_NAMES = {"BUGFIX": "Bugfix", "FEATURE": "Feature", "HOTFIX": "Hotfix", "RELEASE": "Release"}
MODEL_BRANCHES = {"development": "Development", "production": "Production"}
ANY_REF_ID = "ANY_REF_MATCHER_ID"
MAX_REF = 1024  # as stored (and as Bitbucket's ref ids are limited)


@dataclass(frozen=True)
class Category:
    id: str
    prefix: str
    enabled: bool = True


@dataclass(frozen=True)
class BranchModel:
    """A repository's branching model, resolved: refs are fully qualified; production may be absent."""

    development: str
    production: str | None = None
    categories: tuple[Category, ...] = field(default_factory=lambda: default_categories())


def default_categories() -> tuple[Category, ...]:
    return tuple(Category(c, c.lower() + "/") for c in CATEGORIES)


def qualify(ref: str) -> str:
    """A branch given by its short name ("main") as the full ref ("refs/heads/main")."""
    return ref if ref.startswith("refs/") else BRANCH_PREFIX + ref


def display_id(ref: str) -> str:
    """What Bitbucket shows for a ref: the name without refs/heads/ or refs/tags/."""
    for prefix in (BRANCH_PREFIX, "refs/tags/"):
        if ref.startswith(prefix):
            return ref[len(prefix):]
    return ref


def check(type_id: str, matcher_id: str) -> str:
    """The matcher's id as stored (branches fully qualified); ValueError when no such matcher can exist."""
    if type_id not in TYPE_NAMES:
        raise ValueError(f"'{type_id}' is not a ref matcher type; use one of {', '.join(TYPE_NAMES)}")
    if type_id == "ANY_REF":
        return matcher_id or ANY_REF_ID
    if not matcher_id or not matcher_id.strip():
        raise ValueError(f"a {type_id} matcher needs an id")
    if type_id == "BRANCH":
        matcher_id = qualify(matcher_id)
        if len(matcher_id) > MAX_REF:
            raise ValueError(f"a branch is at most {MAX_REF} characters as refs/heads/...")
        return matcher_id
    if type_id == "MODEL_CATEGORY" and matcher_id not in CATEGORIES:
        raise ValueError(f"'{matcher_id}' is not a branching model category; use one of {', '.join(CATEGORIES)}")
    if type_id == "MODEL_BRANCH" and matcher_id not in MODEL_BRANCHES:
        raise ValueError(f"'{matcher_id}' is not a branching model branch; use development or production")
    return matcher_id


def matcher_display_id(type_id: str, matcher_id: str) -> str:
    if type_id == "BRANCH":
        return display_id(matcher_id)
    if type_id == "MODEL_CATEGORY":
        return CATEGORY_NAMES[matcher_id]
    if type_id == "MODEL_BRANCH":
        return MODEL_BRANCHES[matcher_id]
    return matcher_id


def _glob(pattern: str, name: str) -> bool:
    """One path segment: `?` is one character, `*` any run. Two pointers, no backtracking blow-up."""
    p = n = 0
    star, resume = -1, 0
    while n < len(name):
        if p < len(pattern) and pattern[p] in ("?", name[n]) and pattern[p] != "*":
            p, n = p + 1, n + 1
        elif p < len(pattern) and pattern[p] == "*":
            star, resume, p = p, n, p + 1
        elif star >= 0:
            resume += 1
            p, n = star + 1, resume
        else:
            return False
    return all(c == "*" for c in pattern[p:])


@functools.lru_cache(maxsize=1024)
def _segments(pattern: str) -> tuple[str, ...]:
    """The pattern as path segments: `**` alone is any number of segments; a trailing `/` (or `/**`) means
    everything under that folder, at least one segment (`feature/` is not a branch named feature)."""
    if pattern.endswith("/**"):
        pattern = pattern[:-2]
    parts = pattern.strip("/").split("/") if pattern.strip("/") else []
    if pattern.endswith("/"):
        parts += ["*", "**"]
    return tuple(parts)


def _pattern_matches(pattern: str, ref: str) -> bool:
    """Bitbucket's branch-permission patterns over the full ref name, which they only have to match a suffix
    of, starting at a segment (`PROJECT-*` matches refs/heads/stable/PROJECT-1, `heads/**/master` matches
    refs/heads/master). A table over (pattern segment, ref segment): time bounded by their product, never
    the exponential backtracking a regex of many `*` can take."""
    pat, names = _segments(pattern), ref.split("/")
    if not pat:
        return False
    # following[j]: the pattern from segment i on matches names[j:] exactly (filled from the last i back).
    following = [False] * len(names) + [True]
    for part in reversed(pat):
        current = [False] * (len(names) + 1)
        for j in range(len(names), -1, -1):
            if part == "**":
                current[j] = following[j] or (j < len(names) and current[j + 1])
            else:
                current[j] = j < len(names) and following[j + 1] and _glob(part, names[j])
        following = current
    return any(following[:len(names)])


def matches(type_id: str, matcher_id: str, ref: str, model: BranchModel) -> bool:
    """Whether the matcher (as stored) matches `ref` (a full ref, or a branch's short name)."""
    ref = qualify(ref)
    if type_id == "ANY_REF":
        return True
    if type_id == "BRANCH":
        return ref == qualify(matcher_id)
    if type_id == "PATTERN":
        return _pattern_matches(matcher_id, ref)
    if type_id == "MODEL_CATEGORY":
        if not ref.startswith(BRANCH_PREFIX):
            return False
        name = ref[len(BRANCH_PREFIX):]
        return any(c.id == matcher_id and c.enabled and name.startswith(c.prefix) for c in model.categories)
    if type_id == "MODEL_BRANCH":
        target = model.development if matcher_id == "development" else model.production
        return target is not None and ref == target
    return False
