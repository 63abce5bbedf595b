"""Dialect-specific statements, one named function each."""

from __future__ import annotations

import functools
from typing import Any, Iterable

from sqlalchemy import Table, TextClause, text
from sqlalchemy.ext.asyncio import AsyncConnection


@functools.lru_cache(maxsize=64)
def _upsert_sql(table: str, columns: tuple[str, ...], conflict: tuple[str, ...], update: tuple[str, ...],
                conflict_where: str | None, update_where: str | None, returning: bool) -> TextClause:
    # SQLite (3.24+) and PostgreSQL share this syntax. Built once as text: SQLAlchemy cannot cache the
    # compiled form of a dialect insert with ON CONFLICT, and compiling it per request cost ~2 ms.
    where = f" WHERE {conflict_where}" if conflict_where else ""
    return text(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"
                f" ON CONFLICT ({', '.join(conflict)}){where} DO UPDATE SET "
                + ", ".join(f"{c} = excluded.{c}" for c in update)
                + (f" WHERE {update_where}" if update_where else "") + (" RETURNING *" if returning else ""))


def upsert(conn: AsyncConnection, table: Table, values: dict[str, Any], conflict_columns: Iterable[str],
           update_columns: Iterable[str], conflict_where: str | None = None, update_where: str | None = None,
           returning: bool = False):
    """INSERT ... ON CONFLICT (conflict_columns) [WHERE conflict_where] DO UPDATE SET update_columns
    [WHERE update_where] [RETURNING *]: with update_where, a conflicting row it rejects returns nothing."""
    stmt = _upsert_sql(table.name, tuple(values), tuple(conflict_columns), tuple(update_columns), conflict_where,
                       update_where, returning)
    return conn.execute(stmt, values)
