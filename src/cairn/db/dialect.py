"""Dialect-specific statements, one named function each."""

from __future__ import annotations

import functools
import itertools
from typing import Any, Iterable

from sqlalchemy import Integer, Table, TextClause, func, insert, text
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import GenericFunction


class greatest(GenericFunction):  # noqa: N801 - named as the SQL function
    """GREATEST(a, b, ...): PostgreSQL's name; SQLite's multi-argument max() does the same."""
    type = Integer()
    inherit_cache = True


@compiles(greatest, "sqlite")
def _sqlite_greatest(element, compiler, **kw) -> str:
    return f"max({compiler.process(element.clause_expr.element, **kw)})"


def highest_level(*levels):
    """SQL: the highest of permission levels that may each be NULL (no grant), 0 when none is granted."""
    return greatest(*(func.coalesce(level, 0) for level in levels))


def upsert_sql(table: str, columns: tuple[str, ...], conflict: tuple[str, ...], update: tuple[str, ...],
               conflict_where: str | None = None, update_where: str | None = None) -> str:
    """The SQL of upsert() below, to build a larger statement around."""
    where = f" WHERE {conflict_where}" if conflict_where else ""
    action = ("DO UPDATE SET " + ", ".join(f"{c} = excluded.{c}" for c in update)
              + (f" WHERE {update_where}" if update_where else "")) if update else "DO NOTHING"
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join(':' + c for c in columns)})"
            f" ON CONFLICT ({', '.join(conflict)}){where} {action}")


@functools.lru_cache(maxsize=64)
def _upsert_sql(table: str, columns: tuple[str, ...], conflict: tuple[str, ...], update: tuple[str, ...],
                conflict_where: str | None, update_where: str | None, returning: bool) -> TextClause:
    # SQLite (3.24+) and PostgreSQL share this syntax. Built once as text: SQLAlchemy cannot cache the
    # compiled form of a dialect insert with ON CONFLICT, and compiling it per request cost ~2 ms.
    return text(upsert_sql(table, columns, conflict, update, conflict_where, update_where)
                + (" RETURNING *" if returning else ""))


def upsert(conn: AsyncConnection, table: Table, values: dict[str, Any], conflict_columns: Iterable[str],
           update_columns: Iterable[str], conflict_where: str | None = None, update_where: str | None = None,
           returning: bool = False):
    """INSERT ... ON CONFLICT (conflict_columns) [WHERE conflict_where] DO UPDATE SET update_columns
    [WHERE update_where] [RETURNING *]: with update_where, a conflicting row it rejects returns nothing. No
    update_columns: DO NOTHING (a conflicting row is neither written nor locked)."""
    stmt = _upsert_sql(table.name, tuple(values), tuple(conflict_columns), tuple(update_columns), conflict_where,
                       update_where, returning)
    return conn.execute(stmt, values)


@functools.lru_cache(maxsize=64)
def _insert_sql(dialect, table: Table, columns: tuple[str, ...]) -> tuple[str, str | None, int]:
    """The one-row INSERT and, on SQLite, its multi-row form and how many rows that takes.

    SQLite stepping one statement per row (executemany's way) cost 2.4 ms per 1000 annotations, statements
    of 100 rows 1.55 ms. At most 999 parameters each: SQLite's limit before 3.32.
    """
    compiled = insert(table).compile(dialect=dialect, column_keys=list(columns))
    if tuple(compiled.positiontup) != columns:  # parameters go in the table's column order
        raise ValueError(f"{table.name}: list the columns as the table does, {compiled.positiontup}")
    one = str(compiled)
    if dialect.name != "sqlite":
        return one, None, 0
    size = min(100, 999 // len(columns))
    head, _, row = one.partition(" VALUES ")
    return one, f"{head} VALUES {', '.join([row] * size)}", size


async def insert_many(conn, table: Table, columns: tuple[str, ...], rows: list[tuple]) -> None:
    """Insert rows (tuples of `columns`, in the table's column order) in one batch.

    Compiled once per table and columns and run on the driver with plain tuples: SQLAlchemy's per-row
    parameter processing cost 1.2 ms (SQLite) to 2.3 ms (PostgreSQL) per 1000 rows on top of the driver's
    own work. `conn` is an AsyncConnection or a db/direct.py connection.
    """
    one, many, size = _insert_sql(conn.dialect, table, columns)
    if many is not None and len(rows) >= size:
        whole = len(rows) - len(rows) % size
        await conn.exec_driver_sql(many, [tuple(itertools.chain.from_iterable(rows[i:i + size]))
                                          for i in range(0, whole, size)])
        rows = rows[whole:]
    if rows:
        await conn.exec_driver_sql(one, rows)
