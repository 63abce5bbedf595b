"""Record events (in the transaction of the change they tell of) and read them back."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.auth.deps import RepositoryAccess
from cairn.events import store
from cairn.events.schemas import payload
from cairn.kit.clock import now_ms


def values(event_key: str, created: int, access: RepositoryAccess, base_url: str, commit_id: str,
           entity_name: str, entity: dict) -> dict:
    """The statement parameters that record the event (events.store.record, or a domain's one-statement
    change that records it too)."""
    return {"repository_id": access.repository.id, "commit_id": commit_id, "event_key": event_key,
            "created": created,
            "payload": payload(event_key, created, access, base_url, commit_id, entity_name, entity)}


async def record(conn: AsyncConnection, event_key: str, created: int, access: RepositoryAccess, base_url: str,
                 commit_id: str, entity_name: str, entity: dict) -> None:
    await store.record(conn, values(event_key, created, access, base_url, commit_id, entity_name, entity))


KEEP = 24 * 3600 * 1000  # ms an event is kept for streams to resume from (longer while a delivery needs it)
PRUNE_BATCH = 2000


async def prune(conn: AsyncConnection) -> int:
    """Delete a batch of PRUNE_BATCH events past KEEP, queued for webhooks, that no webhook delivery points at;
    how many."""
    return await store.prune(conn, now_ms() - KEEP, PRUNE_BATCH)


async def newest_id(conn: AsyncConnection, repository_id: int) -> int:
    """Where a page rendered now resumes its live stream from."""
    return await store.newest_id(conn, repository_id)
