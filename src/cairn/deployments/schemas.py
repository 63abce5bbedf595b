"""Wire shapes of deployments (RestDeploymentSetRequest, RestDeployment) and cairn's environments row."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BeforeValidator, Field

from cairn.kit.entities import Repository
from cairn.kit.schema import INT64_MAX, INT64_MIN, Schema, Text

DeploymentState = Literal["PENDING", "IN_PROGRESS", "CANCELLED", "FAILED", "ROLLED_BACK", "SUCCESSFUL", "UNKNOWN"]
STATES: tuple[str, ...] = ("PENDING", "IN_PROGRESS", "CANCELLED", "FAILED", "ROLLED_BACK", "SUCCESSFUL", "UNKNOWN")
ENVIRONMENT_TYPES: tuple[str, ...] = ("DEVELOPMENT", "TESTING", "STAGING", "PRODUCTION")


def _upper(value):
    # The OpenAPI file's own example says "production": the type is read in any case.
    return value.upper() if isinstance(value, str) else value


def _integer(value):
    # Jackson reads a long from a JSON number, never from true/false or a fraction.
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("must be an integer")
    return value


EnvironmentType = Annotated[Literal["DEVELOPMENT", "TESTING", "STAGING", "PRODUCTION"], BeforeValidator(_upper)]
Long = Annotated[int, BeforeValidator(_integer), Field(ge=INT64_MIN, le=INT64_MAX)]
Millis = Annotated[int, BeforeValidator(_integer), Field(ge=0, le=INT64_MAX)]


class Environment(Schema):
    """RestDeploymentEnvironment."""

    key: Text(255, required=True)
    display_name: Text(255) = Field()  # required, but may be empty (minLength 0 in the OpenAPI file)
    type: EnvironmentType | None = None
    url: Text(1024) | None = None


class DeploymentSetRequest(Schema):
    """RestDeploymentSetRequest: every member but lastUpdated is required."""

    deployment_sequence_number: Long
    key: Text(255, required=True)
    display_name: Text(255) = Field()
    description: Text(255) = Field()
    url: Text(1024, required=True)
    state: DeploymentState
    environment: Environment
    last_updated: Millis | None = None


class MinimalCommit(Schema):
    id: str
    display_id: str


class Deployment(Schema):
    """RestDeployment (documentation shape of the responses)."""

    deployment_sequence_number: int
    key: str
    display_name: str
    description: str
    url: str
    state: DeploymentState
    environment: Environment
    last_updated: int
    repository: Repository
    to_commit: MinimalCommit
    from_commit: MinimalCommit | None = Field(default=None, description="Absent for the first deployment")


class EnvironmentDeployments(Schema):
    """One environment with what is deployed there (cairn's, decision D16)."""

    environment: Environment
    latest: Deployment
    latest_successful: Deployment | None = Field(default=None, description="Absent until one succeeds")


def commit_json(commit_id: str) -> dict:
    return {"id": commit_id, "displayId": commit_id[:7]}


def _environment(key: str, display_name: str, type_: str | None, url: str | None) -> dict:
    body = {"key": key, "displayName": display_name}
    if type_ is not None:
        body["type"] = type_
    if url is not None:
        body["url"] = url
    return body


def deployment_json(row, repository: dict) -> dict:
    """RestDeployment from a stored row (with its from_commit) and the repository's JSON."""
    body = {
        "deploymentSequenceNumber": row.sequence_number, "key": row.key, "displayName": row.display_name,
        "description": row.description, "url": row.url, "state": row.state,
        "environment": _environment(row.environment_key, row.environment_display_name, row.environment_type,
                                        row.environment_url),
        "lastUpdated": row.last_updated, "repository": repository, "toCommit": commit_json(row.commit_id),
    }
    if row.from_commit is not None:
        body["fromCommit"] = commit_json(row.from_commit)
    return body
