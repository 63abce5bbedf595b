"""Wire shapes of required-builds conditions, ref matchers, the branching model and the verdict."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, StrictBool, field_validator

from cairn.kit.schema import Schema, Text
from cairn.required_builds import refmatch

MAX_PARENT_KEYS = 100


class MatcherType(Schema):
    id: Text(32) | None = Field(default=None, json_schema_extra={"enum": list(refmatch.TYPE_NAMES)})
    name: str | None = Field(default=None, description="Filled in by the server")


class RefMatcher(Schema):
    """RestRefMatcher: on input only `id` and `type.id` count (displayId and type.name are filled in).

    Whether such a matcher can exist is the service's question (Bitbucket answers it with an
    ArgumentValidationException, not a field error).
    """

    id: Text(refmatch.MAX_REF) | None = None
    display_id: str | None = Field(default=None, description="Filled in by the server")
    type: MatcherType | None = None


class ConditionSetRequest(Schema):
    """RestRequiredBuildConditionSetRequest (plus the 10.x booleans, default true)."""

    build_parent_keys: list[Text(255, required=True)] = Field(min_length=1, max_length=MAX_PARENT_KEYS)
    ref_matcher: RefMatcher | None = Field(default=None, json_schema_extra={"description": "Required"})
    exempt_ref_matcher: RefMatcher | None = None
    required_for_pull_request: StrictBool = True
    required_for_merge_queue: StrictBool = True


class Condition(Schema):
    """RestRequiredBuildCondition (documentation shape of the responses)."""

    id: int
    build_parent_keys: list[str]
    ref_matcher: RefMatcher
    exempt_ref_matcher: RefMatcher | None = None
    required_for_pull_request: bool
    required_for_merge_queue: bool


def matcher_json(type_id: str, matcher_id: str) -> dict:
    return {"id": matcher_id, "displayId": refmatch.matcher_display_id(type_id, matcher_id),
            "type": {"id": type_id, "name": refmatch.TYPE_NAMES[type_id]}, "active": True}


def condition_json(row) -> dict:
    body = {"id": row.id, "buildParentKeys": json.loads(row.build_parent_keys),
            "refMatcher": matcher_json(row.ref_matcher_type, row.ref_matcher_id)}
    if row.exempt_matcher_type is not None:
        body["exemptRefMatcher"] = matcher_json(row.exempt_matcher_type, row.exempt_matcher_id)
    body["requiredForPullRequest"] = row.required_for_pull_request
    body["requiredForMergeQueue"] = row.required_for_merge_queue
    return body


# --- the branching model (decision D12) ---------------------------------------------------------

def _branch_ref(value):
    # A short name means refs/heads/<name>, before the length is checked on what is stored.
    if isinstance(value, str):
        if not value.strip():
            raise ValueError("must not be blank")
        return refmatch.qualify(value)
    return value


class ModelBranchSetting(Schema):
    ref_id: Annotated[Text(refmatch.MAX_REF), BeforeValidator(_branch_ref)] | None = None
    use_default: StrictBool = False


class CategorySetting(Schema):
    id: Literal["BUGFIX", "FEATURE", "HOTFIX", "RELEASE"]
    display_name: str | None = Field(default=None, description="Filled in by the server")
    enabled: StrictBool = True
    prefix: Text(255, required=True)

    @field_validator("prefix")
    @classmethod
    def _no_spaces(cls, value: str) -> str:
        if any(c.isspace() for c in value):
            raise ValueError("must not contain whitespace")
        return value


class BranchModelConfiguration(Schema):
    """The configuration resource: PUT replaces it; categories not listed keep their defaults."""

    development: ModelBranchSetting = Field(default_factory=lambda: ModelBranchSetting(use_default=True))
    production: ModelBranchSetting = Field(default_factory=ModelBranchSetting)
    types: Annotated[list[CategorySetting], Field(max_length=4)] = Field(default_factory=list)

    @field_validator("development")
    @classmethod
    def _development(cls, value: ModelBranchSetting) -> ModelBranchSetting:
        if not value.use_default and value.ref_id is None:
            raise ValueError("needs a refId unless useDefault is true")
        return value

    @field_validator("types")
    @classmethod
    def _once_each(cls, value: list[CategorySetting]) -> list[CategorySetting]:
        if len({t.id for t in value}) != len(value):
            raise ValueError("each branch type may be given once")
        return value


class ModelRef(Schema):
    id: str
    display_id: str
    type: Literal["BRANCH"]
    is_default: bool


class ModelCategory(Schema):
    id: str
    display_name: str
    prefix: str


class BranchModelOut(Schema):
    """The branching model as Bitbucket shows it: enabled categories only; production when configured."""

    development: ModelRef
    production: ModelRef | None = None
    types: list[ModelCategory]


class UnmetKey(Schema):
    key: str
    state: str = Field(description="MISSING, or the build state that keeps the key unmet")


class Veto(Schema):
    summary_message: str
    detailed_message: str


class ConditionVerdict(Schema):
    id: int
    build_parent_keys: list[str]
    applies: bool
    unmet: list[UnmetKey]


class Verdict(Schema):
    """Whether a merge may proceed, and why not (decision D17)."""

    can_merge: bool
    vetoes: list[Veto]
    conditions: list[ConditionVerdict]

