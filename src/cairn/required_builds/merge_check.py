"""The merge verdict: a pure function of conditions, build statuses and the branching model (decision D17)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from cairn.required_builds.refmatch import BranchModel, matches

MISSING = "MISSING"


@dataclass(frozen=True)
class Matcher:
    type_id: str
    id: str


@dataclass(frozen=True)
class Condition:
    id: int
    build_parent_keys: tuple[str, ...]
    ref_matcher: Matcher
    exempt_ref_matcher: Matcher | None = None


@dataclass(frozen=True)
class Status:
    """A repository-scoped build status on the commit (legacy statuses never count)."""

    key: str
    parent: str | None
    state: str


def key_state(parent_key: str, statuses: Iterable[Status]) -> str | None:
    """None when the key is met, else the state that keeps it unmet (MISSING when no status names it).

    Met: at least one SUCCESSFUL status with that parent (or that key, when it has no parent) and none
    FAILED or INPROGRESS. CANCELLED and UNKNOWN neither meet nor block.
    """
    states = {s.state for s in statuses if (s.parent if s.parent is not None else s.key) == parent_key}
    for blocking in ("FAILED", "INPROGRESS"):
        if blocking in states:
            return blocking
    if "SUCCESSFUL" in states:
        return None
    for other in ("CANCELLED", "UNKNOWN"):
        if other in states:
            return other
    return MISSING


def _applies(condition: Condition, source_ref: str | None, target_ref: str, model: BranchModel) -> bool:
    if not matches(condition.ref_matcher.type_id, condition.ref_matcher.id, target_ref, model):
        return False
    exempt = condition.exempt_ref_matcher
    # Without a source ref nothing is exempt.
    return not (exempt is not None and source_ref
                and matches(exempt.type_id, exempt.id, source_ref, model))


def _describe(unmet: list[dict]) -> str:
    parts = [f"'{u['key']}' has no build status" if u["state"] == MISSING else f"'{u['key']}' is {u['state']}"
             for u in unmet]
    count = len(unmet)
    return (f"{count} required build{'s' if count != 1 else ''} must succeed before this merge: "
            + "; ".join(parts) + ".")


def verdict(conditions: Iterable[Condition], statuses: Iterable[Status], model: BranchModel,
            source_ref: str | None, target_ref: str) -> dict:
    """{"canMerge", "vetoes", "conditions"}: every applying condition's keys must be met."""
    statuses = list(statuses)
    vetoes, results = [], []
    for condition in conditions:
        applies = _applies(condition, source_ref, target_ref, model)
        unmet = []
        if applies:
            for key in condition.build_parent_keys:
                state = key_state(key, statuses)
                if state is not None:
                    unmet.append({"key": key, "state": state})
        if unmet:
            vetoes.append({"summaryMessage": "Not all required builds are successful yet",
                           "detailedMessage": _describe(unmet)})
        results.append({"id": condition.id, "buildParentKeys": list(condition.build_parent_keys),
                        "applies": applies, "unmet": unmet})
    return {"canMerge": not vetoes, "vetoes": vetoes, "conditions": results}
