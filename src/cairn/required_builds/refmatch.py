"""Ref matchers and the branching model they can refer to (pure; spec/api-notes.md §10, decision D12)."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field

BRANCH_PREFIX = "refs/heads/"

# type id -> the name Bitbucket fills in
TYPE_NAMES = {"ANY_REF": "Any branch", "BRANCH": "Branch", "PATTERN": "Pattern",
              "MODEL_CATEGORY": "Branching model category", "MODEL_BRANCH": "Branching model branch"}
CATEGORIES = ("BUGFIX", "FEATURE", "HOTFIX", "RELEASE")
CATEGORY_NAMES = {"BUGFIX": "Bugfix", "FEATURE": "Feature", "HOTFIX": "Hotfix", "RELEASE": "Release"}
MODEL_BRANCHES = {"development": "Development", "production": "Production"}
ANY_REF_ID = "ANY_REF_MATCHER_ID"


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
        return qualify(matcher_id)
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


@functools.lru_cache(maxsize=1024)
def _pattern(pattern: str) -> re.Pattern:
    """Bitbucket's branch-permission patterns as a regex over the full ref name.

    `?` is one character but `/`, `*` any run without `/`, `**` any number of whole path segments; a
    trailing `/` means `/**`; the pattern has to match only a suffix of the ref that starts a segment
    (so `PROJECT-*` matches refs/heads/stable/PROJECT-1 and `heads/**/master` matches refs/heads/master).
    """
    if pattern.endswith("/"):
        pattern += "**"
    tail = ""
    if pattern.endswith("/**"):  # everything under foo/ (not foo itself: `feature/` is not a branch named feature)
        pattern, tail = pattern[:-3], "/.*"
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:[^/]*/)*")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    return re.compile(r"(?:^|/)" + "".join(out) + tail + r"\Z")


def matches(type_id: str, matcher_id: str, ref: str, model: BranchModel) -> bool:
    """Whether the matcher (as stored) matches `ref` (a full ref, or a branch's short name)."""
    ref = qualify(ref)
    if type_id == "ANY_REF":
        return True
    if type_id == "BRANCH":
        return ref == qualify(matcher_id)
    if type_id == "PATTERN":
        return _pattern(matcher_id).search(ref) is not None
    if type_id == "MODEL_CATEGORY":
        if not ref.startswith(BRANCH_PREFIX):
            return False
        name = ref[len(BRANCH_PREFIX):]
        return any(c.id == matcher_id and c.enabled and name.startswith(c.prefix) for c in model.categories)
    if type_id == "MODEL_BRANCH":
        target = model.development if matcher_id == "development" else model.production
        return target is not None and ref == target
    return False
