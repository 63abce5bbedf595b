"""What a running cairn tells its operator: one access line per request, unexpected errors once with their
traceback, each tagged with the request id that the response carries (X-AREQUESTID, as Bitbucket sends it).

Lines go to standard error, as text or (CAIRN_LOG_FORMAT=json) one JSON object per line. Nothing secret is
ever written: the path without its query string, the user's name, never a header, body or password.

Access lines skip the logging module and are written in batches (every FLUSH_SECONDS, or sooner when many
wait): through `logging` with a write per line they cost 13-16 % of the hot requests' throughput (bench/).
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import logging
import os
import sys
import time
from urllib.parse import quote

from cairn.errors import unexpected_error
from cairn.kit.load import request_begun, request_ended
from cairn.system import metrics

ERRORS = logging.getLogger("cairn")
FLUSH_SECONDS = 0.5
_BATCH = 256  # lines that wait for no timer


def _stamp(seconds: float, _cache: list = [None, ""]) -> str:  # noqa: B006 - the last second, formatted once
    whole = int(seconds)
    if _cache[0] != whole:
        _cache[0], _cache[1] = whole, time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
    return f"{_cache[1]}.{int((seconds - whole) * 1000):03d}Z"


class _Formatter(logging.Formatter):
    """cairn's other log lines, in the access lines' shape (UTC times; JSON when asked)."""

    def __init__(self, as_json: bool):
        super().__init__("%(asctime)s %(levelname)s %(name)s %(message)s")
        self.as_json = as_json

    def formatTime(self, record, datefmt=None) -> str:  # noqa: N802 - logging's name
        return _stamp(record.created)

    def format(self, record: logging.LogRecord) -> str:
        if not self.as_json:
            return super().format(record)
        entry = {"time": _stamp(record.created), "level": record.levelname, "logger": record.name,
                 "message": record.getMessage()}
        if hasattr(record, "request_id"):
            entry["request_id"] = record.request_id
        if record.exc_info:
            entry["traceback"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, separators=(",", ":"))


def configure(log_format: str) -> None:
    """Send cairn's loggers to standard error, once per process (every app the process builds shares them)."""
    if getattr(ERRORS, "cairn_configured", None) == log_format:
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter(log_format == "json"))
    ERRORS.handlers = [handler]
    ERRORS.setLevel(logging.INFO)
    ERRORS.propagate = False
    ERRORS.cairn_configured = log_format


class AccessLines:
    """The access log: lines kept in memory and written together."""

    def __init__(self, log_format: str):
        self.as_json = log_format == "json"
        self._lines: list[str] = []

    def add(self, method: str, path: str, status: int | None, duration_ms: float, user: str | None,
            request_id: str) -> None:
        stamp = _stamp(time.time())
        if self.as_json:
            line = json.dumps({"time": stamp, "level": "INFO", "logger": "cairn.access", "request_id": request_id,
                               "method": method, "path": path, "status": status, "duration_ms": duration_ms,
                               "user": user}, ensure_ascii=False, separators=(",", ":"))
        else:
            line = f"{stamp} INFO cairn.access {method} {path} {status} {duration_ms}ms {user or '-'} {request_id}"
        self._lines.append(line)
        if len(self._lines) >= _BATCH:
            self.flush()

    def flush(self) -> None:
        if self._lines:
            lines, self._lines = self._lines, []
            sys.stderr.write("\n".join(lines) + "\n")
            sys.stderr.flush()

    async def flushing(self) -> None:
        """Write what waits every FLUSH_SECONDS (run as a task for the app's life; cancel, then flush())."""
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            self.flush()


# Unique within a process; the process id tells processes apart (Bitbucket's ids look alike: "@1X2Yx600x12x0").
_PREFIX = f"{os.getpid():x}x"
_NEXT = itertools.count(1)


def _identity(state: dict) -> tuple:
    """X-AUSERNAME and X-AUSERID of a signed-in caller (clients learn "who am I" from them, as from Bitbucket)."""
    principal = state.get("principal")
    if principal is None or principal.anonymous:
        return ()
    return _identity_headers(principal.name, principal.user_id)


@functools.lru_cache(maxsize=1024)
def _identity_headers(name: str, user_id: int) -> tuple:
    # Percent-encoded so a non-ASCII name survives HTTP's latin-1 headers.
    return ((b"x-ausername", quote(name, safe="@+!$&'()*,;=:").encode("ascii")), (b"x-auserid", str(user_id).encode()))


class RequestLog:
    """The outermost ASGI layer: a request id for every request, sent back with the caller's identity (X-AUSERNAME,
    X-AUSERID), its access line (when `lines` is given), and for an error nothing answered, one log entry with the
    traceback and Bitbucket's 500 body (the error stops here, so nothing logs it a second time without the id)."""

    def __init__(self, app, lines: AccessLines | None = None, metrics: bool = True):
        self.app = app
        self.lines = lines
        self.metrics = metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        method, path = scope["method"], scope["path"]  # as asked (the layers below normalise them in place)
        request_id = _PREFIX + str(next(_NEXT))
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        status = None
        header = (b"x-arequestid", request_id.encode())

        async def send_with_id(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = dict(message, headers=[*message.get("headers", ()), header, *_identity(state)])
            await send(message)

        request_begun()
        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            ERRORS.exception("unexpected error in %s %s [request %s]", method, path, request_id,
                             extra={"request_id": request_id})
            if status is None:
                await unexpected_error()(scope, receive, send_with_id)
        finally:
            request_ended()
            seconds = time.perf_counter() - started
            if self.metrics:
                metrics.count_request(method, metrics.route_template(scope), status, seconds)
            if self.lines is not None:
                principal = state.get("principal")
                self.lines.add(method, path, status, round(seconds * 1000, 1),
                               None if principal is None or principal.anonymous else principal.name, request_id)
