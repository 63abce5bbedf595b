"""`python -m bench`: load cairn and the baseline with the same wrk script; print throughput, latency, ratios.

For each backend, one real `cairn serve` process and one baseline (bench/baseline.py under uvicorn) run
side by side, each on a fresh database; measured runs alternate between the two so background noise
hits both alike. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import base64
import collections
import contextlib
import json
import os
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from bench.receiver import Receiver

ROOT = Path(__file__).resolve().parent.parent
LUA = Path(__file__).resolve().parent / "load.lua"
ADMIN = ("admin", "bench-admin-password")
USER = ("bench", "bench-user-password")  # a plain user with REPO_READ on PRJ/repo: it posts and reads
SCENARIOS = {
    "post": "POST /rest/api/latest/projects/PRJ/repos/repo/commits/<sha>/builds",
    "get": "GET /rest/build-status/latest/commits/stats/<sha>",
}
TARGET_RATIO, TARGET_P99_MS = 0.7, 20.0  # issue 14's bar (the house budget began at 0.5 and 50 ms)
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"

_started: list["Server"] = []  # every process this run started, stopped on any exit


def commit_ids(n: int) -> list[str]:
    """The bounded set of commits the load touches (same formula as load.lua)."""
    return [f"{0x1b000000 + i:08x}" * 5 for i in range(n)]


def basic(user: tuple[str, str]) -> str:
    return "Basic " + base64.b64encode(f"{user[0]}:{user[1]}".encode()).decode()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def http(port: int, method: str, path: str, auth: str | None = None, body=None, timeout: float = 30):
    """(status, body bytes) of one request to 127.0.0.1:port."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(f"http://127.0.0.1:{port}{path}", data=data, method=method)
    if auth:
        req.add_header("Authorization", auth)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def expect(port: int, method: str, path: str, auth: str | None, body=None, ok=(200, 201, 204)) -> bytes:
    status, data = http(port, method, path, auth, body)
    if status not in ok:
        raise RuntimeError(f"{method} {path} answered {status}: {data[:300]!r}")
    return data


@dataclass
class Server:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    port: int
    proc: subprocess.Popen | None = None

    def start(self) -> None:
        with open(self.log, "wb") as log:
            # Own session: stop() signals the whole group this harness started, nothing else.
            self.proc = subprocess.Popen(self.argv, env=self.env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT,
                                         stdin=subprocess.DEVNULL, start_new_session=True)
        _started.append(self)

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                if http(self.port, "GET", "/status", timeout=2)[0] == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.name} not ready after {timeout:.0f}s:\n{self.tail()}")

    def tail(self) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-30:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 15), (signal.SIGKILL, 5)):
            try:
                os.killpg(self.proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                self.proc.wait(wait)
                return
            except subprocess.TimeoutExpired:
                continue


def _stop_all() -> None:
    while _started:
        _started.pop().stop()


def _on_signal(signum, _frame):
    raise SystemExit(128 + signum)  # unwinds through the finally blocks: servers stopped, databases dropped


# --- PostgreSQL: one fresh database per server per run -------------------------------------------------

def _pg_exec(admin_url: str, sql: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(admin_url, timeout=10)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(run())


def _pg_url(admin_url: str, database: str) -> str:
    base, _, _ = admin_url.rpartition("/")
    return f"{base}/{database}"


def new_database(admin_url: str, name: str, databases: list[str]) -> str:
    """A fresh (re-created) database `name`, remembered in `databases` for drop_databases(); its URL."""
    _pg_exec(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _pg_exec(admin_url, f'CREATE DATABASE "{name}"')
    databases.append(name)
    return _pg_url(admin_url, name)


def drop_databases(admin_url: str, databases: list[str]) -> None:
    for name in databases:
        try:
            _pg_exec(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except Exception as e:  # noqa: BLE001 - cleanup keeps going, says what it left behind
            print(f"warning: could not drop database {name}: {e}", file=sys.stderr)


# --- cairn's server process -----------------------------------------------------------------------------

def clean_env() -> dict[str, str]:
    """This process's environment without CAIRN_* and BENCH_* (each server gets only what it is given)."""
    return {k: v for k, v in os.environ.items() if not k.startswith(("CAIRN_", "BENCH_"))}


def cairn_server(backend: str, workdir: Path, cairn_command: list[str], pool_size: int,
                 database_url: str | None, **extra_env: str) -> Server:
    """A `cairn serve` (not started yet) with its home under workdir and the bench administrator.

    The normal argon2 profile (CAIRN_ARGON2_PROFILE unset): the credential cache is what is measured.
    """
    home = workdir / f"cairn-{backend}"
    home.mkdir()
    env = dict(clean_env(), CAIRN_HOME=str(home), CAIRN_ADMIN_USERNAME=ADMIN[0], CAIRN_ADMIN_PASSWORD=ADMIN[1],
               CAIRN_DB_POOL_SIZE=str(pool_size), CAIRN_WEBHOOK_ALLOW_PRIVATE="1", **extra_env)  # (--webhook)
    if database_url:
        env["CAIRN_DATABASE_URL"] = database_url
    port = free_port()
    return Server(f"cairn ({backend})", [*cairn_command, "serve", "--host", "127.0.0.1", "--port", str(port)],
                  env, workdir / f"cairn-{backend}.log", port)


@contextlib.contextmanager
def lone_cairn(backend: str, workdir: Path, args, cairn_command: list[str], label: str):
    """One `cairn serve` on a fresh database, PRJ/repo and `bench` set up through its API: (the server, its
    PostgreSQL URL or None); stopped, and its database dropped, on leaving."""
    databases: list[str] = []
    url = new_database(args.postgres_url, f"cairn_{label}_{os.getpid()}", databases) if backend == "postgresql" else None
    server = cairn_server(backend, workdir, cairn_command, args.pool_size, url)
    try:
        server.start()
        server.wait_ready()
        set_up_repo(server.port)
        yield server, url
    finally:
        server.stop()
        drop_databases(args.postgres_url, databases)


def enable_rate_limit(port: int) -> None:
    """Rate limiting on, with a bucket no load here empties: what is measured is the cost of the check."""
    expect(port, "PUT", "/rest/api/latest/admin/rate-limit/settings", basic(ADMIN),
           {"enabled": True, "defaultSettings": {"capacity": 1_000_000, "fillRate": 1_000_000}})


def set_up_repo(port: int) -> None:
    """PRJ/repo and the REPO_READ user `bench`, through cairn's API as the administrator."""
    admin = basic(ADMIN)
    expect(port, "POST", "/rest/api/latest/projects", admin, {"key": "PRJ", "name": "Bench"})
    expect(port, "POST", "/rest/api/latest/projects/PRJ/repos", admin, {"name": "repo"})
    expect(port, "POST", f"/rest/api/latest/admin/users?name={USER[0]}&password={USER[1]}"
                         f"&displayName=Bench&emailAddress=bench@localhost", admin)
    expect(port, "PUT", f"/rest/api/latest/projects/PRJ/repos/repo/permissions/users?name={USER[0]}"
                        f"&permission=REPO_READ", admin)


# --- the two servers of one backend ---------------------------------------------------------------------

@dataclass
class Stack:
    backend: str
    workdir: Path
    postgres_url: str
    pool_size: int
    cairn_command: list[str]
    databases: list[str] = field(default_factory=list)
    cairn: Server | None = None
    baseline: Server | None = None

    def __enter__(self) -> "Stack":
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc) -> None:
        for server in (self.cairn, self.baseline):
            if server is not None:
                server.stop()
        drop_databases(self.postgres_url, self.databases)

    def _database(self, role: str) -> str | None:
        if self.backend != "postgresql":
            return None
        return new_database(self.postgres_url, f"cairn_bench_{os.getpid()}_{role}", self.databases)

    def _start(self) -> None:
        self.cairn = cairn_server(self.backend, self.workdir, self.cairn_command, self.pool_size,
                                  self._database("cairn"))

        url = self._database("baseline") or f"sqlite:///{self.workdir / f'baseline-{self.backend}.db'}"
        port = free_port()
        # The same uvicorn settings as `cairn serve` (src/cairn/cli/serve.py): one worker, default loop
        # and HTTP implementation (uvloop, httptools), log level warning, no access log.
        self.baseline = Server(f"baseline ({self.backend})",
                               [sys.executable, "-m", "uvicorn", "bench.baseline:app", "--host", "127.0.0.1",
                                "--port", str(port), "--workers", "1", "--log-level", "warning",
                                "--no-access-log"],
                               dict(clean_env(), BENCH_DATABASE_URL=url, BENCH_POOL_SIZE=str(self.pool_size)),
                               self.workdir / f"baseline-{self.backend}.log", port)
        self.cairn.start()
        self.baseline.start()
        self.cairn.wait_ready()
        self.baseline.wait_ready()

    def set_up(self, shas: list[str], keys: int, repositories: int = 0) -> None:
        """PRJ/repo and a REPO_READ user through cairn's API, and `repositories` more in PRJ (one in ten public), as
        an instance has; then the same statuses posted to both servers."""
        set_up_repo(self.cairn.port)
        for i in range(repositories):
            expect(self.cairn.port, "POST", "/rest/api/latest/projects/PRJ/repos", basic(ADMIN),
                   {"name": f"other-{i}", "public": i % 10 == 0})
        user = basic(USER)
        for server in (self.cairn, self.baseline):
            for sha in shas:
                for k in range(keys):
                    expect(server.port, "POST", f"/rest/api/latest/projects/PRJ/repos/repo/commits/{sha}/builds",
                           user, {"key": f"bench-{k}", "state": "SUCCESSFUL", "url": f"https://ci.example.com/{k}"})
        # Both answer the same stats for the same data: the baseline does equivalent work.
        answers = [json.loads(expect(s.port, "GET", f"/rest/build-status/latest/commits/stats/{shas[0]}", user))
                   for s in (self.cairn, self.baseline)]
        if answers[0] != answers[1] or answers[0].get("successful") != keys:
            raise RuntimeError(f"cairn and baseline disagree on stats: {answers}")


def _py_spy() -> str | None:
    local = Path(sys.executable).parent / "py-spy"
    return str(local) if local.exists() else shutil.which("py-spy")


def _cairn_command() -> list[str]:
    script = Path(sys.executable).parent / "cairn"
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "from cairn.cli import main; main()"]


# --- load -----------------------------------------------------------------------------------------------

@dataclass
class Run:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int


def wrk_command(script: Path, port: int, seconds: float, args) -> list[str]:
    """wrk running `script` against 127.0.0.1:port with --threads and --connections of args."""
    return ["wrk", "-t", str(args.threads), "-c", str(args.connections), "-d", f"{seconds:g}s",
            "--timeout", "10s", "-s", str(script), f"http://127.0.0.1:{port}"]


def wrk_run(out: subprocess.CompletedProcess) -> Run:
    """The Run of a finished wrk, from the "BENCH_RESULT {json}" line of the script's done()."""
    line = next((ln for ln in out.stdout.splitlines() if ln.startswith("BENCH_RESULT ")), None)
    if out.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({out.returncode}):\n{out.stdout}\n{out.stderr}")
    r = json.loads(line[len("BENCH_RESULT "):])
    errors = sum(r[k] for k in ("connect", "read", "write", "status", "timeout"))
    return Run(rps=(r["requests"] - errors) / (r["duration_us"] / 1e6), p50_ms=r["p50_us"] / 1000,
               p99_ms=r["p99_us"] / 1000, errors=errors, requests=r["requests"])


def wrk(port: int, scenario: str, seconds: float, args, profile_to: Path | None = None,
        profile_pid: int | None = None) -> Run:
    caller = ADMIN if getattr(args, "caller", "user") == "admin" else USER
    env = dict(os.environ, BENCH_SCENARIO=scenario, BENCH_AUTH=basic(caller), BENCH_SHAS=str(args.shas),
               BENCH_KEYS=str(args.keys))
    argv = wrk_command(LUA, port, seconds, args)
    spy = None
    if profile_to is not None:
        spy = subprocess.Popen([_py_spy(), "record", "--pid", str(profile_pid), "--duration", str(int(seconds)),
                                "--rate", "200", "--format", "raw", "--output", str(profile_to)],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=seconds + 60)
    finally:
        if spy is not None:
            try:
                spy.wait(seconds + 30)
            except subprocess.TimeoutExpired:
                os.killpg(spy.pid, signal.SIGKILL)
                spy.wait()
    return wrk_run(out)


@dataclass
class Row:
    scenario: str
    backend: str
    cairn: list[Run] = field(default_factory=list)
    baseline: list[Run] = field(default_factory=list)

    @staticmethod
    def _median(runs: list[Run], attr: str) -> float:
        return statistics.median(getattr(r, attr) for r in runs)

    def summary(self) -> dict:
        c = {a: self._median(self.cairn, a) for a in ("rps", "p50_ms", "p99_ms")}
        b = {a: self._median(self.baseline, a) for a in ("rps", "p50_ms", "p99_ms")}
        ratio = c["rps"] / b["rps"] if b["rps"] else 0.0
        errors = sum(r.errors for r in self.cairn + self.baseline)
        ok = ratio >= TARGET_RATIO and c["p99_ms"] < TARGET_P99_MS and errors == 0
        return {"scenario": self.scenario, "backend": self.backend, "cairn": c, "baseline": b, "ratio": ratio,
                "errors": errors, "meets_target": ok, "repeats": len(self.cairn),
                "cairn_runs": [r.__dict__ for r in self.cairn], "baseline_runs": [r.__dict__ for r in self.baseline]}


def format_table(lines: list[tuple[str, ...]]) -> str:
    """Columns padded to their widest cell (the first two left-aligned, the rest right), a rule under the head."""
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    out = ["  ".join(cell.ljust(w) if i < 2 else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths)))
           for line in lines]
    out.insert(1, "-" * len(out[0]))
    return "\n".join(out)


def table(rows: list[Row]) -> str:
    head = ("scenario", "backend", "cairn req/s", "base req/s", "ratio", "cairn p50", "cairn p99", "base p50",
            "base p99", "errors", "target")
    lines = [head]
    for row in rows:
        s = row.summary()
        c, b = s["cairn"], s["baseline"]
        verdict = "ok" if s["meets_target"] else "MISS"
        lines.append((s["scenario"], s["backend"], f"{c['rps']:.0f}", f"{b['rps']:.0f}", f"{s['ratio']:.2f}",
                      f"{c['p50_ms']:.1f}ms", f"{c['p99_ms']:.1f}ms", f"{b['p50_ms']:.1f}ms", f"{b['p99_ms']:.1f}ms",
                      str(s["errors"]), verdict))
    return format_table(lines)


# --- py-spy summary -------------------------------------------------------------------------------------

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def _frame_name(frame: str) -> str:
    m = _FRAME.match(frame.strip())
    if not m:
        return frame.strip()
    path = m["file"]
    for marker in ("site-packages/", "/src/", "/lib/python3"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{path}:{m['func']}"


def profile_summary(raw: Path, top: int = 25) -> str:
    """Where the server's event-loop thread spends its samples, from py-spy's collapsed stacks.

    Worker threads (aiosqlite's, anyio's) are left out: they mostly wait, and their waits look busy to
    py-spy. Stacks rooted in a greenlet (SQLAlchemy's async bridge) belong to the event-loop thread.
    """
    own, incl, packages, total = collections.Counter(), collections.Counter(), collections.Counter(), 0
    for line in raw.read_text(errors="replace").splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit() or "threading.py" in stack.split(";", 1)[0]:
            continue
        n = int(count)
        frames = [_frame_name(f) for f in stack.split(";")]
        total += n
        own[frames[-1]] += n
        leaf = frames[-1]
        packages[leaf.split("/", 1)[0] if "/" in leaf else leaf.split(":", 1)[0]] += n
        for f in set(frames):
            incl[f] += n
    if not total:
        return "(no samples)"
    pct = lambda n: f"{100 * n / total:5.1f}"  # noqa: E731
    out = [f"{total} samples of the event-loop thread",
           "self time by package: " + ", ".join(f"{p} {100 * n / total:.0f}%" for p, n in packages.most_common(8)),
           "", "self%  function"]
    out += [f"{pct(n)}  {f}" for f, n in own.most_common(top)]
    out += ["", "incl%  function (cairn frames, then the heaviest framework frames)"]
    out += [f"{pct(n)}  {f}" for f, n in incl.most_common() if f.startswith("cairn/") and "cli/serve" not in f][:top]
    out += [""]
    heavy = [(f, n) for f, n in incl.most_common()
             if f.startswith(("sqlalchemy/", "fastapi/dependencies", "fastapi/routing.py:_IncludedRouter._match",
                              "pydantic", "asyncpg/", "aiosqlite/", "anyio/", "starlette/concurrency"))]
    out += [f"{pct(n)}  {f}" for f, n in heavy[:top]]
    return "\n".join(out)


# --- what the three harnesses share (python -m bench, bench.annotations, bench.deployments) ---------------

def add_common_options(p: argparse.ArgumentParser, *, pool_help: str, postgres_help: str, check_help: str) -> None:
    """--backend, --pool-size, --postgres-url, --cairn-command, --json and --check."""
    p.add_argument("--backend", choices=("sqlite", "postgresql", "both"), default="both")
    p.add_argument("--pool-size", type=int, default=10, help=pool_help)
    default_url = os.environ.get("CAIRN_BENCH_POSTGRES_URL", os.environ.get("CAIRN_TEST_POSTGRES_URL", DEFAULT_POSTGRES))
    p.add_argument("--postgres-url", default=default_url, help=postgres_help)
    p.add_argument("--cairn-command", metavar="CMD",
                   help="how to start cairn (default: the venv's `cairn`); e.g. another checkout's venv/bin/cairn")
    p.add_argument("--json", type=Path, help="also write the results here as JSON")
    p.add_argument("--check", action="store_true", help=check_help)


def start_harness(args) -> tuple[list[str], list[str]]:
    """The backends and the cairn command that args name; from now on, any exit stops every started server.

    SIGTERM and SIGHUP unwind like SIGINT (finally blocks run: servers stopped, databases dropped).
    """
    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGHUP, _on_signal)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even when started with SIGINT ignored
    atexit.register(_stop_all)
    backends = ["sqlite", "postgresql"] if args.backend == "both" else [args.backend]
    return backends, shlex.split(args.cairn_command) if args.cairn_command else _cairn_command()


def run_backends(label: str, backends: list[str], run) -> tuple[list, int]:
    """run(backend, workdir) -> its rows, for each backend in one temporary directory; (all rows, failures).

    One backend failing still reports the other: the failure is counted and said on stderr.
    """
    rows: list = []
    failures = 0
    with tempfile.TemporaryDirectory(prefix=f"cairn-{label.replace('.', '-')}-") as tmp:
        for backend in backends:
            try:
                rows += run(backend, Path(tmp))
            except Exception as e:  # noqa: BLE001 - one backend failing still reports the other
                failures += 1
                print(f"{label}: {backend} failed: {e}", file=sys.stderr)
    _stop_all()
    return rows, failures


def report(rows: list, table_text: str, footer: str, json_path: Path | None) -> None:
    """The table and what it measured against; the rows' summaries as JSON when asked."""
    if not rows:
        return
    print()
    print(table_text)
    print(f"\n{footer}")
    if json_path:
        json_path.write_text(json.dumps([r.summary() for r in rows], indent=2) + "\n")


def finish(results: list[dict], failures: int, table, args) -> int:
    """Print table(results) and write the results as JSON when asked; the exit code (--check: 1 when a backend
    failed or a result misses its target)."""
    if results:
        print()
        print(table(results))
        if args.json:
            args.json.write_text(json.dumps(results, indent=2) + "\n")
    missed = failures or not all(r["meets_target"] for r in results)
    return 1 if args.check and missed else 0


# --- main -----------------------------------------------------------------------------------------------

def run_backend(backend: str, workdir: Path, args, shas: list[str], cairn_command: list[str]) -> list[Row]:
    rows: list[Row] = []
    with Stack(backend, workdir, args.postgres_url, args.pool_size, cairn_command) as stack:
        stack.set_up(shas, args.keys, args.repositories)
        if args.rate_limit:
            enable_rate_limit(stack.cairn.port)
        receiver = None
        if args.webhook:
            receiver = Receiver()
            expect(stack.cairn.port, "POST", "/rest/api/latest/projects/PRJ/repos/repo/webhooks", basic(ADMIN),
                   {"name": "bench", "url": receiver.url, "events": ["build:status_set"]})
        targets = {"cairn": stack.cairn, "baseline": stack.baseline}
        heard = 0  # build statuses cairn stored: events its webhook hears

        def measure(name: str, seconds: float) -> Run:
            """A wrk run against `name`; with --webhook, once cairn's deliveries have caught up (so that a
            baseline run never shares the machine with them, nor a cairn run with an earlier run's backlog)."""
            nonlocal heard
            if receiver is not None:
                print(f"  {scenario:<4} {backend:<10} cairn    deliveries caught up in "
                      f"{receiver.wait_for(heard):.1f} s", flush=True)
            run = wrk(targets[name].port, scenario, seconds, args)
            if name == "cairn" and scenario == "post":
                heard += run.requests - run.errors
            return run

        for scenario in args.scenarios:
            row = Row(scenario, backend)
            for name in targets:
                if args.warmup > 0:
                    measure(name, args.warmup)
            for i in range(args.repeat):
                order = list(targets) if i % 2 == 0 else list(reversed(targets))
                for name in order:
                    run = measure(name, args.duration)
                    getattr(row, name).append(run)
                    print(f"  {scenario:<4} {backend:<10} {name:<8} run {i + 1}: {run.rps:8.0f} req/s  "
                          f"p50 {run.p50_ms:6.1f} ms  p99 {run.p99_ms:6.1f} ms  errors {run.errors}",
                          flush=True)
            if args.profile:
                args.profile.mkdir(parents=True, exist_ok=True)
                raw = args.profile / f"cairn-{backend}-{scenario}.txt"
                run = wrk(stack.cairn.port, scenario, args.duration, args, raw, stack.cairn.proc.pid)
                print(f"  {scenario:<4} {backend:<10} cairn    under py-spy: {run.rps:.0f} req/s -> {raw}")
                if raw.exists():
                    summary = profile_summary(raw)
                    (args.profile / f"cairn-{backend}-{scenario}.summary.txt").write_text(summary + "\n")
            rows.append(row)
            if receiver is not None:
                print(f"  {scenario:<4} {backend:<10} cairn    webhook deliveries received so far: {receiver.count}")
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=float, default=10, help="seconds per measured run (default 10)")
    p.add_argument("--warmup", type=float, default=3, help="seconds of warm-up per server and scenario (default 3)")
    p.add_argument("--repeat", type=int, default=3, help="measured runs per server and scenario; medians shown")
    p.add_argument("--scenario", choices=(*SCENARIOS, "both"), default="both")
    p.add_argument("--connections", type=int, default=16, help="concurrent connections (default 16)")
    p.add_argument("--threads", type=int, default=1, help="wrk threads (default 1: leave the cores to the servers)")
    p.add_argument("--shas", type=int, default=64, help="distinct commits the load touches (default 64)")
    p.add_argument("--keys", type=int, default=4, help="build keys per commit (default 4)")
    p.add_argument("--repositories", type=int, default=0,
                   help="more repositories in PRJ, one in ten public (default 0; the instance's size)")
    p.add_argument("--caller", choices=("user", "admin"), default="user",
                   help="who the load signs in as: `bench` with REPO_READ (default) or the system administrator")
    p.add_argument("--rate-limit", action="store_true",
                   help="turn cairn's rate limiting on (with a bucket the load never empties) before measuring")
    p.add_argument("--webhook", action="store_true",
                   help="give PRJ/repo a webhook for build:status_set (a receiver in this process answers 204) "
                        "before measuring: what delivering costs the requests")
    p.add_argument("--profile", type=Path, metavar="DIR",
                   help="after the measured runs, one extra cairn run under py-spy per scenario (not counted); "
                        "collapsed stacks and a hot-spot summary go to DIR")
    add_common_options(p, pool_help="database pool of both servers (cairn's default: 10)",
                       postgres_help="an administrative PostgreSQL URL; a fresh database is created (and dropped) "
                                     "per server",
                       check_help="exit 1 when a row misses the target")
    args = p.parse_args(argv)

    if shutil.which("wrk") is None:
        p.error("wrk is not installed (Debian/Ubuntu: apt-get install wrk)")
    if args.profile and _py_spy() is None:
        p.error("--profile needs py-spy on PATH (pip install py-spy)")
    args.scenarios = list(SCENARIOS) if args.scenario == "both" else [args.scenario]
    shas = commit_ids(args.shas)
    backends, cairn_command = start_harness(args)
    per_run = 2 * (args.warmup + args.repeat * args.duration) + (args.duration if args.profile else 0)
    print(f"bench: {len(backends)} backend(s) x {len(args.scenarios)} scenario(s), about "
          f"{len(backends) * len(args.scenarios) * per_run / 60:.1f} min of load; {args.connections} connections, "
          f"HTTP Basic on every request", flush=True)
    rows, failures = run_backends("bench", backends,
                                  lambda backend, workdir: run_backend(backend, workdir, args, shas, cairn_command))
    report(rows, table(rows), f"target: cairn/baseline >= {TARGET_RATIO} and cairn p99 < {TARGET_P99_MS:.0f} ms at "
                              f"{args.connections} connections; medians of {args.repeat} run(s) of {args.duration:g}s",
           args.json)
    errors = sum(r.summary()["errors"] for r in rows)
    missed = sum(not r.summary()["meets_target"] for r in rows)
    if failures or errors:
        return 2
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
