"""Turn an Authorization header into a Principal, without an argon2 hash on every request.

A verified credential is remembered for `auth_cache_seconds`; after that it is checked against the
database again, cheaply (the stored hash must be unchanged, the token must still exist), so a changed
password, a deleted user or a revoked token stops working within seconds on every process.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.auth import access, store
from cairn.auth.backoff import FailedSignIns
from cairn.auth.passwords import verify_password
from cairn.auth.principal import ANONYMOUS, Principal
from cairn.errors import bad_credentials, signing_in_too_often
from cairn.kit.clock import now_ms

_MAX_ENTRIES = 10_000


def token_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


@dataclass
class _Entry:
    principal: Principal
    fingerprint: tuple
    checked_at: float
    generation: int  # access.generation() when checked: a grant or membership change here re-checks at once
    refreshing: bool = False  # a check of it again has been started (access.REFRESH_AHEAD)

    def fresh(self, now: float, ttl: float) -> bool:
        return now - self.checked_at < ttl and self.generation == access.generation()


def _cache_key(authorization: str) -> str:
    return hashlib.sha256(authorization.encode("utf-8", "surrogateescape")).hexdigest()


class Authenticator:
    def __init__(self, hasher: PasswordHasher, ttl_seconds: float):
        self.hasher = hasher
        self.ttl = ttl_seconds
        self._cache: dict[str, _Entry] = {}
        self._token_uses: dict[str, int] = {}  # token id -> when it last passed a full check (ms)
        self._checking: dict[str, asyncio.Future] = {}  # credential being checked -> its principal, once known
        self.failed_sign_ins = FailedSignIns()

    def take_token_uses(self) -> dict[str, int]:
        """The tokens checked since the last call, with when; for one batched write (cairn.app.record_batches)."""
        uses, self._token_uses = self._token_uses, {}
        return uses

    async def authenticate(self, conn: AsyncConnection, authorization: str | None) -> Principal:
        if not authorization:
            return ANONYMOUS
        scheme, _, value = authorization.strip().partition(" ")
        scheme = scheme.lower()
        if scheme not in ("basic", "bearer"):
            return ANONYMOUS
        cache_key = _cache_key(authorization)
        entry = self._cache.get(cache_key)
        now = time.monotonic()
        if entry is not None and entry.fresh(now, self.ttl * access.REFRESH_AHEAD):
            return entry.principal
        # One check per credential at a time; the requests that come meanwhile take its outcome. (A server's
        # first requests, or its requests after an idle TTL, came together: 16 connections, 16 argon2 hashes of
        # ~0.1 s of CPU each before any answer.)
        checking = self._checking.get(cache_key)
        if checking is not None:
            try:
                return await asyncio.shield(checking)
            except asyncio.CancelledError:
                if not checking.cancelled():
                    raise  # this request itself was cancelled
                # the request that was checking was cancelled: check it here
        checking = self._checking[cache_key] = asyncio.get_running_loop().create_future()
        try:
            principal = await self._check(conn, scheme, value, entry, cache_key, now)
        except Exception as error:
            checking.set_exception(error)
            checking.exception()  # retrieved here: nobody may be waiting
            raise
        except BaseException:
            checking.cancel()
            raise
        else:
            checking.set_result(principal)
            return principal
        finally:
            del self._checking[cache_key]

    async def _check(self, conn, scheme: str, value: str, entry: _Entry | None, cache_key: str, now: float):
        if scheme == "bearer":
            row = await store.token_with_user(conn, token_hash(value.strip()))
            principal, fingerprint = _check_token(row, None)
        else:
            username, password = _basic(value)
            principal, fingerprint = await self._basic(conn, username, password, entry)
        if len(self._cache) >= _MAX_ENTRIES:
            self._cache.clear()
        self._cache[cache_key] = _Entry(principal, fingerprint, now, access.generation())
        if fingerprint[0] == "token":  # once per TTL per process: "last authenticated" without a write per request
            self._token_uses[fingerprint[1]] = now_ms()
        return principal

    def cached(self, authorization: str | None) -> tuple[Principal | None, bool]:
        """(the principal of a credential verified less than the TTL ago, or None when it must be checked; whether
        the caller is to have it checked again: True once past access.REFRESH_AHEAD of the TTL, cairn.lane does it
        in the background while the entry serves on)."""
        if not authorization:
            return None, False
        entry = self._cache.get(_cache_key(authorization))
        now = time.monotonic()
        if entry is None or not entry.fresh(now, self.ttl):
            return None, False
        if not entry.refreshing and not entry.fresh(now, self.ttl * access.REFRESH_AHEAD):
            entry.refreshing = True
            return entry.principal, True
        return entry.principal, False

    def known(self, authorization: str) -> bool:
        """Whether the credential was verified before (its entry may have expired since): a wrong one never was."""
        return _cache_key(authorization) in self._cache

    def drop(self, authorization: str) -> None:
        """Forget one credential (a check found it refused)."""
        self._cache.pop(_cache_key(authorization), None)

    def forget(self) -> None:
        """Drop every cached credential (this process); other processes re-check within the TTL."""
        self._cache.clear()

    async def _basic(self, conn, username: str, password: str, entry: _Entry | None):
        # A personal token may stand in for the password (username:token), as in Bitbucket.
        token = await store.token_with_user(conn, token_hash(password))
        if token is not None:
            if token.service:  # a project or repository token works only as Bearer, as in Bitbucket
                raise bad_credentials()
            return _check_token(token, username)
        row = await store.user_by_name(conn, username)
        fingerprint = row and ("password", row.password_hash, row.global_grant)
        if row is not None and row.active and entry is not None and entry.fingerprint == fingerprint:
            return Principal.of_user(row), fingerprint  # unchanged since the last full check: no re-hash
        # Unknown names count as failures too, or the backoff would tell which names exist.
        wait = self.failed_sign_ins.wait(username)
        if wait:
            raise signing_in_too_often(wait)
        if row is None or not row.active or not await verify_password(self.hasher, row.password_hash, password):
            self.failed_sign_ins.failed(username)
            raise bad_credentials()
        self.failed_sign_ins.succeeded(username)
        return Principal.of_user(row), fingerprint


def _check_token(row, username: str | None):
    if row is None or not row.active or (username is not None and row.name != username):
        raise bad_credentials()
    if row.expires_date is not None and row.expires_date <= now_ms():
        raise bad_credentials()
    return Principal.of_user(row, row), ("token", row.token_id, row.global_grant)


def _basic(value: str) -> tuple[str, str]:
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        raise bad_credentials() from None
    username, sep, password = decoded.partition(":")
    if not sep or "\x00" in decoded:  # no such user can exist; PostgreSQL would fail on the lookup
        raise bad_credentials()
    return username, password
