"""A real HTTP receiver on 127.0.0.1 for webhook deliveries, and helpers the webhook tests share."""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

HOOKS = "/rest/api/latest/projects/PRJ/repos/repo/webhooks"
HISTORY = "/rest/cairn/latest/projects/PRJ/repos/repo/webhooks"
ALL_EVENTS = ["build:status_set", "build:status_deleted", "insights:report_set", "insights:report_deleted",
              "insights:annotations_added", "insights:annotations_deleted", "deployment:set", "deployment:deleted"]


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    at: float

    @property
    def json(self) -> dict:
        return json.loads(self.body)

    @property
    def event(self) -> str:
        return self.headers["X-Event-Key"]

    def signed_with(self, secret: str) -> bool:
        expected = "sha256=" + hmac.new(secret.encode(), self.body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(self.headers.get("X-Hub-Signature", ""), expected)


class Receiver:
    """Records every POST; answers each with the next of `answers` (status, headers), then 200, after `delay`
    seconds; with `endless`, its body never ends (until the caller hangs up)."""

    def __init__(self, port: int = 0):
        self.received: list[Received] = []
        self.answers: list[tuple[int, dict]] = []
        self.delay = 0.0
        self.endless = False
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with receiver._lock:
                    receiver.received.append(Received(dict(self.headers), body, time.monotonic()))
                    status, headers = receiver.answers.pop(0) if receiver.answers else (200, {})
                time.sleep(receiver.delay)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if not receiver.endless:
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                    return
                self.send_header("Content-Length", str(1 << 40))
                self.end_headers()
                with contextlib.suppress(OSError):
                    while True:
                        self.wfile.write(b"x" * 65536)

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def wait_for(self, count: int, seconds: float = 15.0) -> list[Received]:
        """The first `count` requests, once they have come (fails after `seconds`)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            with self._lock:
                if len(self.received) >= count:
                    return list(self.received)
            time.sleep(0.05)
        raise AssertionError(f"{len(self.received)} of {count} deliveries came: "
                             f"{[r.event for r in self.received]}")

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture
def receiver():
    found = Receiver()
    yield found
    found.close()


def create_hook(api, url: str, events=None, path: str = HOOKS, **extra) -> dict:
    r = api.post(path, json={"name": "hook", "url": url, "events": events or ALL_EVENTS, **extra})
    assert r.status_code == 200, r.text
    return r.json()


def eventually(check, seconds: float = 15.0):
    """check()'s first truthy answer (fails after `seconds`)."""
    deadline = time.monotonic() + seconds
    while True:
        found = check()
        if found or time.monotonic() > deadline:
            assert found, "never happened"
            return found
        time.sleep(0.05)
