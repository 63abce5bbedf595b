"""The events cairn fires, in Bitbucket's naming style, and their payloads."""

from __future__ import annotations

from datetime import datetime, timezone

from cairn.auth.deps import RepositoryAccess
from cairn.auth.principal import Principal
from cairn.kit.entities import repository_json

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
    """RestApplicationUser of the caller, as auth.schemas.user_json renders a users row."""
    return {"name": principal.name, "emailAddress": principal.email, "active": True,
            "displayName": principal.display_name, "id": principal.user_id, "slug": principal.slug,
            "type": "SERVICE" if principal.service else "NORMAL",
            "links": {"self": [{"href": f"{base_url}/users/{principal.slug}"}]}}


def event_date(ms: int) -> str:
    """Bitbucket's webhook `date`: ISO 8601 to the second with a numeric offset (2017-09-19T09:58:11+0000)."""
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S%z")


def payload(event_key: str, created: int, access: RepositoryAccess, base_url: str, commit_id: str,
            entity_name: str, entity: dict) -> dict:
    """The JSON a webhook receives: the event, when, who, where, and the entity as the API returns it."""
    return {"eventKey": event_key, "date": event_date(created), "actor": actor_json(access.principal, base_url),
            "repository": repository_json(access.repository, base_url), "commit": commit_id, entity_name: entity}
