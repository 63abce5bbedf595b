"""Wire shapes of webhooks (RestWebhook, RestWebhookCredentials, RestDetailedInvocation, RestInvocationHistory)."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from cairn.events.schemas import keys_of
from cairn.kit.schema import Schema, Text

REPOSITORY, PROJECT = "repository", "project"
OUTCOMES = ("SUCCESS", "FAILURE", "ERROR")
MAX_URL = 2048  # cairn's guard; Bitbucket documents none


class Credentials(Schema):
    """RestWebhookCredentials: HTTP Basic credentials the receiver asks for."""

    username: Text(255) | None = None
    password: Text(255) | None = None


class Configuration(Schema):
    secret: Text(255) | None = Field(default=None, description="Signs each body: X-Hub-Signature sha256=HMAC")


class WebhookRequest(Schema):
    """RestWebhook as a create or update body. On update, members left out keep their value; a configuration
    without `secret` keeps the secret, and "secret": "" removes it (cairn's rule: the API never shows it)."""

    name: Text(255) | None = None
    url: Text(MAX_URL) | None = None
    active: bool | None = None
    events: list[str] | None = None
    configuration: Configuration | None = None
    credentials: Credentials | None = None
    ssl_verification_required: bool | None = None


class Webhook(Schema):
    """RestWebhook as answered (documentation shape)."""

    id: int
    name: str
    created_date: int
    updated_date: int
    events: list[str]
    configuration: dict[str, Any]
    url: str
    active: bool
    scope_type: str
    ssl_verification_required: bool
    credentials: Credentials | SkipJsonSchema[None] = None
    statistics: dict[str, Any] | SkipJsonSchema[None] = None


class InvocationRequest(Schema):
    url: str
    method: str
    request_id: str | None = None


class InvocationResult(Schema):
    outcome: str | None = Field(description="SUCCESS (2xx), FAILURE (another status) or ERROR (no answer)")
    description: str = Field(description="The response's first bytes, or the error")
    status_code: int | None = None
    attempts: int
    state: str = Field(description="PENDING (to be tried again), SUCCESS, FAILURE or ERROR (given up)")


class Invocation(Schema):
    """RestDetailedInvocation: one delivery, as its last attempt went."""

    id: int
    event: str
    event_scope: dict[str, str]
    start: int | None
    finish: int | None
    duration: int | None
    request: InvocationRequest
    result: InvocationResult


class Counts(Schema):
    successes: int
    failures: int
    errors: int
    window: int = Field(description="The milliseconds the counts cover")


class InvocationHistory(Schema):
    """RestInvocationHistory."""

    last_success: Invocation | SkipJsonSchema[None] = None
    last_failure: Invocation | SkipJsonSchema[None] = None
    last_error: Invocation | SkipJsonSchema[None] = None
    counts: Counts | SkipJsonSchema[None] = None


class TestExchange(Schema):
    """RestWebhookRequestResponse: what the test sent, and what came back (or the error)."""

    request: dict[str, Any]
    response: dict[str, Any] | SkipJsonSchema[None] = None
    error: str | SkipJsonSchema[None] = None


def webhook_json(row, statistics: dict | None = None) -> dict:
    """RestWebhook. The secret and the password are write-only: a repository admin may replace them, never
    read them back (cairn's decision: Bitbucket's documents do not say)."""
    body = {"id": row.id, "name": row.name, "createdDate": row.created_date, "updatedDate": row.updated_date,
            "events": keys_of(row.event_mask), "configuration": {}, "url": row.url, "active": bool(row.active),
            "scopeType": PROJECT if row.repository_id is None else REPOSITORY,
            "sslVerificationRequired": bool(row.ssl_verification)}
    if row.username:
        body["credentials"] = {"username": row.username}
    if statistics is not None:
        body["statistics"] = statistics
    return body


def invocation_json(row) -> dict:
    """RestDetailedInvocation: one delivery's last attempt."""
    return {"id": row.id, "event": row.event_key,
            "eventScope": {"type": REPOSITORY, "id": str(row.repository_id)},
            "start": row.started, "finish": row.finished,
            "duration": None if row.started is None else row.finished - row.started,
            "request": {"url": row.url, "method": "POST", "requestId": row.request_id},
            "result": {"outcome": row.outcome, "description": row.description or "",
                       "statusCode": row.status_code, "attempts": row.attempts, "state": row.state}}


def counts_json(counts: dict[str, int], window: int) -> dict:
    return {"successes": counts.get("SUCCESS", 0), "failures": counts.get("FAILURE", 0),
            "errors": counts.get("ERROR", 0), "window": window}
