"""`cairn copy --to URL`: every row of the configured database into another, empty one."""

from __future__ import annotations

import asyncio
import time

import click

from cairn.cli.serve import describe_database
from cairn.config import Settings
from cairn.db.copy import CopyError, copy_database
from cairn.db.engine import create_engine


async def _copy(source: Settings, target: Settings) -> dict[str, int]:
    source_engine, target_engine = create_engine(source), create_engine(target)
    try:
        return await copy_database(source_engine, target_engine,
                                   lambda table, rows: click.echo(f"  {table}: {rows} rows", err=True))
    finally:
        await source_engine.dispose()
        await target_engine.dispose()


@click.command()
@click.option("--to", "to", required=True, metavar="URL",
              help="The empty database to copy into: postgresql://user:password@host/db or sqlite:///path")
def copy(to: str) -> None:
    """Copy every row of the configured database into another, empty one (e.g. SQLite to PostgreSQL)."""
    source = Settings.from_env()
    target = Settings.from_env(database_url=to)
    if not target.database_usable:
        raise click.ClickException("--to names no database cairn can use: give postgresql://... or sqlite:///...")
    if target.sqlalchemy_url == source.sqlalchemy_url:
        raise click.ClickException("--to names the configured database itself")
    click.echo(f"copying {describe_database(source)} to {describe_database(target)}", err=True)
    started = time.monotonic()
    try:
        copied = asyncio.run(_copy(source, target))
    except CopyError as error:
        raise click.ClickException(str(error)) from None
    except OSError as error:  # refused, unknown host: the copy never began
        raise click.ClickException(f"the database cannot be reached: {error}") from None
    click.echo(f"copied {sum(copied.values())} rows in {len(copied)} tables in {time.monotonic() - started:.1f} s, "
               f"counts verified; point CAIRN_DATABASE_URL at the copy to serve it")
