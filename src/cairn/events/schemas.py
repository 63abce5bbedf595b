"""The events cairn fires, in Bitbucket's naming style, and their payloads."""

from __future__ import annotations

import functools
from datetime import datetime, timezone
from types import SimpleNamespace

import pydantic_core

from cairn.auth.deps import RepositoryAccess
from cairn.auth.principal import Principal
from cairn.auth.schemas import user_json
from cairn.kit.entities import RepositoryRef, repository_json

BUILD_STATUS_SET = "build:status_set"
BUILD_STATUS_DELETED = "build:status_deleted"
REPORT_SET = "insights:report_set"
REPORT_DELETED = "insights:report_deleted"
ANNOTATIONS_ADDED = "insights:annotations_added"
ANNOTATIONS_DELETED = "insights:annotations_deleted"
DEPLOYMENT_SET = "deployment:set"
DEPLOYMENT_DELETED = "deployment:deleted"
PING = "diagnostics:ping"  # Bitbucket's key for a test delivery; not an event a webhook subscribes to

# One bit each: a webhook's events are a mask (models/webhooks.py), matched in SQL as the event is recorded.
EVENT_BITS = {key: 1 << i for i, key in enumerate((
    BUILD_STATUS_SET, BUILD_STATUS_DELETED, REPORT_SET, REPORT_DELETED, ANNOTATIONS_ADDED, ANNOTATIONS_DELETED,
    DEPLOYMENT_SET, DEPLOYMENT_DELETED))}


def mask_of(keys) -> int:
    mask = 0
    for key in keys:
        mask |= EVENT_BITS[key]
    return mask


def keys_of(mask: int) -> list[str]:
    return [key for key, bit in EVENT_BITS.items() if mask & bit]


def actor_json(principal: Principal, base_url: str) -> dict:
    """RestApplicationUser of the caller, as the API renders users (a signed-in caller is an active user)."""
    return user_json(SimpleNamespace(id=principal.user_id, name=principal.name, slug=principal.slug, active=True,
                                     email=principal.email, display_name=principal.display_name,
                                     service=principal.service), base_url)


@functools.lru_cache(maxsize=8)
def event_date(second: int) -> str:
    """Bitbucket's webhook `date`: ISO 8601 to the second with a numeric offset (2017-09-19T09:58:11+0000)."""
    return datetime.fromtimestamp(second, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S%z")


@functools.lru_cache(maxsize=1024)
def _who_and_where(principal: Principal, repository: RepositoryRef, base_url: str) -> str:
    """The payload's "actor" and "repository" members, as JSON text: the same for every event of one caller in
    one repository (both are frozen), so rendered once (rendering them took most of a build POST's event)."""
    return pydantic_core.to_json({"actor": actor_json(principal, base_url),
                                  "repository": repository_json(repository, base_url)}).decode()[1:-1]


def payload(event_key: str, created: int, access: RepositoryAccess, base_url: str, commit_id: str,
            entity_name: str, entity: dict) -> str:
    """The JSON text a webhook receives: the event, when, who, where, and the entity as the API returns it."""
    return (f'{{"eventKey":"{event_key}","date":"{event_date(created // 1000)}",'
            f'{_who_and_where(access.principal, access.repository, base_url)},"commit":"{commit_id}",'
            f'"{entity_name}":{pydantic_core.to_json(entity).decode()}}}')
