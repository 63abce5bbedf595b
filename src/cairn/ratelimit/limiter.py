"""Token buckets, per user (or client address for anonymous callers), in this process's memory.

Bitbucket Data Center limits each node on its own; so does each cairn process (with N processes behind a load
balancer a user gets up to N buckets). The settings come from the database (cairn.ratelimit.service.refresh):
a change made on this process applies at once, on the others within CAIRN_AUTH_CACHE_SECONDS. While limiting is
off a request costs one attribute check.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

DEFAULT_CAPACITY, DEFAULT_FILL_RATE = 60, 5  # Bitbucket's default bucket: 60 requests, 5 more a second
_MAX_BUCKETS = 100_000  # past this many callers, start every bucket full again (memory stays bounded)


@dataclass(frozen=True)
class Bucket:
    capacity: int
    fill_rate: int


@dataclass(frozen=True)
class Settings:
    enabled: bool = False
    default: Bucket = Bucket(DEFAULT_CAPACITY, DEFAULT_FILL_RATE)
    users: dict[int, Bucket | None] = field(default_factory=dict)  # user id -> own bucket, None: whitelisted


class RateLimiter:
    def __init__(self, clock=time.monotonic):
        self.settings = Settings()
        self._clock = clock
        self._buckets: dict[object, list[float]] = {}  # caller -> [tokens left, when counted]
        self._rejects: dict[int, list[int]] = {}  # user id -> [refusals, last refusal (ms)] since the last take

    def configure(self, settings: Settings) -> None:
        self.settings = settings

    def retry_after(self, user_id: int | None, address: str | None) -> int | None:
        """Take one request from the caller's bucket: None when allowed, else the seconds until one is back."""
        settings = self.settings
        if not settings.enabled:
            return None
        bucket = settings.default
        if user_id is not None and user_id in settings.users:
            bucket = settings.users[user_id]
            if bucket is None:  # whitelisted
                return None
        key = user_id if user_id is not None else ("address", address)
        now = self._clock()
        state = self._buckets.get(key)
        if state is None:
            if len(self._buckets) >= _MAX_BUCKETS:
                self._buckets.clear()
            state = self._buckets[key] = [float(bucket.capacity), now]
        else:
            state[0] = min(bucket.capacity, state[0] + (now - state[1]) * bucket.fill_rate)
            state[1] = now
        if state[0] >= 1:
            state[0] -= 1
            return None
        if user_id is not None:
            count = self._rejects.setdefault(user_id, [0, 0])
            count[0] += 1
            count[1] = int(time.time() * 1000)
        return max(1, math.ceil((1 - state[0]) / bucket.fill_rate))

    def take_rejects(self) -> dict[int, list[int]]:
        """Refusals per user since the last call: [count, last (ms)], for one batched write."""
        rejects, self._rejects = self._rejects, {}
        return rejects
