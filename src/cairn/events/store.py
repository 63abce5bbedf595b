"""SQL for events: record one, read them back for the live stream, prune."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    String,
    Text,
    bindparam,
    cast,
    delete,
    exists,
    func,
    insert,
    literal_column,
    or_,
    select,
    tuple_,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.models import event_queue, events, webhook_deliveries

_EVENT_COLUMNS = ("repository_id", "commit_id", "event_key", "created", "payload")
_PARAMETERS = (bindparam("repository_id", type_=BigInteger), bindparam("commit_id", type_=String),
               bindparam("event_key", type_=String), bindparam("created", type_=BigInteger))
# The writing transaction's id on PostgreSQL (models/events.py); SQLite's column keeps its default, 0.
_TX = cast(cast(func.pg_current_xact_id(), Text), BigInteger)


def recording(source, payload):
    """PostgreSQL: a CTE that records an event with `payload` (an SQL expression) for each row of `source`; a
    domain's one-statement change (a CTE itself) adds it to record its event in the same statement, one round
    trip. Webhooks hear of it from the delivery loop (cairn.webhooks.store.queue)."""
    return (insert(events).from_select([*_EVENT_COLUMNS, "tx"],
                                       select(*(cast(p, p.type) for p in _PARAMETERS), payload, _TX)
                                       .select_from(source))
            .returning(events.c.id).cte("event"))


_RECORD = {"sqlite": insert(events).values({c: bindparam(c) for c in _EVENT_COLUMNS}),
           "postgresql": insert(events).values({**{c: bindparam(c) for c in _EVENT_COLUMNS}, "tx": _TX})}


def json_path(*keys: str):
    """A PostgreSQL text[] path for jsonb_set."""
    return literal_column("'{" + ",".join(keys) + "}'::text[]")


def spliced(values: dict, member: str, stand_in: int) -> dict:
    """The event `values` with, in place of the payload, its two halves either side of `member`'s number (rendered
    as `stand_in`), for a statement to put the stored value between (`payload_head || value || payload_tail`):
    plain text, where jsonb_set parsed and re-rendered the whole payload (bench/: PostgreSQL build POST 7254 ->
    7700 req/s).
    JSON strings escape their quotes, so `"member":stand_in` is found only as that member itself."""
    head, found, tail = values["payload"].partition(f'"{member}":{stand_in}')
    if not found:
        raise ValueError(f"the payload has no {member} of {stand_in}")
    rest = {k: v for k, v in values.items() if k != "payload"}
    return {**rest, "payload_head": f'{head}"{member}":', "payload_tail": tail}


async def record(conn: AsyncConnection, values: dict) -> None:
    """Record an event (`values`: repository_id, commit_id, event_key, created, payload)."""
    await conn.execute(_RECORD[conn.dialect.name], values)


_COLUMNS = (events.c.id, events.c.repository_id, events.c.commit_id, events.c.event_key, events.c.payload)


async def newer(conn: AsyncConnection, repository_id: int | None, after: int, limit: int,
                commit_id: str | None = None, also: tuple[int, ...] = ()) -> list:
    """(id, repository_id, commit_id, event_key, payload) of events after id `after` (and those of the ids
    `also`), oldest first: of one repository (and commit), or of all."""
    stmt = select(*_COLUMNS).where(or_(events.c.id > after, events.c.id.in_(also)) if also else events.c.id > after)
    if repository_id is not None:
        stmt = stmt.where(events.c.repository_id == repository_id)
    if commit_id is not None:
        stmt = stmt.where(events.c.commit_id == commit_id)
    return (await conn.execute(stmt.order_by(events.c.id).limit(limit))).all()


async def newest_id(conn: AsyncConnection, repository_id: int | None = None) -> int:
    """The newest event's id (of the repository), 0 when there is none."""
    stmt = select(events.c.id)
    if repository_id is not None:
        stmt = stmt.where(events.c.repository_id == repository_id)
    return (await conn.execute(stmt.order_by(events.c.id.desc()).limit(1))).scalar() or 0


async def prune(conn: AsyncConnection, cutoff: int, limit: int) -> int:
    """Delete up to `limit` events older than `cutoff` that were queued for webhooks and that no webhook delivery
    (pending or kept in a webhook's history) still points at."""
    queued = select(event_queue.c.tx, event_queue.c.event_id).where(event_queue.c.id == 1).scalar_subquery()
    batch = (select(events.c.id)
             .where(events.c.created < cutoff, tuple_(events.c.tx, events.c.id) <= queued,
                    ~exists().where(webhook_deliveries.c.event_id == events.c.id))
             .limit(limit).scalar_subquery())
    return (await conn.execute(delete(events).where(events.c.id.in_(batch)))).rowcount
