"""`python -m bench.deployments`: deployments under wrk — the Jenkins plugin's POST against the build-status
baseline, and the environments listing as the deployment history grows from 10,000 to 100,000 rows.

Per backend (SQLite, PostgreSQL) the build-status benchmark's two servers run side by side on fresh
databases (bench/__main__.py's Stack: a real `cairn serve` and bench/baseline.py under the same uvicorn
settings), set up through cairn's API (PRJ/repo, the REPO_READ user `bench`). Then, at 16 connections:

- post: cairn and the baseline take `POST /rest/api/1.0/projects/PRJ/repos/repo/commits/<sha>/deployments` with
  the Jenkins plugin's body shape (deployments.lua; commits, keys, environments and sequence numbers drawn from a
  bounded set, so it is an insert/update mix); the baseline runs the same statements as cairn (bench/baseline.py:
  the upsert, the row read back with its fromCommit, the environment; until issue 14 it was compared with the
  build-status upsert). Runs alternate between the two.
- environments: cairn's `GET /rest/api/1.0/projects/PRJ/repos/history/environments` on a second repository
  holding 100 environments and N deployments, N = 10,000 then 100,000, seeded straight into cairn's database
  (executemany, after the repository was created through the API) and checked through the API first.

The table shows medians of --repeat runs; the listing's 100k/10k ratio shows whether it slows down as the
history grows. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.__main__ import (ADMIN, USER, Run, Stack, add_common_options, basic, commit_ids, expect, format_table,
                            report, run_backends, start_harness, wrk_command, wrk_run)

LUA = Path(__file__).resolve().parent / "deployments.lua"
HISTORY_REPO = "history"
ENVIRONMENTS_PATH = f"/rest/api/1.0/projects/PRJ/repos/{HISTORY_REPO}/environments"
TARGET_RATIO, TARGET_P99_MS = 0.7, 20.0  # the POST: as the build-status benchmark's target
TARGET_GROWTH = 0.9  # the listing at 100k (and 1M) keeps at least 90% of its 10k throughput (issue 14)
TARGET_LISTING_P99_MS = 50.0
EPOCH_MS = 1_700_000_000_000
KEYS = 5  # deployment keys in the seeded history

_COLUMNS = ("repository_id", "commit_id", "key", "environment_key", "sequence_number", "display_name", "description",
            "url", "state", "environment_display_name", "environment_type", "environment_url", "last_updated")
_TYPES = ("DEVELOPMENT", "TESTING", "STAGING", "PRODUCTION")
_STATES = ("SUCCESSFUL",) * 7 + ("FAILED", "FAILED", "IN_PROGRESS")


def post_commits(n: int) -> list[str]:
    """The commits the POST load touches (same formula as deployments.lua)."""
    return [f"{0x2d000000 + i:08x}" * 5 for i in range(n)]


# --- the seeded history ---------------------------------------------------------------------------------

def history_row(repository_id: int, i: int, environments: int) -> tuple:
    """Deployment number i of the history: environment i % E, key by block, ten deployments per commit,
    mostly SUCCESSFUL; the last environment never succeeds (its latestSuccessful is absent)."""
    env = i % environments
    key = f"app-{(i // environments) % KEYS}"
    seq = i // (environments * KEYS)  # increases per (key, environment): unique identities
    sha = f"{0x3c000000 + (i // 10) % 5000:08x}" * 5
    state = "FAILED" if env == environments - 1 else _STATES[(i // environments + env) % 10]
    return (repository_id, sha, key, f"env-{env:03d}", seq, f"Deploy {key} #{seq}", f"build {seq} of {key}",
            f"https://jenkins.example.com/job/{key}/{seq}/", state, f"Environment {env}", _TYPES[env % 4],
            f"https://env-{env:03d}.example.com", EPOCH_MS + i * 1000)


def _sqlite_seed(path: Path, rows: list[tuple], environments: list[tuple]) -> None:
    conn = sqlite3.connect(str(path), timeout=60, isolation_level=None)
    try:
        conn.execute("PRAGMA busy_timeout=60000")
        conn.execute("BEGIN IMMEDIATE")
        marks = ", ".join("?" for _ in _COLUMNS)
        conn.executemany(f"INSERT INTO deployments ({', '.join(_COLUMNS)}) VALUES ({marks})", rows)
        conn.executemany("INSERT OR IGNORE INTO deployment_environments (repository_id, key) VALUES (?, ?)",
                         environments)
        conn.execute("COMMIT")
    finally:
        conn.close()


async def _postgres_seed(url: str, rows: list[tuple], environments: list[tuple]) -> None:
    import asyncpg

    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            marks = ", ".join(f"${i + 1}" for i in range(len(_COLUMNS)))
            await conn.executemany(f"INSERT INTO deployments ({', '.join(_COLUMNS)}) VALUES ({marks})", rows)
            await conn.executemany("INSERT INTO deployment_environments (repository_id, key) VALUES ($1, $2) "
                                   "ON CONFLICT DO NOTHING", environments)
        # What autovacuum's auto-analyze does after a bulk load like this one, now rather than whenever.
        await conn.execute("ANALYZE deployments")
        await conn.execute("ANALYZE deployment_environments")
    finally:
        await conn.close()


def seed(stack: Stack, repository_id: int, start: int, end: int, environments: int) -> float:
    """Insert history rows [start, end) into the database cairn uses; returns the seconds it took."""
    rows = [history_row(repository_id, i, environments) for i in range(start, end)]
    envs = [(repository_id, f"env-{e:03d}") for e in range(environments)]
    t0 = time.perf_counter()
    url = stack.cairn.env.get("CAIRN_DATABASE_URL")
    if url:
        asyncio.run(_postgres_seed(url, rows, envs))
    else:
        _sqlite_seed(Path(stack.cairn.env["CAIRN_HOME"]) / "cairn.db", rows, envs)
    return time.perf_counter() - t0


def check_history(port: int, n: int, environments: int, written: bool = False) -> None:
    """Through the API: every environment listed once, newest first, with the right latest deployments (once
    deployments were posted through the API, which are newer than any seeded one: every environment once)."""
    page = json.loads(expect(port, "GET", f"{ENVIRONMENTS_PATH}?limit=1000", basic(USER)))
    values = page["values"]
    if page["size"] != environments or not page["isLastPage"] or len(values) != environments:
        raise RuntimeError(f"environments listing shows {page['size']} environments, not {environments}")
    if written:
        return
    newest = history_row(0, n - 1, environments)
    first = values[0]
    if first["environment"]["key"] != newest[3] or first["latest"]["deploymentSequenceNumber"] != newest[4]:
        raise RuntimeError(f"environments listing starts with {first['environment']} / "
                           f"#{first['latest']['deploymentSequenceNumber']}, not {newest[3]} #{newest[4]}")
    never = f"env-{environments - 1:03d}"
    for value in values:
        if ("latestSuccessful" in value) == (value["environment"]["key"] == never):
            raise RuntimeError(f"latestSuccessful wrong for {value['environment']['key']}")
        if value["latest"]["lastUpdated"] < EPOCH_MS + (n - environments) * 1000:
            raise RuntimeError(f"latest of {value['environment']['key']} is not its newest deployment")


# --- load -----------------------------------------------------------------------------------------------

def run_wrk(port: int, env: dict[str, str], seconds: float, args) -> Run:
    """One wrk run of deployments.lua against cairn."""
    env = dict(os.environ, BENCH_AUTH=basic(USER), **env)
    out = subprocess.run(wrk_command(LUA, port, seconds, args), env=env, capture_output=True, text=True,
                         timeout=seconds + 60)
    return wrk_run(out)


def _median(runs: list[Run], attr: str) -> float:
    return statistics.median(getattr(r, attr) for r in runs)


def _figures(runs: list[Run]) -> dict:
    return {a: _median(runs, a) for a in ("rps", "p50_ms", "p99_ms")}


@dataclass
class Result:
    backend: str
    post_cairn: list[Run] = field(default_factory=list)
    post_baseline: list[Run] = field(default_factory=list)
    listing: dict[tuple[int, str], list[Run]] = field(default_factory=dict)  # (history size, phase) -> runs
    seed_seconds: dict[int, float] = field(default_factory=dict)
    writes: dict[int, Run] = field(default_factory=dict)  # history size -> the API writes just before

    def summary(self) -> dict:
        out = {"backend": self.backend, "errors": sum(r.errors for runs in (self.post_cairn, self.post_baseline,
                                                                             *self.listing.values()) for r in runs)}
        if self.post_cairn:
            c, b = _figures(self.post_cairn), _figures(self.post_baseline)
            ratio = c["rps"] / b["rps"] if b["rps"] else 0.0
            out["post"] = {"cairn": c, "baseline": b, "ratio": ratio,
                           "meets_target": ratio >= TARGET_RATIO and c["p99_ms"] < TARGET_P99_MS,
                           "cairn_runs": [r.__dict__ for r in self.post_cairn],
                           "baseline_runs": [r.__dict__ for r in self.post_baseline]}
        if self.listing:
            out["environments"] = {f"{n} {phase}": {**_figures(runs), "runs": [r.__dict__ for r in runs],
                                                    "seed_seconds": self.seed_seconds.get(n),
                                                    "writes_before": self.writes[n].__dict__ if n in self.writes
                                                    else None}
                                   for (n, phase), runs in self.listing.items()}
            out["growth"] = self.growth()
        return out

    def growth(self) -> list[dict]:
        """Per phase, each larger history against the smallest: throughput and p99 ratios (issue 14: throughput
        >= 0.9 of the 10k figure, p99 < 50 ms)."""
        rows = []
        for phase in dict.fromkeys(phase for _, phase in self.listing):
            sizes = sorted(n for n, p in self.listing if p == phase)
            small = _figures(self.listing[(sizes[0], phase)])
            for n in sizes[1:]:
                large = _figures(self.listing[(n, phase)])
                ratio = large["rps"] / small["rps"] if small["rps"] else 0.0
                rows.append({"phase": phase, "from": sizes[0], "to": n, "rps_ratio": ratio,
                             "p99_ratio": large["p99_ms"] / small["p99_ms"] if small["p99_ms"] else 0.0,
                             "meets_target": ratio >= TARGET_GROWTH and large["p99_ms"] < TARGET_LISTING_P99_MS})
        return rows


def table(results: list[Result]) -> str:
    head = ("scenario", "backend", "cairn req/s", "cairn p50", "cairn p99", "base req/s", "base p99", "ratio",
            "target")
    lines = [head]
    for res in results:
        s = res.summary()
        if "post" in s:
            p = s["post"]
            lines.append(("post deployment", res.backend, f"{p['cairn']['rps']:.0f}", f"{p['cairn']['p50_ms']:.1f}ms",
                          f"{p['cairn']['p99_ms']:.1f}ms", f"{p['baseline']['rps']:.0f}",
                          f"{p['baseline']['p99_ms']:.1f}ms", f"{p['ratio']:.2f}",
                          "ok" if p["meets_target"] else "MISS"))
        for (n, phase), runs in res.listing.items():
            f = _figures(runs)
            lines.append((f"environments @{n // 1000}k {phase}", res.backend, f"{f['rps']:.0f}",
                          f"{f['p50_ms']:.1f}ms", f"{f['p99_ms']:.1f}ms", "-", "-", "-", "-"))
        for g in s.get("growth", ()):
            lines.append((f"  {g['to'] // 1000}k / {g['from'] // 1000}k {g['phase']}", res.backend,
                          f"{g['rps_ratio']:.2f}", "", f"{g['p99_ratio']:.2f}", "", "", "",
                          "ok" if g["meets_target"] else "MISS"))
    return format_table(lines)


# --- one backend ----------------------------------------------------------------------------------------

def run_backend(backend: str, workdir: Path, args, cairn_command: list[str]) -> Result:
    result = Result(backend)
    with Stack(backend, workdir, args.postgres_url, args.pool_size, cairn_command) as stack:
        stack.set_up(commit_ids(1), 1)  # PRJ/repo and the REPO_READ user `bench` (through cairn's API)
        admin, user, port = basic(ADMIN), basic(USER), stack.cairn.port
        # The POST the load sends is accepted (and answered as the plugin expects) before it is measured.
        sample = {"deploymentSequenceNumber": 1, "description": "d", "displayName": "n",
                  "environment": {"key": "env-0", "displayName": "Environment 0", "type": "DEVELOPMENT"},
                  "key": "app-0", "state": "SUCCESSFUL", "url": "https://jenkins.example.com/job/app-0/1/"}
        answered = json.loads(expect(port, "POST", f"/rest/api/1.0/projects/PRJ/repos/repo/commits/"
                                                   f"{post_commits(1)[0]}/deployments", user, sample, ok=(200,)))
        if answered.get("toCommit", {}).get("id") != post_commits(1)[0]:
            raise RuntimeError(f"unexpected deployment answer: {answered}")

        if "post" in args.scenarios:
            post_env = {"BENCH_SCENARIO": "post", "BENCH_SHAS": str(args.shas), "BENCH_KEYS": str(args.keys),
                        "BENCH_ENVS": str(args.envs), "BENCH_SEQS": str(args.seqs)}
            measure = {"cairn": lambda s: run_wrk(port, post_env, s, args),
                       "baseline": lambda s: run_wrk(stack.baseline.port, post_env, s, args)}
            if args.warmup > 0:
                for fn in measure.values():
                    fn(args.warmup)
            for i in range(args.repeat):
                for name in (("cairn", "baseline") if i % 2 == 0 else ("baseline", "cairn")):
                    run = measure[name](args.duration)
                    (result.post_cairn if name == "cairn" else result.post_baseline).append(run)
                    print(f"  post         {backend:<10} {name:<8} run {i + 1}: {run.rps:8.0f} req/s  "
                          f"p50 {run.p50_ms:6.1f} ms  p99 {run.p99_ms:6.1f} ms  errors {run.errors}", flush=True)

        if "environments" in args.scenarios:
            repository = json.loads(expect(port, "POST", "/rest/api/latest/projects/PRJ/repos", admin,
                                           {"name": HISTORY_REPO}))
            expect(port, "PUT", f"/rest/api/latest/projects/PRJ/repos/{HISTORY_REPO}/permissions/users"
                                f"?name={USER[0]}&permission=REPO_READ", admin)
            get_env = {"BENCH_SCENARIO": "environments", "BENCH_PATH": f"{ENVIRONMENTS_PATH}?limit={args.limit}"}
            # Deployments posted through the API at full speed, over the history's own environments (mostly new
            # sequence numbers: inserts), as a busy CD system does just before a dashboard reads the listing.
            write_env = {"BENCH_SCENARIO": "post", "BENCH_REPO": HISTORY_REPO, "BENCH_ENV_KEYS": "env-%03d",
                         "BENCH_ENVS": str(args.environments), "BENCH_SHAS": str(args.shas),
                         "BENCH_KEYS": str(args.keys), "BENCH_SEQS": "100000"}
            seeded = 0
            for n in args.history:
                took = seed(stack, repository["id"], seeded, n, args.environments)
                result.seed_seconds[n] = took
                check_history(port, n, args.environments, written=bool(result.writes))
                print(f"  environments {backend:<10} {n} deployments in {args.environments} environments "
                      f"(seeded in {took:.1f}s, checked through the API)", flush=True)
                phases = [("seeded", args.warmup)]
                if args.write_seconds > 0:
                    written = result.writes[n] = run_wrk(port, write_env, args.write_seconds, args)
                    print(f"  environments {backend:<10} {written.requests} deployments posted through the API in "
                          f"{args.write_seconds:g}s ({written.rps:.0f}/s, errors {written.errors})", flush=True)
                    phases = [("after writes", 0), ("after a pause", args.pause)]
                for phase, wait in phases:
                    if phase == "seeded" and wait > 0:
                        run_wrk(port, get_env, wait, args)  # warm-up
                    elif wait > 0:
                        time.sleep(wait)
                    runs = result.listing.setdefault((n, phase), [])
                    for i in range(args.repeat):
                        run = run_wrk(port, get_env, args.duration, args)
                        runs.append(run)
                        print(f"  environments {backend:<10} @{n:<7} {phase:<13} run {i + 1}: {run.rps:8.0f} req/s  "
                              f"p50 {run.p50_ms:6.1f} ms  p99 {run.p99_ms:6.1f} ms  errors {run.errors}", flush=True)
                seeded = n
    return result


# --- main -----------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.deployments", description=__doc__.splitlines()[0])
    p.add_argument("--scenario", choices=("post", "environments", "both"), default="both")
    p.add_argument("--duration", type=float, default=5, help="seconds per measured run (default 5)")
    p.add_argument("--warmup", type=float, default=2, help="seconds of warm-up per server and scenario (default 2)")
    p.add_argument("--repeat", type=int, default=3, help="measured runs per server and scenario; medians shown")
    p.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    p.add_argument("--threads", type=int, default=1, help="wrk threads (default 1: leave the cores to the servers)")
    p.add_argument("--shas", type=int, default=32, help="POST: distinct commits (default 32)")
    p.add_argument("--keys", type=int, default=2, help="POST: deployment keys (default 2)")
    p.add_argument("--envs", type=int, default=4, help="POST: environments (default 4)")
    p.add_argument("--seqs", type=int, default=4, help="POST: sequence numbers per key and environment (default 4)")
    p.add_argument("--environments", type=int, default=100, help="listing: environments in the history (100)")
    p.add_argument("--history", default="10000,100000",
                   help="listing: deployments stored when measured, ascending (default 10000,100000)")
    p.add_argument("--write-seconds", type=float, default=10,
                   help="listing: before measuring at each size, post deployments through the API at full speed "
                        "for this long, then measure right after and again after --pause (0: measure the quiet "
                        "seeded history only; default 10)")
    p.add_argument("--pause", type=float, default=30, help="listing: seconds between the two measurements (30)")
    p.add_argument("--limit", type=int, default=25,
                   help="listing: the page size asked for (default 25, Bitbucket's default page)")
    add_common_options(p, pool_help="database pool of both servers (cairn's default: 10)",
                       postgres_help="an administrative PostgreSQL URL; fresh databases are created (and dropped)",
                       check_help="exit 1 when a target is missed")
    args = p.parse_args(argv)
    try:
        args.history = sorted(int(n) for n in args.history.split(","))
    except ValueError:
        p.error("--history takes comma-separated integers")
    if args.repeat < 1 or args.duration <= 0 or args.warmup < 0 or min(args.history) < args.environments:
        p.error("--repeat >= 1, --duration > 0, --warmup >= 0, and every --history >= --environments")
    if shutil.which("wrk") is None:
        p.error("wrk is not installed (Debian/Ubuntu: apt-get install wrk)")
    args.scenarios = ("post", "environments") if args.scenario == "both" else (args.scenario,)
    backends, cairn_command = start_harness(args)
    print(f"bench.deployments: {', '.join(backends)}; {args.connections} connections, HTTP Basic on every request; "
          f"{args.warmup:g}s warm-up + {args.repeat} x {args.duration:g}s per measurement", flush=True)

    results, failures = run_backends("bench.deployments", backends,
                                     lambda backend, workdir: [run_backend(backend, workdir, args, cairn_command)])
    report(results, table(results),
           f"post: cairn's deployment POST vs the baseline's same statements (bench/baseline.py); target ratio >= "
           f"{TARGET_RATIO} and cairn p99 < {TARGET_P99_MS:.0f} ms. environments: GET ?limit={args.limit} with "
           f"{args.environments} environments, measured on the seeded history, or right after "
           f"{args.write_seconds:g}s of deployments posted through the API and again after a {args.pause:g}-s pause; "
           f"target: throughput at every size >= {TARGET_GROWTH:.0%} of {args.history[0] // 1000}k's and p99 < "
           f"{TARGET_LISTING_P99_MS:.0f} ms (the rows show req/s and p99 ratios). "
           f"Medians of {args.repeat} run(s) of {args.duration:g}s.", args.json)
    summaries = [r.summary() for r in results]
    if failures or any(s["errors"] for s in summaries):
        return 2
    missed = any(not s.get("post", {"meets_target": True})["meets_target"]
                 or not all(g["meets_target"] for g in s.get("growth", ())) for s in summaries)
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
