"""Wire shapes of build statuses (RestBuildStatusSetRequest, RestBuildStatus, RestBuildStats)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AliasChoices, BeforeValidator, Field, StrictInt, field_validator

from cairn.builds.states import BuildState
from cairn.kit.schema import INT32_MAX, INT64_MAX, Schema, Text, TextOrInteger


def _not_boolean(value):
    # Jackson does not read true/false as a number; pydantic would read them as 1/0.
    if isinstance(value, bool):
        raise ValueError("must be an integer")
    return value


# The counters are int32 and the times int64 on the wire (and in the database): larger is a 400, not a 500.
NonNegative = Annotated[StrictInt, Field(ge=0, le=INT32_MAX)]
Millis = Annotated[int, Field(ge=0, le=INT64_MAX), BeforeValidator(_not_boolean)]
# The module page calls it `dateAdded`, the OpenAPI file `lastUpdated`: accept both.
_LAST_UPDATED = Field(default=None, validation_alias=AliasChoices("lastUpdated", "dateAdded"))


class TestResults(Schema):
    successful: NonNegative = 0
    failed: NonNegative = 0
    skipped: NonNegative = 0


class BuildStatusSetRequest(Schema):
    """RestBuildStatusSetRequest: the repository-scoped POST."""

    key: Text(255, required=True)
    state: BuildState
    url: Text(450, required=True)
    build_number: TextOrInteger(255) | None = None
    name: Text(255) | None = None
    # No limit in the OpenAPI file; 4000 is cairn's guard against unbounded text.
    description: Text(4000) | None = None
    duration: Millis | None = None
    parent: Text(1024) | None = None
    ref: Text(1024) | None = None
    test_results: TestResults | None = None
    last_updated: Millis | None = _LAST_UPDATED

    @field_validator("ref")
    @classmethod
    def _fully_qualified(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("refs/"):
            raise ValueError("must be a fully qualified ref starting with 'refs/', e.g. refs/heads/main")
        return value


class LegacyBuildStatusRequest(Schema):
    """The legacy POST: state, key and url required; every field at most 255 characters except url (450)."""

    key: Text(255, required=True)
    state: BuildState
    url: Text(450, required=True)
    name: Text(255) | None = None
    description: Text(255) | None = None
    last_updated: Millis | None = _LAST_UPDATED


class BuildStatus(Schema):
    """RestBuildStatus (documentation shape of the responses)."""

    key: str
    state: BuildState
    url: str
    name: str | None = None
    description: str | None = None
    build_number: str | None = None
    parent: str | None = None
    ref: str | None = None
    duration: int | None = None
    test_results: TestResults | None = None
    created_date: int
    updated_date: int
    project_key: str | None = None
    repository_slug: str | None = None
    date_added: int | None = Field(default=None, description="legacy listing only; equals updatedDate")


class BuildStats(Schema):
    """RestBuildStats: all five counters, always present."""

    successful: int
    failed: int
    in_progress: int
    cancelled: int
    unknown: int
    results: list[BuildStatus] | None = Field(default=None, description="includeUnique=true and one build only")


def status_json(row, *, legacy_listing: bool = False) -> dict:
    """RestBuildStatus from a stored row; absent values omitted."""
    body = {"key": row.key, "state": row.state, "url": row.url}
    for field, column in (("name", "name"), ("description", "description"), ("buildNumber", "build_number"),
                          ("parent", "parent"), ("ref", "ref"), ("duration", "duration")):
        value = getattr(row, column)
        if value is not None:
            body[field] = value
    if row.tests_successful is not None:
        body["testResults"] = {"successful": row.tests_successful, "failed": row.tests_failed,
                               "skipped": row.tests_skipped}
    body["createdDate"] = row.created_date
    body["updatedDate"] = row.updated_date
    if row.project_key is not None:
        body["projectKey"] = row.project_key
        body["repositorySlug"] = row.repository_slug
    if legacy_listing:
        body["dateAdded"] = row.updated_date  # older clients read dateAdded
    return body
