"""The server's own OpenAPI document: FastAPI's, corrected to say what cairn really answers."""

from __future__ import annotations

import inspect
import warnings
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from pydantic import Field, create_model

from cairn.auth.schemas import User
from cairn.builds.schemas import BuildStatus
from cairn.deployments.schemas import Deployment
from cairn.events import schemas as events
from cairn.insights.schemas import Report
from cairn.kit.entities import Repository
from cairn.kit.schema import Schema

OPENAPI_PATH = "/rest/openapi.json"

ERROR_MEDIA_TYPE = "application/json;charset=UTF-8"
_ERRORS_REF = {"$ref": "#/components/schemas/Errors"}
_ERRORS_SCHEMA = {
    "title": "Errors",
    "description": "Bitbucket's error body: every key present, null when empty.",
    "type": "object",
    "required": ["errors"],
    "properties": {"errors": {"type": "array", "items": {
        "type": "object",
        "required": ["context", "message", "exceptionName"],
        "properties": {
            "context": {"anyOf": [{"type": "string"}, {"type": "null"}],
                        "description": "The field a validation error is about"},
            "message": {"type": "string"},
            "exceptionName": {"anyOf": [{"type": "string"}, {"type": "null"}],
                              "description": "Fully qualified Java exception name, as Bitbucket reports it"},
        }}}},
}
_ERROR_DESCRIPTIONS = {
    "400": "Invalid input: a missing, malformed or out-of-range parameter or body member (named in `context`)",
    "401": "Missing or bad credentials, or the caller lacks the permission this operation needs",
    "404": "The project, repository, user or token does not exist or the caller cannot see it",
}


def _document_errors(operation: dict[str, Any], path: str) -> None:
    """Replace FastAPI's 422 (cairn never answers it) by the errors cairn really answers, in its body."""
    responses = operation.setdefault("responses", {})
    responses.pop("422", None)
    codes = ["401"]  # every route resolves the caller: bad credentials are a 401 even where anonymous is fine
    if operation.get("parameters") or operation.get("requestBody"):
        codes.append("400")
    if "{projectKey}" in path or "{userSlug}" in path:
        codes.append("404")
    for code in codes:
        entry = responses.setdefault(code, {"description": _ERROR_DESCRIPTIONS[code]})
        entry.setdefault("content", {ERROR_MEDIA_TYPE: {"schema": _ERRORS_REF}})
    for code, entry in responses.items():
        if code[0] in "45" and "content" not in entry:
            entry["content"] = {ERROR_MEDIA_TYPE: {"schema": _ERRORS_REF}}
    operation["responses"] = dict(sorted(responses.items()))


class _Annotations(Schema):
    report_key: str
    count: int = Field(description="How many annotations were added or deleted")


class _Event(Schema):
    event_key: str
    date: str = Field(description="When, to the second: 2026-12-07T09:58:11+0000")
    actor: User
    repository: Repository
    commit: str = Field(description="The commit id")


# event -> (when it fires, the payload's entity member, its shape)
_EVENTS = {
    events.BUILD_STATUS_SET: ("A build status is created or replaced", "buildStatus", BuildStatus),
    events.BUILD_STATUS_DELETED: ("A build status is deleted (as it was)", "buildStatus", BuildStatus),
    events.REPORT_SET: ("A Code Insights report is created or replaced", "report", Report),
    events.REPORT_DELETED: ("A report and its annotations are deleted (as it was)", "report", Report),
    events.ANNOTATIONS_ADDED: ("Annotations are added to a report, or one is set", "annotations", _Annotations),
    events.ANNOTATIONS_DELETED: ("Annotations of a report are deleted", "annotations", _Annotations),
    events.DEPLOYMENT_SET: ("A deployment is created or updated", "deployment", Deployment),
    events.DEPLOYMENT_DELETED: ("A deployment is deleted (as it was)", "deployment", Deployment),
}
_DELIVERY = ("cairn POSTs this to each active webhook of the repository or its project that listens to the event, "
             "with the headers X-Event-Key, X-Request-Id, X-Cairn-Event-Id, X-Hub-Signature (sha256=HMAC-SHA256 of "
             "the body with the webhook's secret, when it has one) and Authorization (its credentials, when set). "
             "The live stream (GET .../events) sends the same body as an event's data.")


def document_events(app: FastAPI) -> None:
    """The events cairn fires, in the document's `webhooks` section (what a receiver gets)."""
    for key, (when, member, entity) in _EVENTS.items():
        payload = create_model(f"Event_{key.replace(':', '_')}", __base__=_Event, **{member: (entity, ...)})

        async def receive(body):  # (documentation only: nothing calls it)
            return None

        receive.__signature__ = inspect.Signature(
            [inspect.Parameter("body", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=payload)])
        app.webhooks.add_api_route(key, receive, methods=["POST"], summary=when, description=_DELIVERY,
                                   operation_id=f"event_{key.replace(':', '_')}", tags=["Events (cairn)"])


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document, corrected to say what cairn really answers."""
    with warnings.catch_warnings():
        # GET,HEAD /rest/ is one route and so one operationId for two methods; made unique below.
        warnings.filterwarnings("ignore", message="Duplicate Operation ID")
        document = get_openapi(title=app.title, version=app.version, description=app.description,
                               routes=app.routes, webhooks=app.webhooks.routes, servers=app.servers,
                               tags=app.openapi_tags)
    seen: set[str] = set()
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if operation.get("operationId") in seen:
                operation["operationId"] += f"_{method}"
            seen.add(operation.get("operationId"))
            _document_errors(operation, path)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    for unused in ("HTTPValidationError", "ValidationError"):
        schemas.pop(unused, None)
    schemas["Errors"] = _ERRORS_SCHEMA
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve the corrected document at OPENAPI_PATH (built once, on first use)."""
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = openapi_document(app)
        return app.openapi_schema

    app.openapi = openapi
