"""Bad configuration stops `cairn serve` at once: one clear line, a non-zero exit, no traceback."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest


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
