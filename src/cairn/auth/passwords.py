"""Password hashing with argon2id, run off the event loop."""

from __future__ import annotations

import anyio.to_thread
from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError

from cairn.system.affinity import on_any_cpu


def make_hasher(profile: str) -> PasswordHasher:
    if profile == "cheapest":  # tests only: argon2id with the smallest parameters
        return PasswordHasher.from_parameters(profiles.CHEAPEST)
    return PasswordHasher.from_parameters(profiles.RFC_9106_LOW_MEMORY)


async def hash_password(hasher: PasswordHasher, password: str) -> str:
    def _hash() -> str:
        on_any_cpu()  # off the event loop's CPU, when the server keeps to one (cairn.system.affinity)
        return hasher.hash(password)
    return await anyio.to_thread.run_sync(_hash)


async def verify_password(hasher: PasswordHasher, stored_hash: str, password: str) -> bool:
    def _verify() -> bool:
        on_any_cpu()
        try:
            return hasher.verify(stored_hash, password)
        except (VerificationError, InvalidHashError):
            return False
    return await anyio.to_thread.run_sync(_verify)
