"""Repository access resolved for a caller, remembered as briefly as a verified credential.

The fast lane (cairn.lane) reads it instead of querying grants on every request. Like the credential
cache it is safe to lose and short-lived: a revoked grant, a renamed or deleted repository stops applying
within CAIRN_AUTH_CACHE_SECONDS on every process (a deleted repository's writes fail on its foreign key at
once and are answered by the full path). The lane's deployment answer shows the repository as remembered
here, so on other processes an edited repository may show as it was for as long.
"""

from __future__ import annotations

import time

from cairn.auth.principal import Principal
from cairn.db.uow import after_commit
from cairn.kit.entities import RepositoryRef

_MAX_ENTRIES = 10_000
_generation = 0
# Past this share of the TTL a grant (or a credential, auth/credentials.py) is checked again in the background
# while the entry serves on: when all requests found it expired at once, every TTL, all 16 connections' requests
# took the full app together (bench/: a 150-ms stall every 5 s, the listing's p99).
REFRESH_AHEAD = 0.8


def _forget_all() -> None:
    global _generation
    _generation += 1


def generation() -> int:
    """Changes whenever who may do what changes in this process; answers remembered under another are stale."""
    return _generation


def changed(conn) -> None:
    """Who may do what is changing in this transaction (a grant, a group, a repository, a user): forget every answer
    now and again once it commits, so an answer read in between is not kept either.

    Called by the stores that write those rows, so in one process a revocation applies at once; other
    processes see it within the TTL.
    """
    _forget_all()
    after_commit(conn, _forget_all)


class AccessCache:
    def __init__(self, ttl_seconds: float):
        self.ttl = ttl_seconds
        self._entries: dict[tuple, list] = {}  # [repository, level, when resolved, generation, refreshing]
        self._readable: dict[tuple, tuple] = {}  # (user id, repository id) -> (readable, when, generation)

    @staticmethod
    def _key(principal: Principal, project_key: str, slug: str) -> tuple:
        return principal, project_key.upper(), slug.lower()  # as the access query compares them

    def get(self, principal: Principal, project_key: str, slug: str) -> tuple[tuple[RepositoryRef, int] | None, bool]:
        """((repository, level) when resolved less than the TTL ago, or None; whether the caller is to resolve it
        again: True once past REFRESH_AHEAD of the TTL, cairn.lane does it in the background)."""
        entry = self._entries.get(self._key(principal, project_key, slug))
        if entry is None or entry[3] != generation():
            return None, False
        age = time.monotonic() - entry[2]
        if age >= self.ttl:
            return None, False
        if age >= self.ttl * REFRESH_AHEAD and not entry[4]:
            entry[4] = True
            return (entry[0], entry[1]), True
        return (entry[0], entry[1]), False

    def put(self, principal: Principal, project_key: str, slug: str, repository: RepositoryRef, level: int) -> None:
        if len(self._entries) >= _MAX_ENTRIES:
            self._entries.clear()
        self._entries[self._key(principal, project_key, slug)] = [repository, level, time.monotonic(), _generation,
                                                                  False]

    def drop(self, principal: Principal, project_key: str, slug: str) -> None:
        """Forget one answer (a check found it refused)."""
        self._entries.pop(self._key(principal, project_key, slug), None)

    def readable(self, user_id: int, repository_id: int) -> bool | None:
        """Whether the signed-in user (not a system administrator) may read the repository, when checked less than
        the TTL ago (the lane's stats GET, cairn.builds.service.stats)."""
        entry = self._readable.get((user_id, repository_id))
        if entry is None or entry[2] != generation() or time.monotonic() - entry[1] >= self.ttl:
            return None
        return entry[0]

    def put_readable(self, user_id: int, repository_id: int, readable: bool, checked_in: int) -> None:
        """`checked_in`: the generation() read before the check (a change committed meanwhile makes it stale)."""
        if len(self._readable) >= _MAX_ENTRIES:
            self._readable.clear()
        self._readable[(user_id, repository_id)] = (readable, time.monotonic(), checked_in)

    def forget(self) -> None:
        self._entries.clear()
        self._readable.clear()
