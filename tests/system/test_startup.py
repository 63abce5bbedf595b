"""Bad configuration stops `cairn serve` at once: one clear line, a non-zero exit, no traceback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.fixtures.postgres import PG_URL, create_database, drop_database
from tests.fixtures.server import ADMIN, set_up_repository, start_server, stop_server


def _serve(tmp_path: Path, port: int, *args: str, **env: str) -> subprocess.CompletedProcess:
    cairn = Path(sys.executable).parent / "cairn"
    full = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
    full.update({"CAIRN_HOME": str(tmp_path / "home"), **env})
    return subprocess.run([str(cairn if cairn.exists() else shutil.which("cairn")), "serve", "--port", str(port),
                           *args], env=full, capture_output=True, text=True, timeout=60)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize("env, says", [
    ({"CAIRN_DATABASE_URL": "mysql://db.example/cairn"}, "names no database cairn can use"),
    ({"CAIRN_DATABASE_URL": "postgresql://cairn:hunter2@127.0.0.1:1/cairn"}, "cannot be used"),
    ({"CAIRN_HOME": "/proc/cairn-cannot-write-here"}, "is not a directory cairn can write to"),
    ({"CAIRN_CPU_AFFINITY": "sometimes"}, "CAIRN_CPU_AFFINITY is auto or off"),
])
def test_bad_configuration_is_one_line_and_a_failure(tmp_path, env, says):
    result = _serve(tmp_path, _free_port(), **env)
    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and says in lines[0], result.stderr
    assert "Traceback" not in result.stderr and "hunter2" not in result.stderr


def test_a_port_in_use_is_one_line_and_a_failure(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        result = _serve(tmp_path, taken.getsockname()[1])
    assert result.returncode != 0 and "cannot listen on 127.0.0.1:" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr


def test_several_workers_on_sqlite_are_refused(tmp_path):
    result = _serve(tmp_path, _free_port(), "--workers", "2")
    assert result.returncode != 0 and "needs PostgreSQL" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def _cpus_of_threads(pid: int | str) -> dict[str, str]:
    """Each thread's allowed CPUs, as Linux lists them ("1", "0-1"), by thread id."""
    found = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        for line in (task / "status").read_text().splitlines():
            if line.startswith("Cpus_allowed_list:"):
                found[task.name] = line.split(":", 1)[1].strip()
    return found


@pytest.mark.skipif(not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
                    reason="needs Linux and two CPUs or more")
@pytest.mark.parametrize("setting", ["auto", "off"])
def test_on_sqlite_the_server_keeps_its_threads_on_one_cpu_unless_told_not_to(tmp_path, setting):
    """After a write and a read: the event loop's thread and SQLite's connections' threads on the one CPU the
    start line names, the threads that hashed passwords (the administrator's at start-up, a sign-in) on any; with
    CAIRN_CPU_AFFINITY=off every thread on any CPU the process may use."""
    any_cpu = _cpus_of_threads("self")[str(os.getpid())]
    server = start_server("sqlite", tmp_path, None, CAIRN_CPU_AFFINITY=setting)
    try:
        set_up_repository(server)
        sha = "ab" * 20
        with httpx.Client(base_url=server.url, auth=ADMIN) as client:
            r = client.post(f"/rest/api/latest/projects/PRJ/repos/repo/commits/{sha}/builds",
                            json={"key": "ci", "state": "SUCCESSFUL", "url": "https://ci.example/1"})
            assert r.status_code == 204, r.text
            assert client.get(f"/rest/build-status/latest/commits/stats/{sha}").json()["successful"] == 1
        threads, start = _cpus_of_threads(server.proc.pid), server.log_text().splitlines()[0]
        if setting == "auto":
            cpu = threads[str(server.proc.pid)]
            assert cpu.isdigit() and f"its threads kept on CPU {cpu}" in start, (cpu, start)
            assert list(threads.values()).count(cpu) >= 3, threads  # the loop's, SQLite's writer's and a reader's
            assert set(threads.values()) == {cpu, any_cpu}, threads
        else:
            assert set(threads.values()) == {any_cpu}, threads
            assert "kept on CPU" not in start
    finally:
        stop_server(server)


@pytest.mark.skipif(not PG_URL or not hasattr(os, "sched_getaffinity") or len(os.sched_getaffinity(0)) < 2,
                    reason="needs PostgreSQL (CAIRN_TEST_POSTGRES_URL), Linux and two CPUs or more")
def test_on_postgresql_the_server_leaves_its_threads_on_every_cpu(tmp_path):
    """PostgreSQL's driver runs in the event loop's thread: keeping to one CPU gained nothing there (bench/), so
    the default leaves every thread on every CPU the process may use, and the start line says nothing of a CPU."""
    any_cpu = _cpus_of_threads("self")[str(os.getpid())]
    name, url = create_database("cairn_cpu")
    try:
        server = start_server("postgresql", tmp_path, url)
        try:
            set_up_repository(server)
            assert set(_cpus_of_threads(server.proc.pid).values()) == {any_cpu}
            assert "kept on CPU" not in server.log_text().splitlines()[0]
        finally:
            stop_server(server)
    finally:
        drop_database(name)
