"""`python -m bench.prune`: build-status POST latency while `cairn prune` deletes a million old rows.

Per backend, one real `cairn serve` on a fresh database (PRJ/repo and the REPO_READ user `bench` through the API),
then --rows old build statuses written straight into its table (a year before the cutoff). wrk drives the
build-status POST of `python -m bench` (load.lua, 16 connections, as fast as it can) in windows of --window
seconds: first without a prune, then while `cairn prune --older-than 30d` runs beside the server, until it
exits. The table shows, per phase, the median throughput and the median and worst p99 of the windows, how
long the prune took and what it deleted. The target (--check): p99 during the prune under 50 ms (the house
budget), no errors, every old row gone.
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import subprocess
import sys
import time
from pathlib import Path

from bench.__main__ import (Run, add_common_options, finish, format_table, lone_cairn, run_backends, start_harness,
                            wrk)

OLD = 1_600_000_000_000  # 2020-09: far older than the 30-day cutoff
TARGET_P99_MS = 50.0


def seed(backend: str, home: Path, url: str | None, rows: int) -> None:
    """`rows` old statuses of PRJ/repo (repository 1), 3 per commit, in one statement."""
    values = ("1, {sha}, 'k' || ({i} % 3), 'SUCCESSFUL', 'https://ci.example.com/old', {old} + {i}, {old} + {i}")
    if backend == "sqlite":
        conn = sqlite3.connect(home / "cairn.db")
        try:
            conn.execute(f"WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) "
                         "INSERT INTO build_statuses (repository_id, commit_id, key, state, url, created_date, "
                         "updated_date) SELECT " + values.format(sha="printf('%040x', i / 3)", i="i", old=OLD)
                         + " FROM n")
            conn.commit()
        finally:
            conn.close()
        return

    async def run() -> None:
        import asyncpg
        conn = await asyncpg.connect(url)
        try:
            await conn.execute("INSERT INTO build_statuses (repository_id, commit_id, key, state, url, created_date, "
                               "updated_date) SELECT " + values.format(sha="lpad(to_hex(i / 3), 40, '0')", i="i",
                                                                        old=OLD)
                               + f" FROM generate_series(1, {rows}) AS i")
            await conn.execute("ANALYZE build_statuses")
        finally:
            await conn.close()
    asyncio.run(run())


def _summary(runs: list[Run]) -> dict:
    return {"windows": len(runs), "rps": statistics.median(r.rps for r in runs),
            "p99_ms": statistics.median(r.p99_ms for r in runs), "worst_p99_ms": max(r.p99_ms for r in runs),
            "errors": sum(r.errors for r in runs)}


def prune_backend(backend: str, workdir: Path, args, cairn_command: list[str]) -> list[dict]:
    with lone_cairn(backend, workdir, args, cairn_command, "prune") as (server, url):
        started = time.monotonic()
        seed(backend, Path(server.env["CAIRN_HOME"]), url, args.rows)
        print(f"  {backend:<10} seeded {args.rows} old statuses in {time.monotonic() - started:.1f} s", flush=True)
        wrk(server.port, "post", 3, args)  # warm-up: credential cache, connections
        before = [wrk(server.port, "post", args.window, args) for _ in range(args.quiet_windows)]
        pruning = subprocess.Popen([*cairn_command, "prune", "--older-than", "30d"], env=server.env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        started = time.monotonic()
        during = []
        while pruning.poll() is None:
            during.append(wrk(server.port, "post", args.window, args))
            print(f"  {backend:<10} during the prune: {during[-1].rps:6.0f} req/s  p99 {during[-1].p99_ms:5.1f} ms",
                  flush=True)
        took = time.monotonic() - started
        out, err = pruning.communicate()
        if pruning.returncode != 0:
            raise RuntimeError(f"cairn prune failed ({pruning.returncode}): {err}")
        deleted = int(out.split("deleted ")[1].split()[0])
    quiet, busy = _summary(before), _summary(during)
    ok = busy["p99_ms"] < TARGET_P99_MS and not quiet["errors"] and not busy["errors"] and deleted == args.rows
    return [{"backend": backend, "rows": args.rows, "deleted": deleted, "prune_seconds": took,
             "before": quiet, "during": busy, "meets_target": ok}]


def table(results: list[dict]) -> str:
    lines = [("backend", "phase", "windows", "req/s", "p99 ms (median)", "p99 ms (worst)", "errors", "prune")]
    for r in results:
        for phase in ("before", "during"):
            s = r[phase]
            lines.append((r["backend"], phase, str(s["windows"]), f"{s['rps']:.0f}", f"{s['p99_ms']:.1f}",
                          f"{s['worst_p99_ms']:.1f}", str(s["errors"]),
                          f"{r['deleted']} rows in {r['prune_seconds']:.0f} s" if phase == "during" else ""))
    return format_table(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.prune", description=__doc__.splitlines()[0])
    p.add_argument("--rows", type=int, default=1_000_000, help="old build statuses to prune (default 1,000,000)")
    p.add_argument("--window", type=float, default=5, help="seconds per wrk window (default 5)")
    p.add_argument("--quiet-windows", type=int, default=3, help="windows measured before the prune (default 3)")
    p.add_argument("--connections", type=int, default=16)
    add_common_options(p, pool_help="CAIRN_DB_POOL_SIZE (default 10)",
                       postgres_help="administrative PostgreSQL URL (a database is created and dropped)",
                       check_help=f"exit 1 when the p99 during the prune reaches {TARGET_P99_MS:.0f} ms or rows remain")
    args = p.parse_args(argv)
    args.threads, args.shas, args.keys = 1, 64, 4  # the load of `python -m bench`'s post scenario
    backends, cairn_command = start_harness(args)
    results, failures = run_backends("bench.prune", backends,
                                     lambda backend, tmp: prune_backend(backend, tmp, args, cairn_command))
    return finish(results, failures, table, args)


if __name__ == "__main__":
    sys.exit(main())
