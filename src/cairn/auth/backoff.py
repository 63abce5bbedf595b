"""Failed sign-ins slow down the next ones for that user name (per process, in memory).

The first FREE wrong passwords cost nothing; after that a password for the name is not even checked until
2, 4, 8 ... seconds (at most MAX_WAIT) have passed since the last wrong one, so guessing is slow while the real
user waits half a minute at worst; a password this process already verified (unchanged since) is not checked
again, so it keeps working. A right password clears the count. Tokens never pass through here: someone else's
failures never slow a valid token. With several processes each keeps its own count.
"""

from __future__ import annotations

import math
import time

FREE, MAX_WAIT = 5, 30  # wrong passwords before waiting starts; the longest wait, in seconds
_FORGET_AFTER = 15 * 60  # a name that has not failed for this long starts afresh
_MAX_NAMES = 100_000


class FailedSignIns:
    def __init__(self, clock=time.monotonic):
        self._clock = clock
        self._names: dict[str, list[float]] = {}  # lower-cased name -> [wrong passwords, when the last was]

    def wait(self, name: str) -> int:
        """Seconds until a password for `name` may be checked again; 0: now."""
        entry = self._names.get(name.lower())
        if entry is None or entry[0] <= FREE:
            return 0
        remaining = entry[1] + min(MAX_WAIT, 2 ** (entry[0] - FREE)) - self._clock()
        return math.ceil(remaining) if remaining > 0 else 0

    def failed(self, name: str) -> None:
        now = self._clock()
        key = name.lower()
        entry = self._names.get(key)
        if entry is None or now - entry[1] > _FORGET_AFTER:
            if len(self._names) >= _MAX_NAMES:
                self._names.clear()
            entry = self._names[key] = [0, now]
        entry[0] += 1
        entry[1] = now

    def succeeded(self, name: str) -> None:
        self._names.pop(name.lower(), None)
