"""SQL for the rate limit settings, the per-user overrides and the refusal history."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.auth import store as auth_store
from cairn.db.dialect import greatest, upsert
from cairn.models import rate_limit_rejects, rate_limit_settings, user_rate_limits, users

_USER = auth_store.USER_COLUMNS


async def settings(conn: AsyncConnection):
    return (await conn.execute(select(rate_limit_settings).where(rate_limit_settings.c.id == 1))).first()


async def save_settings(conn: AsyncConnection, enabled: bool, capacity: int, fill_rate: int) -> None:
    await upsert(conn, rate_limit_settings, {"id": 1, "enabled": enabled, "capacity": capacity,
                                             "fill_rate": fill_rate}, ["id"], ["enabled", "capacity", "fill_rate"])


async def all_user_limits(conn: AsyncConnection):
    return (await conn.execute(select(user_rate_limits))).all()


def _with_user():
    return select(user_rate_limits, *_USER).join(users, users.c.id == user_rate_limits.c.user_id)


async def list_user_limits(conn: AsyncConnection, filter_text: str | None, start: int, limit: int):
    stmt = (_with_user().where(auth_store.name_filter([users.c.name, users.c.display_name, users.c.email],
                                                      filter_text))
            .order_by(users.c.name).offset(start).limit(limit))
    return (await conn.execute(stmt)).all()


async def user_limit(conn: AsyncConnection, user_id: int):
    return (await conn.execute(_with_user().where(user_rate_limits.c.user_id == user_id))).first()


async def set_user_limit(conn: AsyncConnection, user_id: int, capacity: int | None, fill_rate: int | None,
                         whitelisted: bool) -> None:
    await upsert(conn, user_rate_limits, {"user_id": user_id, "capacity": capacity, "fill_rate": fill_rate,
                                          "whitelisted": whitelisted},
                 ["user_id"], ["capacity", "fill_rate", "whitelisted"])


async def delete_user_limit(conn: AsyncConnection, user_id: int) -> None:
    await conn.execute(delete(user_rate_limits).where(user_rate_limits.c.user_id == user_id))


async def add_rejects(conn: AsyncConnection, rejects: dict[int, list[int]]) -> None:
    """Add each user's refusals to their totals (several processes add to the same rows)."""
    r = rate_limit_rejects
    for user_id, (count, last) in rejects.items():
        added = await conn.execute(update(r).where(r.c.user_id == user_id).values(
            reject_count=r.c.reject_count + count,
            last_reject_time=greatest(r.c.last_reject_time, last)))
        if added.rowcount == 0:
            await conn.execute(r.insert().values(user_id=user_id, reject_count=count, last_reject_time=last))


async def history(conn: AsyncConnection, order: str, start: int, limit: int):
    r = rate_limit_rejects
    ordering = [r.c.reject_count.desc()] if order == "FREQUENCY" else []
    stmt = (select(r.c.reject_count, r.c.last_reject_time, *_USER).join(users, users.c.id == r.c.user_id)
            .order_by(*ordering, r.c.last_reject_time.desc(), users.c.name).offset(start).limit(limit))
    return (await conn.execute(stmt)).all()
