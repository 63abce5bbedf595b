"""`cairn serve` and `cairn db upgrade`."""

from __future__ import annotations

import asyncio
import os

import click

from cairn.config import Settings


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=7990, show_default=True, type=int, help="Port to listen on.")
@click.option("--workers", default=1, show_default=True, type=int, help="Worker processes.")
def serve(host: str, port: int, workers: int) -> None:
    """Serve the API (pending migrations are applied first)."""
    import uvicorn

    # Worker processes build the app from the environment: hand them the listen address that way.
    os.environ["CAIRN_LISTEN_HOST"], os.environ["CAIRN_LISTEN_PORT"] = host, str(port)
    uvicorn.run("cairn.cli.serve:app_factory", factory=True, host=host, port=port, workers=workers,
                log_level="warning", access_log=False)


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
    from cairn.db import migrate
    from cairn.db.engine import create_engine

    async def run() -> None:
        engine = create_engine(Settings.from_env())
        try:
            await migrate.upgrade(engine)
        finally:
            await engine.dispose()

    asyncio.run(run())
    click.echo("database is up to date")
