"""`cairn prune --older-than 90d [--dry-run]`: history older than a cutoff goes, in short batches."""

from __future__ import annotations

import asyncio
import re
import time

import click

from cairn.builds import service as builds
from cairn.config import Settings
from cairn.db.engine import create_engine
from cairn.db.uow import unit_of_work
from cairn.deployments import service as deployments
from cairn.insights import service as insights
from cairn.kit.clock import now_ms
from cairn.projects import service as projects
from cairn.system import logs

BATCH = 500  # rows per transaction: a SQLite write lock is held for a few milliseconds, then released
# Between batches: long enough for the server's writers, asleep in SQLite's busy handler, to wake and take the
# lock (with no pause, build POSTs during a prune of 1M rows waited 540 ms at p99; bench/prune.py).
PAUSE_SECONDS = 0.025
_AGE = re.compile(r"([1-9][0-9]{0,5})([dhw])\Z")
_UNIT_MS = {"h": 3_600_000, "d": 86_400_000, "w": 7 * 86_400_000}
# What goes, per kind, and whose rows each kind has (legacy statuses belong to no repository: None).
KINDS = (("build statuses", builds, True), ("reports (with their annotations)", insights, False),
         ("deployments (each environment keeps its latest and latest successful)", deployments, False))


def parse_age(text: str) -> int:
    match = _AGE.match(text.strip())
    if match is None:
        raise click.BadParameter("give a number and a unit: 90d (days), 12w (weeks) or 36h (hours)")
    return int(match[1]) * _UNIT_MS[match[2]]


async def _prune(settings: Settings, cutoff: int, dry_run: bool) -> dict[str, int]:
    engine = create_engine(settings)
    totals = {}
    try:
        async with unit_of_work(engine, write=False) as conn:
            repository_ids = await projects.repository_ids(conn)
        for label, domain, legacy in KINDS:
            owners = [*repository_ids, None] if legacy else repository_ids
            total = 0
            for owner in owners:
                if dry_run:
                    async with unit_of_work(engine, write=False) as conn:
                        total += await domain.count_prunable(conn, owner, cutoff)
                    continue
                while True:
                    async with unit_of_work(engine) as conn:
                        deleted = await domain.prune(conn, owner, cutoff, BATCH)
                    total += deleted
                    if deleted < BATCH:
                        break
                    await asyncio.sleep(PAUSE_SECONDS)
            totals[label] = total
    finally:
        await engine.dispose()
    return totals


@click.command()
@click.option("--older-than", "age", required=True, help="How old history must be to go: 90d, 12w, 36h.")
@click.option("--dry-run", is_flag=True, help="Only count what would go.")
def prune(age: str, dry_run: bool) -> None:
    """Delete build statuses, reports and deployments last updated before the cutoff, in short batches."""
    settings = Settings.from_env()
    logs.configure(settings.log_format)
    cutoff = now_ms() - parse_age(age)
    since = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(cutoff / 1000))
    totals = asyncio.run(_prune(settings, cutoff, dry_run))
    verb = "would delete" if dry_run else "deleted"
    for label, count in totals.items():
        click.echo(f"{verb} {count} {label} older than {since}")
    if not dry_run:
        logs.ERRORS.info("prune: %s", ", ".join(f"{count} {label.split(' (')[0]}" for label, count in totals.items()))
