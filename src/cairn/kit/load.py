"""How busy this process is with requests: background work (webhook delivery) reads it to give way."""

import contextlib

_in_flight = 0
_streams_waiting = 0


def request_begun() -> None:
    """Called as each request begins (system/logs.py RequestLog)..."""
    global _in_flight
    _in_flight += 1


def request_ended() -> None:
    """... and as it ends."""
    global _in_flight
    _in_flight -= 1


@contextlib.contextmanager
def waiting():
    """Around a long-lived response's wait (a live stream): it is no load meanwhile."""
    global _in_flight, _streams_waiting
    _in_flight -= 1
    _streams_waiting += 1
    try:
        yield
    finally:
        _in_flight += 1
        _streams_waiting -= 1


def busy() -> bool:
    """Whether a request is being answered. (Not "one began while I worked": under load every connection can be
    waiting on a commit, so that none begins for a moment, yet the process is loaded.)"""
    return _in_flight > 0


def requests_in_flight() -> int:
    """Requests begun and not ended, live streams included (the in-flight gauge)."""
    return _in_flight + _streams_waiting
