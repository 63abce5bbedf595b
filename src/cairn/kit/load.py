"""How busy this process is with requests: background work (webhook delivery) reads it to give way."""

_begun = 0


def request_begun() -> None:
    """Called as each request begins (system/logs.py RequestLog)."""
    global _begun
    _begun += 1


def requests_begun() -> int:
    """How many requests this process has begun; two readings that differ mean requests came in between."""
    return _begun
