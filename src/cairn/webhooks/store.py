"""SQL for webhooks and their deliveries."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Text,
    and_,
    bindparam,
    case,
    cast,
    delete,
    exists,
    func,
    insert,
    literal,
    or_,
    select,
    true,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.events.schemas import EVENT_BITS
from cairn.models import event_queue, events, projects, repositories, webhook_deliveries, webhooks

w, dl, ev, eq = webhooks.c, webhook_deliveries.c, events.c, event_queue.c


def _scope(project_id: int, repository_id: int | None):
    """The webhooks of exactly this scope: the repository's, or the project's own."""
    return and_(w.project_id == project_id,
                w.repository_id.is_(None) if repository_id is None else w.repository_id == repository_id)


async def create(conn: AsyncConnection, values: dict):
    """The webhook, which hears the events recorded after it (a later id)."""
    since = select(func.coalesce(func.max(ev.id), 0)).scalar_subquery()
    stmt = insert(webhooks).values({**values, "since_event": since}).returning(w.id)
    return await get(conn, (await conn.execute(stmt)).scalar_one())


async def get(conn: AsyncConnection, webhook_id: int, project_id: int | None = None,
              repository_id: int | None = None):
    """The webhook; with `project_id`, only when it belongs to that scope (the repository's, or the project's
    own when `repository_id` is None)."""
    stmt = select(webhooks).where(w.id == webhook_id)
    if project_id is not None:
        stmt = stmt.where(_scope(project_id, repository_id))
    return (await conn.execute(stmt)).first()


async def find(conn: AsyncConnection, project_id: int, repository_id: int | None, scopes: tuple[str, ...],
               event_bit: int | None, start: int, limit: int):
    """A page of webhooks, oldest first: of the repository and/or (`scopes`) its project; hearing `event_bit`."""
    reach = []
    if "repository" in scopes and repository_id is not None:
        reach.append(w.repository_id == repository_id)
    if "project" in scopes:
        reach.append(w.repository_id.is_(None))
    if not reach:
        return []
    stmt = select(webhooks).where(w.project_id == project_id, or_(*reach))
    if event_bit is not None:
        stmt = stmt.where(w.event_mask.op("&")(event_bit) != 0)
    return (await conn.execute(stmt.order_by(w.id).offset(start).limit(limit))).all()


async def update_webhook(conn: AsyncConnection, webhook_id: int, values: dict):
    await conn.execute(update(webhooks).where(w.id == webhook_id).values(values))
    return await get(conn, webhook_id)


async def delete_webhook(conn: AsyncConnection, webhook_id: int) -> None:
    # Its deliveries, pending ones too, go with it (ON DELETE CASCADE).
    await conn.execute(delete(webhooks).where(w.id == webhook_id))


# --- deliveries -----------------------------------------------------------------------------------------------

_PENDING = dl.state == "PENDING"
QUEUE_BATCH = 500  # events queued for webhooks in one go
_BIT = case(EVENT_BITS, value=ev.event_key, else_=0)
_SNAPSHOT = func.pg_current_snapshot()
_DIALECTS = ("sqlite", "postgresql")
# The queue's cursor holds a transaction id this server never issued: the database was copied from another
# (cairn copy, a restore), whose transaction ids mean nothing here.
_FOREIGN = {"sqlite": eq.tx > 0,
            "postgresql": eq.tx >= cast(cast(func.pg_snapshot_xmax(_SNAPSHOT), Text), BigInteger)}
_CURSOR = {name: select(eq.tx, eq.event_id, _FOREIGN[name]).where(eq.id == 1).with_for_update()
           for name in _DIALECTS}


def _after(dialect: str, tx, event_id):
    """The queue's order, (tx, id): on SQLite id alone, as every event's tx is 0 there (a copied database's are
    rebased first), and SQLite reads a row-value comparison as no index range: it scanned every event (20-30
    ms a statement at 130k events, twice a second, inside the group commit that holds the requests' writes)."""
    return ev.id > event_id if dialect == "sqlite" else tuple_(ev.tx, ev.id) > tuple_(tx, event_id)


_ORDER = {"sqlite": (ev.id,), "postgresql": (ev.tx, ev.id)}
_FROM = (bindparam("tx", type_=BigInteger), bindparam("event_id", type_=BigInteger))
_UP_TO = (bindparam("last_tx", type_=BigInteger), bindparam("last_id", type_=BigInteger))
# PostgreSQL: only events of transactions older than every running one (pg_snapshot_xmin).
_SETTLED = {"sqlite": true(), "postgresql": ev.tx < cast(cast(func.pg_snapshot_xmin(_SNAPSHOT), Text), BigInteger)}
_NEXT = {name: select(ev.tx, ev.id).where(_after(name, *_FROM), _SETTLED[name]).order_by(*_ORDER[name])
         .limit(QUEUE_BATCH) for name in _DIALECTS}
_WAITING = {name: select(or_(_FOREIGN[name], exists().where(_after(name, eq.tx, eq.event_id), _SETTLED[name])))
            .where(eq.id == 1) for name in _DIALECTS}
_ENQUEUE = {name: insert(webhook_deliveries).from_select(
    ["webhook_id", "event_id", "state", "attempts", "next_attempt"],
    select(w.id, ev.id, literal("PENDING"), literal(0), ev.created)
    .select_from(events.join(repositories, repositories.c.id == ev.repository_id)
                 .join(webhooks, w.project_id == repositories.c.project_id))
    .where(_after(name, *_FROM), ~_after(name, *_UP_TO), w.active,
           or_(w.repository_id.is_(None), w.repository_id == ev.repository_id),
           w.event_mask.op("&")(_BIT) != 0, ev.id > w.since_event)
    .order_by(*_ORDER[name], w.id)) for name in _DIALECTS}
_START = {"sqlite": sqlite.insert(event_queue).values(id=1, tx=0, event_id=0).on_conflict_do_nothing(),
          "postgresql": postgresql.insert(event_queue).values(id=1, tx=0, event_id=0).on_conflict_do_nothing()}
_REBASE = update(events).where(ev.tx != 0).values(tx=0)
_MOVE = update(event_queue).where(eq.id == 1).values(tx=bindparam("last_tx"), event_id=bindparam("last_id"))


async def waiting(conn) -> bool:
    """Whether queue() has anything to do (a read: an idle process writes nothing)."""
    found = (await conn.execute(_WAITING[conn.dialect.name])).first()
    return found is None or bool(found[0])


async def queue(conn) -> int:
    """Queue the next QUEUE_BATCH events for the webhooks that hear them (active, of the event's repository or
    its project, with its bit in the mask, created before it): a PENDING delivery each, in event order; then
    move the queue's cursor past them. How many events it went through.

    Events go in (tx, id) order, and on PostgreSQL only those of transactions older than every running one
    (pg_snapshot_xmin), which no event can overtake any more: a transaction that wrote before and commits
    after another does not lose its events behind the cursor. On SQLite writers take turns and tx is 0: id
    order is commit order. The cursor's row is locked (FOR UPDATE): two processes never queue an event twice."""
    cursor = (await conn.execute(_CURSOR[conn.dialect.name])).first()
    if cursor is None:  # a new database (or one emptied by hand): from the beginning
        await conn.execute(_START[conn.dialect.name])  # (another process may have just done so: that one stands)
        cursor = (await conn.execute(_CURSOR[conn.dialect.name])).first()
    tx, event_id, foreign = cursor
    if foreign:  # copied from another server: its events (at or before the cursor's) count as queued
        await conn.execute(_REBASE)
        await conn.execute(_MOVE, {"last_tx": 0, "last_id": event_id})
        tx = 0
    batch = (await conn.execute(_NEXT[conn.dialect.name], {"tx": tx, "event_id": event_id})).all()
    if not batch:
        return 0
    last_tx, last_id = batch[-1]
    bounds = {"tx": tx, "event_id": event_id, "last_tx": last_tx, "last_id": last_id}
    await conn.execute(_ENQUEUE[conn.dialect.name], bounds)
    await conn.execute(_MOVE, bounds)
    return len(batch)


async def due_webhooks(conn: AsyncConnection, now: int, limit: int) -> list[int]:
    """Active webhooks whose oldest pending delivery (one lookup of ix_webhook_deliveries_pending) is due, and
    which no process holds."""
    head_due = (select(dl.next_attempt).where(dl.webhook_id == w.id, _PENDING).order_by(dl.id).limit(1)
                .scalar_subquery())
    stmt = (select(w.id).where(w.active, or_(w.lease_until.is_(None), w.lease_until < now), head_due <= now)
            .order_by(w.id).limit(limit))
    return list((await conn.execute(stmt)).scalars())


# The delivery loop's writes are prebuilt statements, run by db/direct.in_transaction (on SQLite in the group
# commit with the requests' writes: a transaction of its own would hold the write lock across turns of a busy
# event loop, and the requests' writes would wait; bench/ --webhook measured 0.14 of the baseline so).
_LEASE = (update(webhooks)
          .where(w.id == bindparam("webhook_id"), or_(w.lease_until.is_(None), w.lease_until < bindparam("now"),
                                                      w.lease_owner == bindparam("owner")))
          .values(lease_owner=bindparam("owner"), lease_until=bindparam("until")).returning(w.id))
_RELEASE = (update(webhooks).where(w.id == bindparam("webhook_id"), w.lease_owner == bindparam("owner"))
            .values(lease_owner=None, lease_until=None))


async def lease(conn, webhook_id: int, owner: str, now: int, until: int) -> bool:
    """Take (or extend) the webhook's lease unless another process holds it: one atomic update."""
    params = {"webhook_id": webhook_id, "owner": owner, "now": now, "until": until}
    return (await conn.execute(_LEASE, params)).first() is not None


async def release(conn, webhook_id: int, owner: str) -> None:
    await conn.execute(_RELEASE, {"webhook_id": webhook_id, "owner": owner})


async def heads(conn: AsyncConnection, webhook_id: int, limit: int) -> list:
    """The oldest `limit` pending deliveries, oldest first, with what sending them needs (the event, the
    webhook's settings)."""
    stmt = (select(dl.id, dl.attempts, dl.next_attempt, ev.id.label("event_id"), ev.event_key, ev.created,
                   ev.payload, w.url, w.secret, w.username, w.password, w.ssl_verification, w.active)
            .join(events, ev.id == dl.event_id).join(webhooks, w.id == dl.webhook_id)
            .where(dl.webhook_id == webhook_id, _PENDING).order_by(dl.id).limit(limit))
    return (await conn.execute(stmt)).all()


ATTEMPT_COLUMNS = ("attempts", "started", "finished", "status_code", "outcome", "description", "request_id",
                   "state", "next_attempt")
_RECORD_ATTEMPT = (update(webhook_deliveries).where(dl.id == bindparam("delivery_id"))
                   .values({c: bindparam(f"new_{c}") for c in ATTEMPT_COLUMNS}))
_OLDEST_KEPT = (select(dl.finished).where(dl.webhook_id == bindparam("webhook_id"), ~_PENDING)
                .order_by(dl.finished.desc()).offset(bindparam("skip")).limit(1).scalar_subquery())
_TRIM = delete(webhook_deliveries).where(dl.webhook_id == bindparam("webhook_id"), ~_PENDING,
                                         dl.finished < _OLDEST_KEPT)


async def record_attempt(conn, delivery_id: int, values: dict) -> None:
    """Record a delivery's attempt (`values`: ATTEMPT_COLUMNS)."""
    await conn.execute(_RECORD_ATTEMPT, {"delivery_id": delivery_id, **{f"new_{c}": values[c] for c in values}})


async def trim_history(conn, webhook_id: int, keep: int) -> None:
    """Keep the webhook's newest `keep` finished deliveries."""
    await conn.execute(_TRIM, {"webhook_id": webhook_id, "skip": keep - 1})


_INVOCATION = (select(dl.id, dl.state, dl.attempts, dl.started, dl.finished, dl.status_code, dl.outcome,
                      dl.description, dl.request_id, ev.event_key, ev.repository_id, w.url)
               .join(events, ev.id == dl.event_id).join(webhooks, w.id == dl.webhook_id))


async def deliveries(conn: AsyncConnection, webhook_id: int, start: int, limit: int):
    """A page of the webhook's deliveries, newest first, pending ones included."""
    stmt = _INVOCATION.where(dl.webhook_id == webhook_id).order_by(dl.id.desc()).offset(start).limit(limit)
    return (await conn.execute(stmt)).all()


async def deliveries_by_id(conn: AsyncConnection, ids: list[int]) -> list:
    return (await conn.execute(_INVOCATION.where(dl.id.in_(ids)).order_by(dl.id))).all()


async def latest(conn: AsyncConnection, webhook_id: int, event_key: str | None, outcome: str | None):
    """The webhook's latest attempted delivery (of `event_key`, with `outcome`), or None."""
    stmt = _INVOCATION.where(dl.webhook_id == webhook_id, dl.outcome.is_not(None))
    if event_key is not None:
        stmt = stmt.where(ev.event_key == event_key)
    if outcome is not None:
        stmt = stmt.where(dl.outcome == outcome)
    return (await conn.execute(stmt.order_by(dl.finished.desc(), dl.id.desc()).limit(1))).first()


async def outcome_counts(conn: AsyncConnection, webhook_id: int, since: int,
                         event_key: str | None = None) -> dict[str, int]:
    """How many of the webhook's kept deliveries ended (or last tried) with each outcome since `since`."""
    stmt = (select(dl.outcome, func.count()).select_from(webhook_deliveries.join(events, ev.id == dl.event_id))
            .where(dl.webhook_id == webhook_id, dl.finished >= since, dl.outcome.is_not(None)))
    if event_key is not None:
        stmt = stmt.where(ev.event_key == event_key)
    return dict((await conn.execute(stmt.group_by(dl.outcome))).all())


async def delivery(conn: AsyncConnection, delivery_id: int):
    """(id, webhook_id, event_id, project_id, repository_id of the webhook) of a delivery, or None."""
    stmt = (select(dl.id, dl.webhook_id, dl.event_id, w.project_id, w.repository_id)
            .join(webhooks, w.id == dl.webhook_id).where(dl.id == delivery_id))
    return (await conn.execute(stmt)).first()


async def redeliver(conn: AsyncConnection, webhook_id: int, event_id: int, now: int) -> int:
    """A new pending delivery of the event: it goes after those already waiting."""
    stmt = insert(webhook_deliveries).values(webhook_id=webhook_id, event_id=event_id, state="PENDING",
                                             attempts=0, next_attempt=now).returning(dl.id)
    return (await conn.execute(stmt)).scalar_one()


async def failed_ids(conn: AsyncConnection, webhook_id: int) -> list[int]:
    stmt = select(dl.id).where(dl.webhook_id == webhook_id, dl.state.in_(("FAILURE", "ERROR"))).order_by(dl.id)
    return list((await conn.execute(stmt)).scalars())


async def everywhere(conn: AsyncConnection) -> list:
    stmt = (select(webhooks, projects.c.key.label("project_key"), repositories.c.slug)
            .join(projects, projects.c.id == w.project_id)
            .outerjoin(repositories, repositories.c.id == w.repository_id).order_by(w.id))
    return (await conn.execute(stmt)).all()
