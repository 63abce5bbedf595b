"""`cairn serve` and `cairn db upgrade`."""

from __future__ import annotations

import asyncio
import os
import socket
import tempfile

import click
from sqlalchemy.engine import make_url

from cairn import __version__
from cairn.config import Settings
from cairn.system.affinity import keep_to_one_cpu


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=7990, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=int, help="Worker processes.")
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API (pending migrations are applied first)."""
    import uvicorn

    # Worker processes build the app from the environment: hand them the listen address that way.
    os.environ["CAIRN_LISTEN_HOST"], os.environ["CAIRN_LISTEN_PORT"] = host, str(port)
    settings = Settings.from_env(host=host, port=port)
    if workers > 1 and settings.sqlalchemy_url.startswith("sqlite"):
        # Each process would queue its writers apart and fight over SQLite's one write lock: not tested, so refused.
        raise click.ClickException("--workers above 1 needs PostgreSQL (CAIRN_DATABASE_URL=postgresql://...): "
                                   "the embedded SQLite database takes one server process")
    preflight(settings)
    if workers > 1 and "PROMETHEUS_MULTIPROC_DIR" not in os.environ:
        # Every worker writes its metrics here and /metrics sums them (prometheus-client's multiprocess mode).
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="cairn-metrics-")
    cpu = None
    if settings.cpu_affinity == "auto" and settings.sqlalchemy_url.startswith("sqlite"):
        cpu = keep_to_one_cpu()  # before uvicorn starts: every thread the server starts stays there too
    click.echo(start_line(settings, workers, cpu), err=True)
    uvicorn.run("cairn.cli.serve:app_factory", factory=True, host=host, port=port, workers=workers,
                log_level="warning", access_log=False)


def preflight(settings: Settings) -> None:
    """Fail fast, in one line and without a traceback, on what would stop the server anyway: a database URL
    cairn cannot use, a data directory it cannot write, a database that does not answer (migrations are
    applied here, once, before any worker starts), a port already taken."""
    url = settings.sqlalchemy_url
    if settings.cpu_affinity not in ("auto", "off"):
        raise click.ClickException(f"CAIRN_CPU_AFFINITY is auto or off (got '{settings.cpu_affinity}')")
    if not settings.database_usable:
        raise click.ClickException(f"CAIRN_DATABASE_URL names no database cairn can use: give postgresql://... "
                                   f"or sqlite:///... (got '{make_url(url).render_as_string(hide_password=True)}')")
    if url.startswith("sqlite"):
        try:
            settings.home.mkdir(parents=True, exist_ok=True)
            probe = settings.home / ".cairn-write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as error:
            raise click.ClickException(f"CAIRN_HOME {settings.home} is not a directory cairn can write to "
                                       f"({error.strerror})") from None
    try:
        asyncio.run(_migrate(settings))
    except Exception as error:  # refused, unknown host, bad password, missing database...
        raise click.ClickException(f"the database ({describe_database(settings)}) cannot be used: "
                                   f"{str(error).splitlines()[0] if str(error) else type(error).__name__}") from None
    with socket.socket() as probe:
        try:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
            probe.bind((settings.host, settings.port))
        except OSError as error:
            raise click.ClickException(f"cannot listen on {settings.host}:{settings.port}: {error.strerror}") from None


async def _migrate(settings: Settings) -> None:
    from cairn.db import migrate
    from cairn.db.engine import create_engine

    engine = create_engine(settings)
    try:
        async with asyncio.timeout(30):
            await migrate.upgrade(engine)
    finally:
        await engine.dispose()


def describe_database(settings: Settings) -> str:
    """Where the data is, for a person: the SQLite file, or PostgreSQL's host and database (never a password)."""
    url = make_url(settings.sqlalchemy_url)
    if url.get_backend_name() == "sqlite":
        return f"SQLite {url.database}"
    return f"PostgreSQL {url.host or 'localhost'}:{url.port or 5432}/{url.database}"


def start_line(settings: Settings, workers: int, cpu: int | None = None) -> str:
    kept = "" if cpu is None else f", its threads kept on CPU {cpu} (CAIRN_CPU_AFFINITY=off spreads them)"
    return (f"cairn {__version__} serving {settings.public_base_url} (listening on "
            f"http://{settings.host}:{settings.port}, {workers} worker{'s' if workers != 1 else ''}), "
            f"database {describe_database(settings)}{kept}")


def app_factory():
    from cairn.app import create_app

    return create_app(Settings.from_env(host=os.environ.get("CAIRN_LISTEN_HOST"),
                                        port=int(os.environ.get("CAIRN_LISTEN_PORT", "7990"))))


@click.group()
def db() -> None:
    """Database maintenance."""


@db.command()
def upgrade() -> None:
    """Apply pending migrations."""
    asyncio.run(_migrate(Settings.from_env()))
    click.echo("database is up to date")
