"""`python -m bench.annotations`: 1000 Code Insights annotations in one request, cairn vs the bare driver.

Per backend (SQLite, PostgreSQL) one real `cairn serve` runs on a fresh database, set up through the
API as bench/__main__.py does (PRJ/repo, a REPO_READ user `bench` who owns the report). Each round:

- cairn POST: `POST .../reports/bench.lint/annotations` with N realistic annotations in one body (after
  an untimed `DELETE .../annotations` that empties the report);
- cairn GET: `GET .../reports/bench.lint/annotations`, all N back;
- baseline insert: the same N rows, in-process, with the same driver, in one batch (aiosqlite
  `executemany` inside `BEGIN IMMEDIATE`/`COMMIT` with WAL and synchronous=NORMAL; asyncpg `executemany`
  in one transaction) into a table shaped like cairn's `insight_annotations` (same columns and indexes);
- baseline select: the same N rows selected back in insertion order.

cairn's figure is the client-side wall-clock time of the request (httpx, one keep-alive connection, HTTP
Basic as `bench`; the body is serialised before the clock starts). Medians over --repeat rounds after
--warmup rounds; cairn and the baseline alternate within a round. Target: cairn's POST <= 1.5x the baseline
insert on both databases. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import importlib.util
import json
import os
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.__main__ import (USER, Server, add_common_options, basic, cairn_server, clean_env, drop_databases,
                            expect, format_table, free_port, new_database, report, run_backends, set_up_repo,
                            start_harness)

TARGET_POST_RATIO = 1.5  # issue 14 (it was 2.0)
SHA = "a1b2c3d4" * 5
REPORT_KEY = "bench.lint"
REPORT = f"/rest/insights/latest/projects/PRJ/repos/repo/commits/{SHA}/reports/{REPORT_KEY}"
ANNOTATIONS = f"{REPORT}/annotations"

_SEVERITIES = ("LOW", "MEDIUM", "HIGH")
_TYPES = ("CODE_SMELL", "BUG", "VULNERABILITY")
_RULES = (("E501", "line too long (112 > 100 characters); wrap the expression or split it up"),
          ("F401", "'collections.OrderedDict' imported but unused; remove the import statement"),
          ("B006", "do not use mutable data structures for argument defaults; use None instead"),
          ("S608", "possible SQL injection vector through string-based query construction here"),
          ("C901", "'handle_request' is too complex (14 > 10); split it into smaller functions"))


def make_annotations(n: int) -> list[dict]:
    """n annotations as a linter posts them: message ~80 characters, every optional field set."""
    out = []
    for i in range(n):
        code, text = _RULES[i % len(_RULES)]
        out.append({"externalId": f"bench-{i:05d}-{code}", "message": f"{code} {text}",
                    "severity": _SEVERITIES[i % 3], "type": _TYPES[(i // 3) % 3],
                    "path": f"src/cairn/module_{i // 40:03d}/handlers.py", "line": 1 + (i * 7) % 900,
                    "link": f"https://lint.example.com/rules/{code}?run=4711&n={i}"})
    return out


def _row(report_id: int, a: dict) -> tuple:
    return (report_id, a["externalId"], a["message"], a["severity"], a["type"], a["path"], a["line"], a["link"])


# --- baseline: the bare driver, in this process ---------------------------------------------------------

_COLUMNS = "report_id, external_id, message, severity, type, path, line, link"
_SQLITE_DDL = [
    "CREATE TABLE insight_reports (id INTEGER NOT NULL PRIMARY KEY, key VARCHAR(450) NOT NULL)",
    """CREATE TABLE insight_annotations (
        id INTEGER NOT NULL PRIMARY KEY,
        report_id INTEGER NOT NULL REFERENCES insight_reports (id) ON DELETE CASCADE,
        external_id VARCHAR(450), message TEXT NOT NULL, severity VARCHAR(6) NOT NULL, type VARCHAR(16),
        path TEXT, line INTEGER NOT NULL, link TEXT)""",
    "CREATE INDEX ix_insight_annotations_report_id ON insight_annotations (report_id)",
    """CREATE UNIQUE INDEX uq_insight_annotations_report_external_id ON insight_annotations (report_id, external_id)
        WHERE external_id IS NOT NULL""",
    "INSERT INTO insight_reports (id, key) VALUES (1, 'bench.lint')",
]
# The same in PostgreSQL's words (cairn's migration gives PostgreSQL BIGINT keys).
_POSTGRES_DDL = [s.replace("id INTEGER NOT NULL PRIMARY KEY", "id BIGSERIAL PRIMARY KEY")
                  .replace("report_id INTEGER", "report_id BIGINT") for s in _SQLITE_DDL]


class _Baseline:
    """What both drivers do alike; `marks` are the driver's eight parameter placeholders."""

    def __init__(self, marks: list[str]):
        self.insert = f"INSERT INTO insight_annotations ({_COLUMNS}) VALUES ({', '.join(marks)})"
        self.select = f"SELECT id, {_COLUMNS} FROM insight_annotations WHERE report_id = {marks[0]} ORDER BY id"

    async def close(self) -> None:
        await self.conn.close()

    async def clear(self) -> None:
        await self.conn.execute("DELETE FROM insight_annotations WHERE report_id = 1")


class _SQLiteBaseline(_Baseline):
    def __init__(self, path: Path):
        super().__init__(["?"] * 8)
        self.path = path

    async def open(self) -> None:
        import aiosqlite

        self.conn = await aiosqlite.connect(str(self.path), timeout=30, isolation_level=None)
        for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON", "busy_timeout=30000"):
            await self.conn.execute(f"PRAGMA {pragma}")
        for statement in _SQLITE_DDL:
            await self.conn.execute(statement)

    async def write(self, rows: list[tuple]) -> None:
        await self.conn.execute("BEGIN IMMEDIATE")
        try:
            await self.conn.executemany(self.insert, rows)
            await self.conn.execute("COMMIT")
        except BaseException:
            await self.conn.execute("ROLLBACK")
            raise

    async def read(self) -> list:
        async with self.conn.execute(self.select, (1,)) as cursor:
            return await cursor.fetchall()


class _PostgresBaseline(_Baseline):
    def __init__(self, url: str):
        super().__init__([f"${i}" for i in range(1, 9)])
        self.url = url

    async def open(self) -> None:
        import asyncpg

        self.conn = await asyncpg.connect(self.url)
        for statement in _POSTGRES_DDL:
            await self.conn.execute(statement)

    async def write(self, rows: list[tuple]) -> None:
        async with self.conn.transaction():
            await self.conn.executemany(self.insert, rows)

    async def read(self) -> list:
        return await self.conn.fetch(self.select, 1)


# --- results --------------------------------------------------------------------------------------------

@dataclass
class Row:
    op: str  # "POST" (insert), "GET" (select), or a floor server's POST ("HTTP", "HTTP+JSON"; --floor)
    backend: str
    n: int
    cairn: list[float] = field(default_factory=list)  # milliseconds per round
    baseline: list[float] = field(default_factory=list)

    def summary(self) -> dict:
        c, b = statistics.median(self.cairn), statistics.median(self.baseline)
        ratio = c / b if b else float("inf")
        target = TARGET_POST_RATIO if self.op == "POST" else None
        return {"op": self.op, "backend": self.backend, "annotations": self.n, "cairn_ms": c, "baseline_ms": b,
                "ratio": ratio, "target_ratio": target,
                "meets_target": None if target is None else ratio <= target, "repeats": len(self.cairn),
                "cairn_runs_ms": self.cairn, "baseline_runs_ms": self.baseline}


def table(rows: list[Row]) -> str:
    head = ("op", "backend", "rows", "cairn ms", "base ms", "ratio", "cairn min", "cairn max", "base min",
            "base max", "target")
    lines = [head]
    for row in rows:
        s = row.summary()
        verdict = "-" if s["meets_target"] is None else ("ok" if s["meets_target"] else "MISS")
        lines.append((s["op"], s["backend"], str(s["annotations"]), f"{s['cairn_ms']:.1f}", f"{s['baseline_ms']:.1f}",
                      f"{s['ratio']:.2f}", f"{min(row.cairn):.1f}", f"{max(row.cairn):.1f}",
                      f"{min(row.baseline):.1f}", f"{max(row.baseline):.1f}", verdict))
    return format_table(lines)


# --- one backend ----------------------------------------------------------------------------------------

def _start_cairn(backend: str, workdir: Path, args, databases: list[str], cairn_command: list[str]) -> Server:
    extra = {"CAIRN_INSIGHTS_MAX_ANNOTATIONS": str(args.annotations)} if args.annotations > 1000 else {}
    url = _new_database(args.postgres_url, "cairn", databases) if backend == "postgresql" else None
    server = cairn_server(backend, workdir, cairn_command, args.pool_size, url, **extra)
    server.start()
    server.wait_ready()
    return server


def _start_floor(workdir: Path, validate: bool) -> Server:
    """bench/floor.py under the same uvicorn settings as `cairn serve` (see bench/__main__.py's Stack)."""
    name = "floor-json" if validate else "floor-http"
    port = free_port()
    server = Server(name, [sys.executable, "-m", "uvicorn", "bench.floor:app", "--host", "127.0.0.1", "--port",
                           str(port), "--workers", "1", "--log-level", "warning", "--no-access-log"],
                    dict(clean_env(), BENCH_FLOOR_VALIDATE="1" if validate else "0"), workdir / f"{name}.log", port)
    server.start()
    server.wait_ready()
    return server


def _new_database(admin_url: str, role: str, databases: list[str]) -> str:
    return new_database(admin_url, f"cairn_bench_ann_{os.getpid()}_{role}", databases)


def _set_up(server: Server) -> None:
    """PRJ/repo, the REPO_READ user `bench`, and its report, all through cairn's API."""
    port = server.port
    set_up_repo(port)
    expect(port, "PUT", REPORT, basic(USER), {"title": "bench lint", "result": "FAIL", "reporter": "bench",
                                              "data": [{"title": "Problems", "type": "NUMBER", "value": 1000}]})


def run_backend(backend: str, workdir: Path, args, cairn_command: list[str], floor: bool = False) -> list[Row]:
    import httpx

    annotations = make_annotations(args.annotations)
    body = json.dumps({"annotations": annotations}).encode()
    rows = [_row(1, a) for a in annotations]
    post, get = Row("POST", backend, len(rows)), Row("GET", backend, len(rows))
    databases: list[str] = []
    loop = asyncio.new_event_loop()
    server = baseline = None
    floors: dict[str, Server] = {}
    try:
        if floor:
            floors = {"HTTP": _start_floor(workdir, False), "HTTP+JSON": _start_floor(workdir, True)}
        server = _start_cairn(backend, workdir, args, databases, cairn_command)
        _set_up(server)
        if backend == "postgresql":
            baseline = _PostgresBaseline(_new_database(args.postgres_url, "baseline", databases))
        else:
            baseline = _SQLiteBaseline(workdir / f"baseline-{backend}.db")
        loop.run_until_complete(baseline.open())

        with contextlib.ExitStack() as stack:
            client = stack.enter_context(httpx.Client(base_url=f"http://127.0.0.1:{server.port}", auth=USER,
                                                      timeout=120, headers={"Content-Type": "application/json"}))

            def cairn_round() -> tuple[float, float]:
                r = client.delete(ANNOTATIONS)  # untimed: empty the report
                if r.status_code != 204:
                    raise RuntimeError(f"DELETE annotations answered {r.status_code}: {r.text[:300]}")
                t0 = time.perf_counter()
                r = client.post(ANNOTATIONS, content=body)
                t1 = time.perf_counter()
                if r.status_code != 204:
                    raise RuntimeError(f"POST annotations answered {r.status_code}: {r.text[:300]}")
                t2 = time.perf_counter()
                r = client.get(ANNOTATIONS)
                t3 = time.perf_counter()
                if r.status_code != 200:
                    raise RuntimeError(f"GET annotations answered {r.status_code}: {r.text[:300]}")
                got = r.json()
                if got.get("totalCount") != len(rows) or len(got.get("annotations", ())) != len(rows):
                    raise RuntimeError(f"GET annotations: {got.get('totalCount')} annotations, not {len(rows)}")
                return (t1 - t0) * 1000, (t3 - t2) * 1000

            def baseline_round() -> tuple[float, float]:
                loop.run_until_complete(baseline.clear())  # untimed
                t0 = time.perf_counter()
                loop.run_until_complete(baseline.write(rows))
                t1 = time.perf_counter()
                t2 = time.perf_counter()
                got = loop.run_until_complete(baseline.read())
                t3 = time.perf_counter()
                if len(got) != len(rows):
                    raise RuntimeError(f"baseline read {len(got)} rows, not {len(rows)}")
                return (t1 - t0) * 1000, (t3 - t2) * 1000

            def floor_round(floor: httpx.Client) -> tuple[float, None]:
                floor.delete(ANNOTATIONS)  # as cairn's round does
                t0 = time.perf_counter()
                r = floor.post(ANNOTATIONS, content=body)
                t1 = time.perf_counter()
                if r.status_code != 204:
                    raise RuntimeError(f"the floor server answered {r.status_code}")
                return (t1 - t0) * 1000, None

            floor_clients = {op: stack.enter_context(httpx.Client(
                base_url=f"http://127.0.0.1:{floor.port}", timeout=120, headers={"Content-Type": "application/json"}))
                for op, floor in floors.items()}
            rounds = {"cairn": cairn_round, "baseline": baseline_round,
                      **{op: functools.partial(floor_round, floor) for op, floor in floor_clients.items()}}
            floor_rows = {op: Row(op, backend, len(rows)) for op in floors}
            for _ in range(args.warmup):
                for fn in rounds.values():
                    fn()
            # Both answer the same rows: the baseline does the same work.
            first = client.get(ANNOTATIONS).json()["annotations"][0]
            if {k: first.get(k) for k in ("externalId", "message", "path", "line", "link")} != \
                    {k: annotations[0][k] for k in ("externalId", "message", "path", "line", "link")}:
                raise RuntimeError(f"cairn answered {first}, not {annotations[0]}")
            for i in range(args.repeat):
                order = list(rounds) if i % 2 == 0 else list(reversed(rounds))
                for name in order:
                    p_ms, g_ms = rounds[name]()
                    if name in floor_rows:
                        floor_rows[name].cairn.append(p_ms)
                        continue
                    getattr(post, name).append(p_ms)
                    getattr(get, name).append(g_ms)
                    print(f"  {backend:<10} {name:<8} round {i + 1}: POST {p_ms:8.1f} ms   GET {g_ms:8.1f} ms",
                          flush=True)
        for row in floor_rows.values():
            row.baseline = post.baseline  # the same rounds' baseline insert
        return [post, get, *floor_rows.values()]
    finally:
        if baseline is not None and hasattr(baseline, "conn"):
            try:
                loop.run_until_complete(baseline.close())
            except Exception:  # noqa: BLE001 - cleanup keeps going
                pass
        loop.close()
        for running in [server, *floors.values()]:
            if running is not None:
                running.stop()
        drop_databases(args.postgres_url, databases)


# --- main -----------------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.annotations", description=__doc__.splitlines()[0])
    # Rounds are short (~10 ms): many of them keep the medians steady on a noisy machine.
    p.add_argument("--repeat", type=int, default=21,
                   help="measured rounds per backend (default 21; medians shown)")
    p.add_argument("--warmup", type=int, default=3, help="uncounted rounds first (default 3)")
    p.add_argument("--annotations", type=int, default=1000,
                   help="annotations per request (default 1000, cairn's default cap; more raises the cap)")
    p.add_argument("--floor", action="store_true",
                   help="also time the POST against a bare uvicorn app that only reads the body (HTTP) and one that "
                        "also validates it as cairn does (HTTP+JSON): the part no server of this stack avoids")
    add_common_options(p, pool_help="cairn's database pool (default 10)",
                       postgres_help="an administrative PostgreSQL URL; fresh databases are created (and dropped)",
                       check_help="exit 1 when the POST target is missed")
    args = p.parse_args(argv)
    if args.repeat < 1 or args.warmup < 0 or args.annotations < 1:
        p.error("--repeat must be >= 1, --warmup >= 0, --annotations >= 1")
    if importlib.util.find_spec("httpx") is None:  # the client side (cairn's test extra)
        p.error("needs httpx (pip install -e '.[test]')")

    backends, cairn_command = start_harness(args)
    print(f"bench.annotations: {len(backends)} backend(s), {args.annotations} annotations per request, "
          f"{args.warmup} warm-up + {args.repeat} measured rounds", flush=True)

    rows, failures = run_backends("bench.annotations", backends,
                                  lambda backend, workdir: run_backend(backend, workdir, args, cairn_command,
                                                                       # no database: once is enough
                                                                       args.floor and backend == backends[0]))
    report(rows, table(rows), f"target: cairn POST of {args.annotations} annotations <= {TARGET_POST_RATIO:g}x the "
                              f"baseline's batch insert; medians of {args.repeat} round(s); cairn = client-side "
                              f"request time, baseline = in-process driver time", args.json)
    if failures:
        return 2
    missed = sum(r.summary()["meets_target"] is False for r in rows)
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
