"""Deployments: create or update, read, delete, and the two listings Bitbucket lacks."""

from __future__ import annotations

import re

from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.deployments import store
from cairn.deployments.schemas import (
    ENVIRONMENT_TYPES,
    STATES,
    DeploymentSetRequest,
    deployment_json,
)
from cairn.auth.deps import RepositoryAccess
from cairn.errors import NO_SUCH_ENTITY, bad_request, not_found
from cairn.events import schemas as events
from cairn.events import service as event_log
from cairn.kit import written
from cairn.kit.clock import now_ms
from cairn.kit.commits import parse_commit_id
from cairn.kit.entities import repository_json
from cairn.kit.schema import INT64_MAX, INT64_MIN

_LONG = re.compile(r"-?[0-9]{1,19}")


async def put_deployment(conn: AsyncConnection, access: RepositoryAccess, base_url: str, commit_id: str,
                         body: DeploymentSetRequest) -> dict:
    environment = body.environment
    values = {
        "repository_id": access.repository.id, "commit_id": commit_id, "key": body.key,
        "environment_key": environment.key, "sequence_number": body.deployment_sequence_number,
        "display_name": body.display_name, "description": body.description, "url": body.url,
        "state": body.state, "environment_display_name": environment.display_name,
        "environment_type": environment.type, "environment_url": environment.url,
        "last_updated": body.last_updated if body.last_updated is not None else now_ms(),
    }
    repository = repository_json(access.repository, base_url)
    now = now_ms()

    def event_for(row) -> dict:
        return event_log.values(events.DEPLOYMENT_SET, now, access, base_url, commit_id, "deployment",
                                deployment_json(row, repository))
    row = await store.put_deployment(conn, values, event_for)
    written.DEPLOYMENTS.inc()
    return deployment_json(row, repository)


def _identity(key: str | None, environment_key: str | None, sequence_number: str | None) -> tuple[str, str, int]:
    """The three query parameters that name a deployment: all required."""
    for name, value in (("key", key), ("environmentKey", environment_key),
                        ("deploymentSequenceNumber", sequence_number)):
        if value is None or not value.strip():
            raise bad_request(f"{name} is required: a deployment is named by key, environmentKey and "
                              "deploymentSequenceNumber.", name)
    # As Java's Long.parseLong reads it: int() would also take "1_000", "+5" and non-ASCII digits.
    number = int(sequence_number) if _LONG.fullmatch(sequence_number) else None
    if number is None or not INT64_MIN <= number <= INT64_MAX:
        raise bad_request("deploymentSequenceNumber must be an integer.", "deploymentSequenceNumber")
    return key, environment_key, number


async def get_deployment(conn: AsyncConnection, repository_id: int, commit_id: str, key: str | None,
                         environment_key: str | None, sequence_number: str | None, repository: dict) -> dict:
    key, environment_key, number = _identity(key, environment_key, sequence_number)
    row = await store.get_deployment(conn, repository_id, commit_id, key, environment_key, number)
    if row is None:
        raise not_found(f"No deployment with key '{key}', environment '{environment_key}' and sequence number "
                        f"{number} exists for commit {commit_id}.", NO_SUCH_ENTITY)
    return deployment_json(row, repository)


async def delete_deployment(conn: AsyncConnection, access: RepositoryAccess, base_url: str, commit_id: str,
                            key: str | None, environment_key: str | None, sequence_number: str | None) -> None:
    """Delete the named deployment; 204 also when there is none (as for build statuses)."""
    row = await store.delete_deployment(conn, access.repository.id, commit_id,
                                        *_identity(key, environment_key, sequence_number))
    if row is not None:
        entity = deployment_json(row, repository_json(access.repository, base_url))
        await event_log.record(conn, events.DEPLOYMENT_DELETED, now_ms(), access, base_url, commit_id, "deployment",
                               entity)


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> str:
    if value.upper() not in allowed:
        raise bad_request(f"'{value}' is not a valid {name}; use one of {', '.join(allowed)}.", name)
    return value.upper()


async def list_deployments(conn: AsyncConnection, repository_id: int, repository: dict, start: int, limit: int,
                           environment_key: str | None = None, environment_type: str | None = None,
                           state: str | None = None, key: str | None = None,
                           commit_id: str | None = None) -> list[dict]:
    filters = {}
    if environment_key is not None:
        filters["environment_key"] = environment_key
    if environment_type is not None:
        filters["environment_type"] = _one_of("environmentType", environment_type, ENVIRONMENT_TYPES)
    if state is not None:
        filters["state"] = _one_of("state", state, STATES)
    if key is not None:
        filters["key"] = key
    if commit_id is not None:
        filters["commit_id"] = parse_commit_id(commit_id)
    rows = await store.list_deployments(conn, repository_id, filters, start, limit)
    return [deployment_json(r, repository) for r in rows]


async def list_environments(conn: AsyncConnection, repository_id: int, repository: dict, start: int,
                            limit: int) -> list[dict]:
    """What is deployed where: each environment with its newest and its newest successful deployment."""
    page = []
    for newest, successful in await store.list_environments(conn, repository_id, start, limit):
        latest = deployment_json(newest, repository)
        item = {"environment": latest["environment"], "latest": latest}
        if successful is not None:
            item["latestSuccessful"] = deployment_json(successful, repository)
        page.append(item)
    return page


async def environments_of_commits(conn: AsyncConnection, repository_id: int, commit_ids: list[str]) -> dict[str, list]:
    """{commit: [(environment key, display name, type, state)]}: each environment once, its newest deployment."""
    found: dict[str, dict] = {}
    for row in await store.environments_of_commits(conn, repository_id, commit_ids) if commit_ids else ():
        found.setdefault(row.commit_id, {}).setdefault(row.environment_key, (
            row.environment_key, row.environment_display_name, row.environment_type, row.state))
    return {commit: list(environments.values()) for commit, environments in found.items()}


async def count_prunable(conn: AsyncConnection, repository_id: int, cutoff: int) -> int:
    return await store.count_prunable(conn, repository_id, cutoff)


async def prune(conn: AsyncConnection, repository_id: int, cutoff: int, limit: int) -> int:
    """Delete up to `limit` rows older than `cutoff` (cairn prune calls it in short transactions)."""
    return await store.prune(conn, repository_id, cutoff, limit)
