"""`cairn backup` while the server takes writes, `cairn restore` into the stopped server's home: every write
acknowledged before the backup started is there; nothing the restore replaced is lost."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

from tests.fixtures.server import ADMIN, start_server, stop_server

SHA = "0123456789abcdef0123456789abcdef01234567"
BUILDS = f"/rest/api/latest/projects/PRJ/repos/repo/commits/{SHA}/builds"


def _cairn(home: Path, *args: str) -> subprocess.CompletedProcess:
    cairn = Path(sys.executable).parent / "cairn"
    env = {k: v for k, v in os.environ.items() if not k.startswith("CAIRN_")}
    env["CAIRN_HOME"] = str(home)
    return subprocess.run([str(cairn if cairn.exists() else shutil.which("cairn")), *args], env=env,
                          capture_output=True, text=True, timeout=120)


def test_a_backup_under_write_load_restores_every_acknowledged_write(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    srv = start_server("sqlite", home, None)
    acknowledged: list[tuple[float, str]] = []
    stop = threading.Event()
    try:
        client = httpx.Client(base_url=srv.url, auth=ADMIN, timeout=30)
        assert client.post("/rest/api/latest/projects", json={"key": "PRJ", "name": "P"}).status_code == 201
        assert client.post("/rest/api/latest/projects/PRJ/repos", json={"name": "repo"}).status_code == 201

        def write():
            n = 0
            with httpx.Client(base_url=srv.url, auth=ADMIN, timeout=30) as writer:
                while not stop.is_set():
                    key = f"k{n}"
                    r = writer.post(BUILDS, json={"key": key, "state": "SUCCESSFUL", "url": "https://ci.example/1"})
                    if r.status_code == 204:
                        acknowledged.append((time.monotonic(), key))
                    n += 1
        writers = [threading.Thread(target=write) for _ in range(2)]
        for thread in writers:
            thread.start()
        time.sleep(1.0)
        backup_started = time.monotonic()
        result = _cairn(home, "backup", str(tmp_path / "cairn-backup.db"))
        assert result.returncode == 0, result.stderr
        time.sleep(0.3)
        stop.set()
        for thread in writers:
            thread.join()
        before = {key for at, key in acknowledged if at < backup_started}
        assert len(before) > 10 and len(acknowledged) > len(before)  # writes went on during the backup
        refused = _cairn(home, "restore", str(tmp_path / "cairn-backup.db"))
        assert refused.returncode != 0 and "stop the server" in refused.stderr
    finally:
        stop.set()
        stop_server(srv)
    again = _cairn(home, "backup", str(tmp_path / "cairn-backup.db"))
    assert again.returncode != 0 and "exists already" in again.stderr  # a backup is never overwritten

    restored = _cairn(home, "restore", str(tmp_path / "cairn-backup.db"))
    assert restored.returncode == 0, restored.stderr
    kept = restored.stdout.split("kept as ")[1].strip()
    assert Path(kept).exists()  # the database the restore replaced, with every write, is kept beside it
    srv = start_server("sqlite", home, None)
    try:
        keys, start = set(), 0
        while start is not None:
            page = httpx.get(f"{srv.url}{BUILDS}", params={"limit": 1000, "start": start}, auth=ADMIN).json()
            keys |= {status["key"] for status in page["values"]}
            start = page.get("nextPageStart")
        assert before <= keys
    finally:
        stop_server(srv)
