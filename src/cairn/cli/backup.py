"""`cairn backup FILE` and `cairn restore FILE`."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.engine import make_url

from cairn.config import Settings
from cairn.db.backup import BackupError, postgresql_backup, sqlite_backup, sqlite_restore


def _sqlite_path(settings: Settings) -> Path | None:
    url = make_url(settings.sqlalchemy_url)
    return Path(url.database) if url.get_backend_name() == "sqlite" else None


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def backup(file: Path) -> None:
    """Write a consistent copy of the database to FILE, while the server runs."""
    settings = Settings.from_env()
    database = _sqlite_path(settings)
    try:
        if database is None:
            postgresql_backup(settings.database_url, file)
        else:
            sqlite_backup(database, file)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"backed up to {file}")


@click.command()
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def restore(file: Path) -> None:
    """Put the backup FILE in place of the SQLite database of a stopped server."""
    settings = Settings.from_env()
    database = _sqlite_path(settings)
    if database is None:
        raise click.ClickException("this database is PostgreSQL: restore it with pg_restore, e.g. "
                                   "pg_restore --clean --dbname 'postgresql://user@host/db' FILE")
    try:
        kept = sqlite_restore(file, database)
    except BackupError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"restored {file} into {database}" + (f"; the database it replaced is kept as {kept}" if kept else ""))
