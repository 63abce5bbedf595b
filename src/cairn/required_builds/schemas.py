"""Wire shapes of required-builds conditions, ref matchers, the branching model and the verdict."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from pydantic import Field, StrictBool, field_validator, model_validator

from cairn.kit.schema import Schema, Text
from cairn.required_builds import refmatch

MAX_PARENT_KEYS = 100


class MatcherType(Schema):
    id: Text(32, required=True)
    name: str | None = Field(default=None, description="Filled in by the server")


class RefMatcher(Schema):
    """RestRefMatcher: on input only `id` and `type.id` count (displayId and type.name are filled in)."""

    id: Text(1024) | None = None
    display_id: str | None = Field(default=None, description="Filled in by the server")
    type: MatcherType

    @model_validator(mode="after")
    def _can_exist(self):
        # A matcher that cannot exist is a 400 naming it (unknown type or category, empty pattern...).
        self.id = refmatch.check(self.type.id, self.id or "")
        return self


class ConditionSetRequest(Schema):
    """RestRequiredBuildConditionSetRequest (plus the 10.x booleans, default true)."""

    build_parent_keys: list[Text(255, required=True)] = Field(min_length=1, max_length=MAX_PARENT_KEYS)
    ref_matcher: RefMatcher
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

class ModelBranchSetting(Schema):
    ref_id: Text(1024) | None = None
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

    @model_validator(mode="after")
    def _qualified(self):
        for setting in (self.development, self.production):
            if setting.ref_id is not None:
                setting.ref_id = refmatch.qualify(setting.ref_id)
        return self


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

