"""Backups: an online, consistent copy of the embedded SQLite database, and putting one back.

PostgreSQL has its own tools (pg_dump, pg_restore); cairn runs pg_dump when it is installed.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path

from sqlalchemy.engine import make_url


class BackupError(Exception):
    """What went wrong, in one line for the operator."""


def sqlite_backup(database: Path, target: Path) -> None:
    """VACUUM INTO: one read transaction, so the copy is the database as of one moment, while the server keeps
    writing (WAL); the copy is compact and needs no WAL file beside it."""
    if target.exists():
        raise BackupError(f"{target} exists already: cairn never overwrites a file with a backup")
    if not database.exists():
        raise BackupError(f"there is no database at {database}")
    conn = sqlite3.connect(database, timeout=30)
    try:
        conn.execute("VACUUM INTO ?", (str(target),))
    except sqlite3.Error as error:
        raise BackupError(f"the backup failed: {error}") from None
    finally:
        conn.close()


def _is_cairn_database(path: Path) -> bool:
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            return conn.execute("SELECT count(*) FROM sqlite_master WHERE name IN ('alembic_version', "
                                "'build_statuses')").fetchone()[0] == 2
        finally:
            conn.close()
    except sqlite3.Error:
        return False


def _open_elsewhere(database: Path) -> bool:
    """Whether another connection has the database open: leaving WAL mode needs it alone (a running server,
    even idle, keeps connections open)."""
    conn = sqlite3.connect(database, timeout=0)
    try:
        return conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0].lower() != "delete"
    except sqlite3.OperationalError:
        return True
    finally:
        conn.close()


def sqlite_restore(backup: Path, database: Path) -> Path | None:
    """Put a backup in place of the database of a stopped server; the database it replaces is kept beside it
    (its path is returned) so a mistaken restore loses nothing."""
    if not _is_cairn_database(backup):
        raise BackupError(f"{backup} is not a cairn backup (a SQLite database with cairn's tables)")
    kept = None
    if database.exists():
        if _open_elsewhere(database):
            raise BackupError(f"{database} is in use: stop the server before restoring")
        kept = database.with_name(f"{database.name}.before-restore-{time.strftime('%Y%m%d-%H%M%S')}")
        sqlite_backup(database, kept)
    staged = database.with_name(database.name + ".restoring")
    shutil.copyfile(backup, staged)
    for suffix in ("-wal", "-shm"):  # the old database's journal must not be replayed onto the restored one
        Path(str(database) + suffix).unlink(missing_ok=True)
    os.replace(staged, database)
    return kept


def postgresql_backup(url: str, target: Path) -> None:
    """pg_dump in its custom format (restore with pg_restore); the password goes by environment, never argv."""
    if shutil.which("pg_dump") is None:
        raise BackupError("this database is PostgreSQL: back it up with pg_dump (not installed here), e.g. "
                          "pg_dump --format=custom --file FILE 'postgresql://user@host/db'")
    if target.exists():
        raise BackupError(f"{target} exists already: cairn never overwrites a file with a backup")
    parsed = make_url(url)
    env = dict(os.environ, PGPASSWORD=parsed.password or os.environ.get("PGPASSWORD", ""))
    plain = parsed.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    result = subprocess.run(["pg_dump", "--format=custom", "--file", str(target), plain], env=env,
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {result.stderr.strip().splitlines()[-1] if result.stderr else ''}")
