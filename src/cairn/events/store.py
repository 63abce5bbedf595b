"""SQL for events: record one with its webhook deliveries, read them back for the live stream, prune."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Integer,
    String,
    bindparam,
    cast,
    delete,
    exists,
    insert,
    literal,
    literal_column,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.models import events, webhook_deliveries, webhooks

_EVENT_COLUMNS = ("repository_id", "commit_id", "event_key", "created", "payload")
_PARAMETERS = (bindparam("repository_id", type_=BigInteger), bindparam("commit_id", type_=String),
               bindparam("event_key", type_=String), bindparam("created", type_=BigInteger))


def _deliveries(event_id, event=None):
    """INSERT of a PENDING delivery of the event `event_id` (of the CTE `event`, when given) to each webhook that
    hears it: active, of the repository or of its project, with the event's bit in its mask."""
    w = webhooks.c
    hearing = (select(w.id, event_id, literal("PENDING"), literal(0), cast(bindparam("created"), BigInteger))
               .select_from(webhooks if event is None else webhooks.join(event, true()))
               .where(w.active, w.project_id == bindparam("project_id"),
                      (w.repository_id.is_(None)) | (w.repository_id == bindparam("repository_id")),
                      w.event_mask.op("&")(cast(bindparam("bit"), Integer)) != 0))
    return insert(webhook_deliveries).from_select(
        ["webhook_id", "event_id", "state", "attempts", "next_attempt"], hearing)


def recording(source, payload):
    """PostgreSQL: CTEs that record an event with `payload` (an SQL expression) for each row of `source`, and
    fan it out; a domain's one-statement change (a CTE itself) adds them to record its event in the same
    statement, one round trip. Returns (the event CTE, the delivery CTE)."""
    event = (insert(events).from_select(list(_EVENT_COLUMNS),
                                        select(*(cast(p, p.type) for p in _PARAMETERS), payload).select_from(source))
             .returning(events.c.id).cte("event"))
    return event, _deliveries(event.c.id, event).cte("delivery")


_RECORD = insert(events).values({c: bindparam(c) for c in _EVENT_COLUMNS}).returning(events.c.id)
_FAN_OUT = _deliveries(bindparam("event_id", type_=BigInteger))


def _record_in_one_statement():
    event = insert(events).values({c: bindparam(c) for c in _EVENT_COLUMNS}).returning(events.c.id).cte("event")
    return _deliveries(event.c.id, event).add_cte(event)


_RECORD_IN_ONE_STATEMENT = _record_in_one_statement()


def json_path(*keys: str):
    """A PostgreSQL text[] path for jsonb_set."""
    return literal_column("'{" + ",".join(keys) + "}'::text[]")


def spliced(values: dict, member: str, stand_in: int) -> dict:
    """The event `values` with the payload cut either side of `member`'s number, rendered as `stand_in`, for a
    statement to put the stored value between (`payload_head || value || payload_tail`): plain text, where
    jsonb_set parsed and re-rendered the whole payload (bench/: PostgreSQL build POST 7254 -> 7700 req/s).
    JSON strings escape their quotes, so `"member":stand_in` is found only as that member itself."""
    head, found, tail = values["payload"].partition(f'"{member}":{stand_in}')
    if not found:
        raise ValueError(f"the payload has no {member} of {stand_in}")
    return {**values, "payload_head": f'{head}"{member}":', "payload_tail": tail}


async def record(conn: AsyncConnection, values: dict) -> None:
    """Record an event (`values`: repository_id, project_id, commit_id, event_key, bit, created, payload) and a
    delivery for each webhook that hears it: on PostgreSQL one statement, on SQLite two."""
    if conn.dialect.name == "postgresql":
        await conn.execute(_RECORD_IN_ONE_STATEMENT, values)
        return
    event_id = (await conn.execute(_RECORD, values)).first()[0]
    await conn.execute(_FAN_OUT, {**values, "event_id": event_id})


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
    """Delete up to `limit` events older than `cutoff` that no webhook delivery (pending or kept in a
    webhook's history) still points at."""
    batch = (select(events.c.id).where(events.c.created < cutoff,
                                       ~exists().where(webhook_deliveries.c.event_id == events.c.id))
             .limit(limit).scalar_subquery())
    return (await conn.execute(delete(events).where(events.c.id.in_(batch)))).rowcount
