"""Wire shapes of the rate limit settings (RestRateLimitSettings and friends)."""

from __future__ import annotations

from pydantic import Field, StrictBool, StrictInt
from pydantic.json_schema import SkipJsonSchema

from cairn.auth.schemas import User
from cairn.kit.entities import omitted
from cairn.kit.schema import Schema


class TokenBucket(Schema):
    """RestTokenBucketSettings: `capacity` requests at most, refilled at `fillRate` a second."""

    capacity: StrictInt | None = Field(default=None, examples=[60])
    fill_rate: StrictInt | None = Field(default=None, examples=[5])


class RateLimitSettings(Schema):
    """RestRateLimitSettings."""

    enabled: StrictBool | None = None
    default_settings: TokenBucket | None = None


class UserRateLimitUpdate(Schema):
    """RestUserRateLimitSettingsUpdateRequest: a user's own bucket, or whitelisted (never limited)."""

    settings: TokenBucket | None = None
    whitelisted: StrictBool | None = None


class BulkUserRateLimitUpdate(UserRateLimitUpdate):
    """RestBulkUserRateLimitSettingsUpdateRequest: the same settings for several users."""

    usernames: list[str] = Field(min_length=1)


class UserRateLimit(Schema):
    """RestUserRateLimitSettings."""

    user: User
    whitelisted: bool
    settings: TokenBucket | SkipJsonSchema[None] = omitted("Omitted for a whitelisted user")


class RejectCounter(Schema):
    """RestAggregateRejectCounter: how often a user was refused, and when last (ms)."""

    user: User
    reject_count: int
    last_reject_time: int


def bucket_json(capacity: int, fill_rate: int) -> dict:
    return {"capacity": capacity, "fillRate": fill_rate}


def settings_json(enabled: bool, capacity: int, fill_rate: int) -> dict:
    return {"enabled": enabled, "defaultSettings": bucket_json(capacity, fill_rate)}


def user_limit_json(row, user: dict) -> dict:
    body = {"user": user, "whitelisted": bool(row.whitelisted)}
    if not row.whitelisted:
        body["settings"] = bucket_json(row.capacity, row.fill_rate)
    return body


def reject_json(row, user: dict) -> dict:
    return {"user": user, "rejectCount": row.reject_count, "lastRejectTime": row.last_reject_time}
