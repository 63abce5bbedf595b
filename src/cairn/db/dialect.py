"""Dialect-specific statements, one named function each."""

from __future__ import annotations

import functools
import operator
from typing import Any, Iterable

from sqlalchemy import Table, TextClause, insert, text
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


@functools.lru_cache(maxsize=64)
def _insert_sql(dialect, table: Table, columns: tuple[str, ...]) -> tuple[str, tuple[str, ...]]:
    compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
    return str(compiled), tuple(compiled.positiontup)


async def insert_many(conn: AsyncConnection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert rows (all with the same keys) as one batch through the driver's executemany.

    Compiled once per table and columns and run with plain tuples: SQLAlchemy's per-row parameter
    processing cost 1.2 ms (SQLite) to 2.3 ms (PostgreSQL) per 1000 rows on top of the driver's own work.
    """
    sql, order = _insert_sql(conn.dialect, table, tuple(rows[0]))
    values = operator.itemgetter(*order)  # a tuple per row (one column would give a bare value)
    args = [values(row) for row in rows] if len(order) > 1 else [(values(row),) for row in rows]
    await conn.exec_driver_sql(sql, args)
