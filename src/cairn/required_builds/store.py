"""SQL for required-builds conditions and branching models."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.db.dialect import upsert
from cairn.models import branch_models as bm
from cairn.models import required_build_conditions as rbc


async def list_conditions(conn: AsyncConnection, repository_id: int, start: int | None = None,
                          limit: int | None = None):
    """The repository's conditions in the order they were created (all of them without start/limit)."""
    stmt = select(rbc).where(rbc.c.repository_id == repository_id).order_by(rbc.c.id)
    if limit is not None:
        stmt = stmt.offset(start).limit(limit)
    return (await conn.execute(stmt)).all()


async def get_condition(conn: AsyncConnection, repository_id: int, condition_id: int):
    stmt = select(rbc).where(rbc.c.repository_id == repository_id, rbc.c.id == condition_id)
    return (await conn.execute(stmt)).first()


async def insert_condition(conn: AsyncConnection, values: dict) -> int:
    result = await conn.execute(rbc.insert().values(values).returning(rbc.c.id))
    return result.scalar_one()


async def update_condition(conn: AsyncConnection, repository_id: int, condition_id: int, values: dict) -> bool:
    result = await conn.execute(update(rbc).where(rbc.c.repository_id == repository_id, rbc.c.id == condition_id)
                                .values(values))
    return result.rowcount > 0


async def delete_condition(conn: AsyncConnection, repository_id: int, condition_id: int) -> None:
    await conn.execute(delete(rbc).where(rbc.c.repository_id == repository_id, rbc.c.id == condition_id))


async def branch_model_configuration(conn: AsyncConnection, repository_id: int) -> str | None:
    """The stored configuration JSON, None while the repository uses the defaults."""
    stmt = select(bm.c.configuration).where(bm.c.repository_id == repository_id)
    return (await conn.execute(stmt)).scalar_one_or_none()


async def set_branch_model_configuration(conn: AsyncConnection, repository_id: int, configuration: str) -> None:
    await upsert(conn, bm, {"repository_id": repository_id, "configuration": configuration}, ("repository_id",),
                 ("configuration",))


async def delete_branch_model_configuration(conn: AsyncConnection, repository_id: int) -> None:
    await conn.execute(delete(bm).where(bm.c.repository_id == repository_id))
