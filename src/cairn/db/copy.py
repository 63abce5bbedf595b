"""Copying every row of one cairn database into another, empty one: the move from the embedded SQLite
database to PostgreSQL when a team outgrows one machine (or back, or between two PostgreSQL servers)."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from cairn.db import migrate
from cairn.models import metadata

BATCH = 2000  # rows per INSERT round trip: the copy streams, it never holds a table in memory


class CopyError(Exception):
    """What went wrong, in one line for the operator."""


def _serial_column(table: Table):
    """The id column the database numbers itself (ids are carried over as they are; the numbering must go on
    after the highest one)."""
    columns = [c for c in table.primary_key.columns if c.autoincrement is True]
    return columns[0] if columns else None


async def _next_ids(conn: AsyncConnection, table: Table) -> int:
    """The highest id the source has handed out: its rows' maximum, or on PostgreSQL the sequence's last value
    when rows at the end were deleted (so an id is never handed out twice)."""
    column = _serial_column(table)
    highest = await conn.scalar(select(func.max(column))) or 0
    if conn.dialect.name == "postgresql":
        last = await conn.scalar(text("SELECT pg_sequence_last_value(pg_get_serial_sequence(:t, :c)::regclass)"),
                                 {"t": table.name, "c": column.name})
        highest = max(highest, last or 0)
    return highest


async def _go_on_after(conn: AsyncConnection, table: Table, highest: int) -> None:
    """Make the target's numbering go on after `highest`. SQLite needs nothing: an INTEGER PRIMARY KEY without
    AUTOINCREMENT takes the highest rowid plus one."""
    if conn.dialect.name == "postgresql":
        column = _serial_column(table)
        await conn.execute(text("SELECT setval(pg_get_serial_sequence(:t, :c), :v, :called)"),
                           {"t": table.name, "c": column.name, "v": max(highest, 1), "called": highest > 0})


async def _snapshot(conn: AsyncConnection) -> None:
    """One read transaction over the whole copy, so the copy is the source as of one moment even while a
    server keeps writing to it."""
    if conn.dialect.name == "postgresql":
        await conn.execution_options(isolation_level="REPEATABLE READ")
    await conn.begin()


async def copy_database(source: AsyncEngine, target: AsyncEngine,
                        progress: Callable[[str, int], None] = lambda table, rows: None) -> dict[str, int]:
    """Copy every row from `source` to `target` (migrated first; refused unless empty) in one target
    transaction, so a failed copy leaves it empty to try again; returns the rows per table, verified."""
    if not await migrate.is_current(source):
        raise CopyError("the source database is not at cairn's current schema: run `cairn db upgrade` first")
    await migrate.upgrade(target)
    tables = metadata.sorted_tables  # parents before children, so every foreign key finds its row
    copied: dict[str, int] = {}
    async with source.connect() as src, target.begin() as dst:
        await _snapshot(src)
        filled = [t.name for t in tables if await dst.scalar(select(select(t).exists()))]
        if filled:
            raise CopyError(f"the target database is not empty ({', '.join(filled)} hold rows): "
                            f"cairn copies only into an empty database")
        for table in tables:
            rows = 0
            result = await src.stream(select(table).order_by(*table.primary_key.columns))
            async for batch in result.partitions(BATCH):
                await dst.execute(insert(table), [row._asdict() for row in batch])
                rows += len(batch)
            copied[table.name] = rows
            progress(table.name, rows)
            if _serial_column(table) is not None:
                await _go_on_after(dst, table, await _next_ids(src, table))
        for table in tables:
            expected = await src.scalar(select(func.count()).select_from(table))
            found = await dst.scalar(select(func.count()).select_from(table))
            if not expected == found == copied[table.name]:
                raise CopyError(f"{table.name}: the source holds {expected} rows, the copy {found}; nothing was kept")
    return copied
