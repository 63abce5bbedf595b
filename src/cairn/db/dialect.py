"""Dialect-specific statements, one named function each, switching on the dialect."""

from __future__ import annotations

from typing import Any, Iterable

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection


def upsert(conn: AsyncConnection, table: Table, values: dict[str, Any], conflict_columns: Iterable[str],
           update_columns: Iterable[str], conflict_where=None):
    """INSERT ... ON CONFLICT (conflict_columns) [WHERE ...] DO UPDATE SET update_columns (both dialects)."""
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    stmt = insert(table).values(**values)
    stmt = stmt.on_conflict_do_update(
        index_elements=list(conflict_columns), index_where=conflict_where,
        set_={name: stmt.excluded[name] for name in update_columns})
    return conn.execute(stmt)

