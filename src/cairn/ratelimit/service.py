"""Rate limit settings: read and changed through the API, applied by this process's RateLimiter."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.auth import service as users
from cairn.db.uow import after_commit
from cairn.errors import bad_request, not_found
from cairn.ratelimit import store
from cairn.ratelimit.limiter import DEFAULT_CAPACITY, DEFAULT_FILL_RATE, Bucket, RateLimiter, Settings
from cairn.ratelimit.schemas import RateLimitSettings, TokenBucket, UserRateLimitUpdate

ORDERS = ("NEWEST", "FREQUENCY")


async def current(conn: AsyncConnection) -> tuple[bool, int, int]:
    """(enabled, capacity, fill rate): off with Bitbucket's default bucket until an administrator sets them."""
    row = await store.settings(conn)
    return (row.enabled, row.capacity, row.fill_rate) if row else (False, DEFAULT_CAPACITY, DEFAULT_FILL_RATE)


async def snapshot(conn: AsyncConnection) -> Settings:
    enabled, capacity, fill_rate = await current(conn)
    overrides = {row.user_id: None if row.whitelisted else Bucket(row.capacity, row.fill_rate)
                 for row in await store.all_user_limits(conn)}
    return Settings(enabled, Bucket(capacity, fill_rate), overrides)


async def refresh(conn: AsyncConnection, limiter: RateLimiter) -> None:
    limiter.configure(await snapshot(conn))


async def _apply_on_commit(conn: AsyncConnection, limiter: RateLimiter) -> None:
    """This process applies a change once it commits; the others at their next refresh."""
    settings = await snapshot(conn)
    after_commit(conn, lambda: limiter.configure(settings))


def _bucket(bucket: TokenBucket | None, context: str) -> tuple[int, int]:
    if bucket is None or bucket.capacity is None or bucket.fill_rate is None:
        raise bad_request("Both the capacity and the fill rate are required.", context)
    for value, name in ((bucket.capacity, "capacity"), (bucket.fill_rate, "fillRate")):
        if not 0 < value <= 1_000_000:
            raise bad_request(f"The {name} must be a positive whole number (at most 1000000).", f"{context}.{name}")
    return bucket.capacity, bucket.fill_rate


async def update_settings(conn: AsyncConnection, limiter: RateLimiter, body: RateLimitSettings):
    if body.enabled is None and body.default_settings is None:
        raise bad_request("The request is empty: give enabled, defaultSettings or both.")
    enabled, capacity, fill_rate = await current(conn)
    if body.default_settings is not None:
        capacity, fill_rate = _bucket(body.default_settings, "defaultSettings")
    if body.enabled is not None:
        enabled = body.enabled
    await store.save_settings(conn, enabled, capacity, fill_rate)
    await _apply_on_commit(conn, limiter)
    return enabled, capacity, fill_rate


def _user_values(body: UserRateLimitUpdate) -> tuple[int | None, int | None, bool]:
    if body.whitelisted:
        return None, None, True
    return (*_bucket(body.settings, "settings"), False)


async def set_user_limits(conn: AsyncConnection, limiter: RateLimiter, names: list[str], body: UserRateLimitUpdate,
                          by_slug: bool = False):
    values = _user_values(body)
    found = [await users.require_user(conn, name, by_slug=by_slug, context="usernames") for name in names]
    for user in found:
        await store.set_user_limit(conn, user.id, *values)
    await _apply_on_commit(conn, limiter)
    return [await store.user_limit(conn, user.id) for user in found]


async def user_limit(conn: AsyncConnection, slug: str):
    user = await users.require_user(conn, slug, by_slug=True)
    row = await store.user_limit(conn, user.id)
    if row is None:
        raise not_found(f"User {slug} has no rate limit settings of their own.")
    return row


async def delete_user_limit(conn: AsyncConnection, limiter: RateLimiter, slug: str) -> None:
    row = await user_limit(conn, slug)
    await store.delete_user_limit(conn, row.user_id)
    await _apply_on_commit(conn, limiter)


async def list_user_limits(conn: AsyncConnection, filter_text: str | None, start: int, limit: int):
    return await store.list_user_limits(conn, filter_text, start, limit)


async def record_rejects(conn: AsyncConnection, rejects: dict[int, list[int]]) -> None:
    await store.add_rejects(conn, rejects)


async def history(conn: AsyncConnection, order: str | None, start: int, limit: int):
    order = (order or "NEWEST").upper()
    if order not in ORDERS:
        raise bad_request(f"'{order}' is not an order; use NEWEST or FREQUENCY.", "order")
    return await store.history(conn, order, start, limit)
