"""How busy this process is with requests: background work (webhook delivery) reads it to give way."""

import time

BUSY_WINDOW = 0.1  # seconds: a request begun this recently means requests are coming in
_last_begun = float("-inf")


def request_begun() -> None:
    """Called as each request begins (system/logs.py RequestLog)."""
    global _last_begun
    _last_begun = time.monotonic()


def busy() -> bool:
    """Whether requests are coming in: one began within BUSY_WINDOW. (A window, not "one began while I worked":
    when every connection waits on a commit, none begins for a moment, yet the process is loaded.)"""
    return time.monotonic() - _last_begun < BUSY_WINDOW
