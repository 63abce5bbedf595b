"""Time as Bitbucket reports it: milliseconds since the epoch."""

import time


def now_ms() -> int:
    return int(time.time() * 1000)
