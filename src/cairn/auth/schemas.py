"""Wire shapes for users, personal access tokens and permission grants."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Literal

from pydantic import Field
from pydantic.json_schema import SkipJsonSchema

from cairn.auth import permissions as perms
from cairn.kit.entities import SelfLinks, omitted
from cairn.kit.schema import Schema, Text


class AccessTokenRequest(Schema):
    """RestAccessTokenRequest."""

    name: Text(255, required=True)
    permissions: list[str] = Field(min_length=1)
    expiry_days: int | None = Field(default=None, ge=1, le=3650)


class AccessTokenUpdate(Schema):
    """RestAccessTokenRequest as an update (POST): what is given changes, the rest stays."""

    name: Text(255, required=True) | None = None
    permissions: list[str] | None = Field(default=None, min_length=1)
    expiry_days: int | None = Field(default=None, ge=1, le=3650)


class PickerContext(Schema):
    """UserPickerContext / GroupPickerContext: `itemName` is added to (or removed from) `context`."""

    context: str | None = None
    item_name: str | None = None


class GroupAndUsers(Schema):
    """GroupAndUsers: users to add to one group."""

    group: str | None = None
    users: list[str]


class UserAndGroups(Schema):
    """UserAndGroups: groups to add one user to."""

    user: str | None = None
    groups: list[str]


# --- documentation models of the shapes below (routes name them in `responses=`; bodies stay dicts) ---------

# Bitbucket's permission names (RestPermittedUser.permission); cairn grants the six project/repository
# ones on projects and repositories and the four global ones globally.
PermissionName = Literal["USER_ADMIN", "PROJECT_VIEW", "REPO_READ", "REPO_WRITE", "REPO_ADMIN",
                         "PROJECT_READ", "PROJECT_WRITE", "REPO_CREATE", "PROJECT_ADMIN", "LICENSED_USER",
                         "PROJECT_CREATE", "ADMIN", "SYS_ADMIN"]
TokenPermissionName = Literal["PROJECT_READ", "PROJECT_WRITE", "PROJECT_ADMIN", "REPO_READ", "REPO_WRITE",
                              "REPO_ADMIN"]


class User(Schema):
    """RestApplicationUser, as cairn answers it."""

    name: str = Field(examples=["jcitizen"])
    email_address: str = Field(examples=["jane@example.com"])
    active: bool
    display_name: str = Field(examples=["Jane Citizen"])
    id: int
    slug: str = Field(examples=["jcitizen"])
    type: Literal["NORMAL", "SERVICE"] = Field(description="SERVICE for a project or repository token's user")
    links: SelfLinks


class DetailedUser(User):
    """RestDetailedUser, as cairn answers it."""

    directory_name: str = Field(examples=["cairn internal directory"])
    deletable: bool
    mutable_details: bool
    mutable_groups: bool


class PermittedUser(Schema):
    """RestPermittedUser: a user and the permission granted to them here."""

    user: User
    permission: PermissionName


class DetailedGroup(Schema):
    """RestDetailedGroup."""

    name: str = Field(examples=["developers"])
    deletable: bool


class GroupName(Schema):
    name: str = Field(examples=["developers"])


class PermittedGroup(Schema):
    """RestPermittedGroup: a group and the permission granted to it here."""

    group: GroupName
    permission: PermissionName


class AccessToken(Schema):
    """RestAccessToken, as cairn answers it (with Bitbucket's permissions, user and expiry members)."""

    id: str = Field(examples=["252973515069"])
    created_date: datetime
    name: str = Field(examples=["My access token"])
    permissions: list[TokenPermissionName]
    user: User = Field(description="The token's owner")
    expiry_days: int | SkipJsonSchema[None] = omitted("Omitted when the token never expires")
    expiry_date: datetime | SkipJsonSchema[None] = omitted("Omitted when the token never expires")
    last_authenticated: datetime | SkipJsonSchema[None] = omitted(
        "When the token last authenticated (recorded every half minute); omitted when never")


class RawAccessToken(AccessToken):
    """RestRawAccessToken: the token with its secret, answered once, at creation."""

    token: str = Field(description="The secret; shown only in this response",
                       examples=["MjUyOTczNTE1MDY5On2rDbID2EgYpH8AVOECHv0saruQ"])


# --- wire shapes --------------------------------------------------------------------------------------


def user_json(row, base_url: str) -> dict:
    """RestApplicationUser."""
    return {"name": row.name, "emailAddress": row.email, "active": bool(row.active),
            "displayName": row.display_name, "id": row.id, "slug": row.slug,
            "type": "SERVICE" if row.service else "NORMAL",
            "links": {"self": [{"href": f"{base_url}/users/{row.slug}"}]}}


def detailed_user_json(row, base_url: str) -> dict:
    """RestDetailedUser."""
    return {**user_json(row, base_url), "directoryName": "cairn internal directory", "deletable": True,
            "mutableDetails": True, "mutableGroups": True}


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
    if row.last_authenticated is not None:  # Bitbucket's member; written at most every TOKEN_USES_SECONDS
        body["lastAuthenticated"] = _iso(row.last_authenticated)
    if secret is not None:
        body["token"] = secret
    return body


def permitted_json(user: dict, permission: str) -> dict:
    """RestPermittedUser."""
    return {"user": user, "permission": permission}


def group_json(row) -> dict:
    """RestDetailedGroup."""
    return {"name": row.name, "deletable": True}


def permitted_group_json(name: str, permission: str) -> dict:
    """RestPermittedGroup."""
    return {"group": {"name": name}, "permission": permission}
