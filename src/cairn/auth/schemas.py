"""Wire shapes for users, personal access tokens and permission grants."""

from __future__ import annotations

from datetime import datetime, timezone

from pydantic import Field

from cairn.auth import permissions as perms
from cairn.kit.schema import Schema, Text


class AccessTokenRequest(Schema):
    """RestAccessTokenRequest."""

    name: Text(255, required=True)
    permissions: list[str] = Field(min_length=1)
    expiry_days: int | None = Field(default=None, ge=1, le=3650)


def user_json(row, base_url: str) -> dict:
    """RestApplicationUser."""
    return {"name": row.name, "emailAddress": row.email, "active": bool(row.active),
            "displayName": row.display_name, "id": row.id, "slug": row.slug, "type": "NORMAL",
            "links": {"self": [{"href": f"{base_url}/users/{row.slug}"}]}}


def detailed_user_json(row, base_url: str) -> dict:
    """RestDetailedUser."""
    return {**user_json(row, base_url), "directoryName": "cairn internal directory", "deletable": True,
            "mutableDetails": True, "mutableGroups": False}


def _iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).isoformat(timespec="milliseconds")


def token_permission_names(row) -> list[str]:
    names = []
    if row.project_permission:
        names.append(perms.PROJECT_NAMES[row.project_permission])
    if row.repository_permission:
        names.append(perms.REPOSITORY_NAMES[row.repository_permission])
    return names


def token_json(row, user: dict, secret: str | None = None) -> dict:
    """RestAccessToken (RestRawAccessToken when the secret is shown, once, at creation)."""
    body = {"id": row.id, "createdDate": _iso(row.created_date), "name": row.name,
            "permissions": token_permission_names(row), "user": user}
    if row.expiry_days is not None:
        body["expiryDays"] = row.expiry_days
        body["expiryDate"] = _iso(row.expires_date)
    if secret is not None:
        body["token"] = secret
    return body


def permitted_json(user: dict, permission: str) -> dict:
    """RestPermittedUser."""
    return {"user": user, "permission": permission}
