"""Apply Alembic migrations on cairn's own engine (both dialects, async drivers)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def alembic_config(connection=None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def _upgrade(sync_conn) -> None:
    if sync_conn.dialect.name == "postgresql":
        # Many cairn processes may start together on one PostgreSQL: one migrates, the others wait.
        sync_conn.execute(text("SELECT pg_advisory_xact_lock(7990001)"))
    command.upgrade(alembic_config(sync_conn), "head")


async def upgrade(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await conn.run_sync(_upgrade)


def _pending(sync_conn) -> bool:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    return MigrationContext.configure(sync_conn).get_current_revision() != head


async def is_current(engine: AsyncEngine) -> bool:
    async with engine.connect() as conn:
        return not await conn.run_sync(_pending)
