"""Wire shapes of Code Insights (RestSetInsightReportRequest, RestInsightReport, RestInsightAnnotation...)."""

from __future__ import annotations

import json
import math
from typing import Annotated, Any, Literal, Required

from pydantic import BeforeValidator, Field, StrictInt, ValidationInfo, WithJsonSchema, field_validator
from typing_extensions import TypedDict  # pydantic needs this one on Python < 3.12

from cairn.insights.fields import MAX_URL, TYPES, check_value
from cairn.kit.schema import INT32_MAX, INT64_MAX, Schema, Text, WebUrl

MAX_EXTERNAL_ID = 449  # "a string value shorter than 450 characters" (decision D13)
# A float createdDate below this is seconds (SonarQube's 1630041546.433); above, milliseconds sent as a float.
_SECONDS_BELOW = 1e11

Severity = Literal["LOW", "MEDIUM", "HIGH"]
AnnotationType = Literal["VULNERABILITY", "CODE_SMELL", "BUG"]
SEVERITIES: tuple[str, ...] = ("LOW", "MEDIUM", "HIGH")
ANNOTATION_TYPES: tuple[str, ...] = ("VULNERABILITY", "CODE_SMELL", "BUG")
Link = WebUrl(MAX_URL)


def _created_millis(value):
    # Milliseconds as the OpenAPI file says; SonarQube sends seconds as a float ("1630041546.433").
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("must be a number of milliseconds since the epoch")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("must be a number of milliseconds since the epoch")
        value = round(value * 1000) if abs(value) < _SECONDS_BELOW else round(value)
    if not 0 <= value <= INT64_MAX:
        raise ValueError("must be a non-negative number of milliseconds since the epoch")
    return value


CreatedDate = Annotated[int, BeforeValidator(_created_millis),
                        WithJsonSchema({"type": "number", "description": "milliseconds (integer) or seconds "
                                        "(a number with a fraction, as SonarQube sends)"}, mode="validation")]


class DataField(Schema):
    """RestInsightReportData: a title, an optional type and a value of that type."""

    title: Text(450, required=True)
    type: str | None = Field(default=None, json_schema_extra={"enum": list(TYPES)})
    value: Any = Field(json_schema_extra={"description": "a value of the field's type (see the module page)"})

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str | None) -> str | None:
        if value is not None and value not in TYPES:
            raise ValueError(f"'{value}' is not a data field type; use one of {', '.join(TYPES)}")
        return value

    @field_validator("value")
    @classmethod
    def _value_of_type(cls, value, info: ValidationInfo):
        if "type" in info.data:  # a bad type has its own error already
            check_value(info.data["type"], value)
        return value


class ReportSetRequest(Schema):
    """RestSetInsightReportRequest: the PUT that creates or replaces a report."""

    title: Text(450, required=True)
    details: Text(2000) | None = None
    result: Literal["PASS", "FAIL"] | None = None
    reporter: Text(450) | None = None
    link: Link | None = None
    logo_url: Link | None = None
    # Required in the OpenAPI file, optional in the module page; atlassian-python-api and reviewdog omit it.
    data: list[DataField] | None = Field(default=None, max_length=6)
    created_date: CreatedDate | None = None
    coverage_provider_key: Text(255) | None = None


class Report(Schema):
    """RestInsightReport (documentation shape of the responses)."""

    key: str
    title: str
    details: str | None = None
    result: Literal["PASS", "FAIL"] | None = None
    reporter: str | None = None
    link: str | None = None
    logo_url: str | None = None
    coverage_provider_key: str | None = None
    data: list[DataField]
    created_date: int


# A TypedDict, not a model, with members named as on the wire: validating 1000 took 1.4 ms instead of
# 2.2 ms (no model instance per annotation). Every member is present after validation (defaults filled in).
class AnnotationRequest(TypedDict, total=False):
    """RestSingleAddInsightAnnotationRequest."""

    message: Required[Text(2000, required=True)]
    severity: Required[Severity]
    type: Annotated[AnnotationType | None, Field(default=None)]
    path: Annotated[Text(50000) | None, Field(default=None)]
    line: Annotated[StrictInt, Field(ge=0, le=INT32_MAX, default=0)]
    link: Annotated[Link | None, Field(default=None)]
    externalId: Annotated[Text(MAX_EXTERNAL_ID) | None, Field(default=None)]


class AnnotationsRequest(Schema):
    """RestBulkAddInsightAnnotationRequest: at least one annotation."""

    annotations: list[AnnotationRequest] = Field(min_length=1)


class Annotation(Schema):
    """RestInsightAnnotation."""

    report_key: str
    external_id: str | None = None
    message: str
    severity: Severity
    type: AnnotationType | None = None
    path: str | None = None
    line: int
    link: str | None = None


class Annotations(Schema):
    """RestInsightAnnotationsResponse; `totalCount` as recorded Bitbucket responses carry it."""

    total_count: int
    annotations: list[Annotation]


def data_json(fields: list[DataField] | None) -> str:
    """The data fields as stored: each {title, value} plus type when given."""
    return json.dumps([f.model_dump(exclude_none=True, include={"title", "type"}) | {"value": f.value}
                       for f in fields or []])


def report_json(row) -> dict:
    """RestInsightReport from a stored row; absent values omitted."""
    body = {"key": row.key, "title": row.title}
    for field, column in (("details", "details"), ("result", "result"), ("reporter", "reporter"),
                          ("link", "link"), ("logoUrl", "logo_url"), ("coverageProviderKey", "coverage_provider_key")):
        value = getattr(row, column)
        if value is not None:
            body[field] = value
    body["data"] = json.loads(row.data)
    body["createdDate"] = row.created_date
    return body


def annotation_json(row) -> dict:
    """RestInsightAnnotation from a row of store.list_annotations, in its column order.

    Unpacked by position: reading 1000 rows by attribute name cost 4 ms of a 10 ms GET.
    """
    report_key, external_id, message, severity, type_, path, line, link = row
    body = {"reportKey": report_key}
    if external_id is not None:
        body["externalId"] = external_id
    body["message"] = message
    body["severity"] = severity
    if type_ is not None:
        body["type"] = type_
    if path is not None:
        body["path"] = path
    body["line"] = line
    if link is not None:
        body["link"] = link
    return body
