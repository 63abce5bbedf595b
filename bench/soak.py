"""`python -m bench.soak`: ten minutes of mixed traffic at about 80 % of the measured peak, per database.

Per backend, one real `cairn serve` on a fresh database (PRJ/repo and the REPO_READ user `bench` through the
API). Four wrk processes run side by side, one per kind of request, 16 connections in all: build-status POSTs,
stats GETs, 5-annotation POSTs and deployment POSTs. First together as fast as they can for --peak-seconds (the
peak, per kind); then for --minutes, each kind paced (wrk's delay()) to --load of its peak. Every write of the
soak is new (its own commit, key or sequence number), so the rows the database gains must equal the writes
acknowledged; the server's RSS is sampled every 5 s.

Targets (--check): no error and no non-2xx answer; RSS at the end within 10 % of RSS after the first minute;
stored rows equal to acknowledged writes, per kind.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.__main__ import (USER, add_common_options, basic, expect, finish, format_table, lone_cairn, run_backends,
                            start_harness)

LUA = Path(__file__).resolve().parent / "soak.lua"
CONNECTIONS = {"build": 6, "stats": 4, "annotations": 2, "deployment": 4}  # 16 in all
TABLES = {"build": "build_statuses", "annotations": "insight_annotations", "deployment": "deployments"}
ROWS_PER_WRITE = {"build": 1, "annotations": 5, "deployment": 1}
BASE = {"build": 0x50000000, "stats": 0x50000000, "annotations": 0x5a000000, "deployment": 0x5d000000}
SOAK_OFFSET = 0x01000000  # each run's commits are its own (peak, trial, soak): every soak write is a new row
CALIBRATION_SECONDS = 15
POSTS_PER_REPORT = 100  # soak.lua sends 100 POSTs of 5 annotations to one report, then the next
RSS_GROWTH_LIMIT, FIRST_MINUTE = 0.10, 60.0


@dataclass
class KindRun:
    acked: int
    failed: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float


def _wrk(port: int, kind: str, base: int, seconds: float, delay_ms: int, reports: int) -> subprocess.Popen:
    env = dict(os.environ, BENCH_KIND=kind, BENCH_AUTH=basic(USER), BENCH_BASE=str(base),
               BENCH_DELAY_MS=str(delay_ms), BENCH_SECONDS=str(int(seconds)), BENCH_REPORTS=str(reports))
    # wrk's own duration is longer: past BENCH_SECONDS every connection asks GET /status, so every write it
    # sent has its answer before wrk stops.
    argv = ["wrk", "-t", "1", "-c", str(CONNECTIONS[kind]), "-d", f"{int(seconds) + 4}s", "--timeout", "10s",
            "-s", str(LUA), f"http://127.0.0.1:{port}"]
    return subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _result(proc: subprocess.Popen, seconds: float) -> KindRun:
    out, err = proc.communicate()
    line = next((ln for ln in out.splitlines() if ln.startswith("BENCH_RESULT ")), None)
    if proc.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{out}\n{err}")
    r = json.loads(line[len("BENCH_RESULT "):])
    errors = sum(r[k] for k in ("connect", "read", "write", "status", "timeout"))
    return KindRun(acked=r["acked"], failed=r["failed"], errors=errors, rps=r["acked"] / seconds,
                   p50_ms=r["p50_us"] / 1000, p99_ms=r["p99_us"] / 1000)


def run_mix(port: int, seconds: float, offset: int, delays: dict[str, int], reports: int) -> dict[str, KindRun]:
    procs = {kind: _wrk(port, kind, BASE[kind] + offset, seconds, delays.get(kind, 0), reports)
             for kind in CONNECTIONS}
    return {kind: _result(proc, seconds) for kind, proc in procs.items()}


def make_reports(port: int, offset: int, count: int) -> None:
    """The reports soak.lua's annotation POSTs go to, one per commit BENCH_BASE + 0..count-1."""
    for i in range(count):
        sha = f"{BASE['annotations'] + offset + i:08x}" * 5
        expect(port, "PUT", f"/rest/insights/latest/projects/PRJ/repos/repo/commits/{sha}/reports/soak", basic(USER),
               {"title": "Soak", "reporter": "bench.soak"})


def count_rows(backend: str, home: Path, url: str | None) -> dict[str, int]:
    queries = {kind: f"SELECT count(*) FROM {table}" for kind, table in TABLES.items()}
    if backend == "sqlite":
        conn = sqlite3.connect(home / "cairn.db")
        try:
            return {kind: conn.execute(sql).fetchone()[0] for kind, sql in queries.items()}
        finally:
            conn.close()

    async def run() -> dict[str, int]:
        import asyncpg
        conn = await asyncpg.connect(url)
        try:
            return {kind: await conn.fetchval(sql) for kind, sql in queries.items()}
        finally:
            await conn.close()
    return asyncio.run(run())


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


class RssSampler(threading.Thread):
    """The server's resident memory every `every` seconds, as (seconds since start, MB)."""

    def __init__(self, pid: int, every: float = 5.0):
        super().__init__(daemon=True)
        self.pid, self.every, self.samples = pid, every, []
        self.started_at = time.monotonic()
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.wait(self.every):
            self.samples.append((time.monotonic() - self.started_at, rss_mb(self.pid)))

    def stop(self) -> None:
        self._stop_event.set()
        self.join()
        self.samples.append((time.monotonic() - self.started_at, rss_mb(self.pid)))

    def after(self, seconds: float) -> float:
        return next((mb for at, mb in self.samples if at >= seconds), self.samples[-1][1])


def soak_backend(backend: str, workdir: Path, args, cairn_command: list[str]) -> dict:
    with lone_cairn(backend, workdir, args, cairn_command, "soak") as (server, url):
        peak_reports = 100  # room for 20,000 annotation POSTs at the peak, far more than one core answers
        make_reports(server.port, 0, peak_reports)
        peak = run_mix(server.port, args.peak_seconds, 0, {}, peak_reports)
        for kind, run in peak.items():
            print(f"  {backend:<10} peak  {kind:<11} {run.rps:7.0f} req/s  p50 {run.p50_ms:5.1f} ms  "
                  f"p99 {run.p99_ms:6.1f} ms  errors {run.errors + run.failed}", flush=True)
        seconds = args.minutes * 60
        targets = {kind: args.load * run.rps for kind, run in peak.items()}
        # wrk paces by a pause per request: rate = connections / (pause + latency). A short run at a first guess
        # of 1 ms latency measures each kind's latency at this load, and the soak's pauses allow for it.
        delays = {kind: max(1, round(CONNECTIONS[kind] * 1000 / target - 1)) for kind, target in targets.items()}
        make_reports(server.port, SOAK_OFFSET, peak_reports)
        trial = run_mix(server.port, CALIBRATION_SECONDS, SOAK_OFFSET, delays, peak_reports)
        delays = {kind: max(1, round(CONNECTIONS[kind] * 1000 / targets[kind]
                                     - (CONNECTIONS[kind] * 1000 / max(run.rps, 1) - delays[kind])))
                  for kind, run in trial.items()}
        reports = math.ceil(targets["annotations"] * seconds * 1.5 / POSTS_PER_REPORT) + 10
        make_reports(server.port, 2 * SOAK_OFFSET, reports)
        time.sleep(2)  # the trial run's last writes land before the count
        before = count_rows(backend, Path(server.env["CAIRN_HOME"]), url)
        sampler = RssSampler(server.proc.pid)
        sampler.start()
        soak = run_mix(server.port, seconds, 2 * SOAK_OFFSET, delays, reports)
        sampler.stop()
        after = count_rows(backend, Path(server.env["CAIRN_HOME"]), url)
    kinds = {}
    for kind, run in soak.items():
        stored = after[kind] - before[kind] if kind in TABLES else None
        kinds[kind] = {"peak_rps": peak[kind].rps, "soak_rps": run.rps, "load": run.rps / peak[kind].rps,
                       "p50_ms": run.p50_ms, "p99_ms": run.p99_ms, "errors": run.errors + run.failed,
                       "acked": run.acked, "rows_expected": run.acked * ROWS_PER_WRITE[kind] if kind in TABLES else None,
                       "rows_stored": stored}
    first, last = sampler.after(FIRST_MINUTE), sampler.samples[-1][1]
    ok = (all(k["errors"] == 0 and k["rows_expected"] == k["rows_stored"] for k in kinds.values())
          and last <= first * (1 + RSS_GROWTH_LIMIT))
    return {"backend": backend, "minutes": args.minutes, "kinds": kinds, "rss_mb_first_minute": first,
            "rss_mb_end": last, "rss_mb_max": max(mb for _, mb in sampler.samples), "meets_target": ok}


def table(results: list[dict]) -> str:
    lines = [("backend", "kind", "peak req/s", "soak req/s", "% of peak", "p50 ms", "p99 ms", "errors",
              "acknowledged", "rows expected", "rows stored")]
    for r in results:
        for kind, k in r["kinds"].items():
            lines.append((r["backend"], kind, f"{k['peak_rps']:.0f}", f"{k['soak_rps']:.0f}", f"{k['load']:.0%}",
                          f"{k['p50_ms']:.1f}", f"{k['p99_ms']:.1f}", str(k["errors"]), str(k["acked"]),
                          str(k["rows_expected"] if k["rows_expected"] is not None else "-"),
                          str(k["rows_stored"] if k["rows_stored"] is not None else "-")))
    text = format_table(lines)
    for r in results:
        text += (f"\n{r['backend']}: RSS {r['rss_mb_first_minute']:.0f} MB after the first minute, "
                 f"{r['rss_mb_end']:.0f} MB at the end ({r['rss_mb_end'] / r['rss_mb_first_minute'] - 1:+.1%}), "
                 f"{r['rss_mb_max']:.0f} MB at most; {'meets' if r['meets_target'] else 'MISSES'} the targets")
    return text


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.soak", description=__doc__.splitlines()[0])
    p.add_argument("--minutes", type=float, default=10, help="length of the soak (default 10)")
    p.add_argument("--peak-seconds", type=float, default=20, help="length of the unpaced peak run (default 20)")
    p.add_argument("--load", type=float, default=0.8, help="fraction of the peak the soak asks for (default 0.8)")
    add_common_options(p, pool_help="CAIRN_DB_POOL_SIZE (default 10)",
                       postgres_help="administrative PostgreSQL URL (a database is created and dropped)",
                       check_help="exit 1 on an error, a lost or extra row, or RSS growth over 10 %%")
    args = p.parse_args(argv)
    backends, cairn_command = start_harness(args)
    results, failures = run_backends("bench.soak", backends,
                                     lambda backend, tmp: [soak_backend(backend, tmp, args, cairn_command)])
    return finish(results, failures, table, args)


if __name__ == "__main__":
    sys.exit(main())
