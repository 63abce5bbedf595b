"""Webhooks of projects and repositories: create, read, update, delete, test, and their delivery history."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from cairn.errors import NO_SUCH_ENTITY, bad_request, not_found
from cairn.events.schemas import EVENT_BITS, PING, mask_of
from cairn.kit.clock import now_ms
from cairn.webhooks import safety, store
from cairn.webhooks.delivery import Sender
from cairn.webhooks.schemas import (
    OUTCOMES,
    PROJECT,
    REPOSITORY,
    WebhookRequest,
    counts_json,
    invocation_json,
    webhook_json,
)

STATISTICS_WINDOW = 24 * 3600 * 1000  # the counts cover the last day of the kept history


def _no_webhook(webhook_id: int | str) -> Exception:
    return not_found(f"No webhook with id {webhook_id} exists here.", NO_SUCH_ENTITY, "webhookId")


def event_bit(event: str | None) -> int | None:
    """The `event` query parameter as a bit; 400 for an event cairn does not fire."""
    if event is None or event == "":
        return None
    if event not in EVENT_BITS:
        raise bad_request(f"'{event}' is not an event cairn fires; it fires {', '.join(EVENT_BITS)}.", "event")
    return EVENT_BITS[event]


async def _checked_url(url: str, allow_private: bool) -> str:
    """The URL, when a webhook may call it (webhooks/safety.py): a host that does not resolve yet is allowed
    (it is checked again on every delivery)."""
    try:
        await safety.checked_address(url, allow_private)
    except safety.UnsafeUrl as error:
        raise bad_request(str(error), "url") from None
    except OSError:
        pass
    return url


async def _values(body: WebhookRequest, allow_private: bool, creating: bool) -> dict:
    """The columns a create or update body sets; 400 for what a webhook cannot be."""
    values: dict = {}
    if body.name is not None or creating:
        if not (body.name or "").strip():
            raise bad_request("A webhook needs a name.", "name")
        values["name"] = body.name.strip()
    if body.url is not None or creating:
        if not (body.url or "").strip():
            raise bad_request("A webhook needs a URL.", "url")
        values["url"] = await _checked_url(body.url.strip(), allow_private)
    if body.events is not None or creating:
        unknown = [e for e in body.events or () if e not in EVENT_BITS]
        if unknown:
            raise bad_request(f"'{unknown[0]}' is not an event cairn fires; it fires {', '.join(EVENT_BITS)}.",
                              "events")
        if not body.events:
            raise bad_request("A webhook needs at least one event.", "events")
        values["event_mask"] = mask_of(body.events)
    if body.active is not None or creating:
        values["active"] = True if body.active is None else body.active
    if body.ssl_verification_required is not None or creating:
        values["ssl_verification"] = True if body.ssl_verification_required is None else body.ssl_verification_required
    if body.configuration is not None and body.configuration.secret is not None:
        values["secret"] = body.configuration.secret or None  # "" removes it
    if body.credentials is not None:  # as the secret: a password left out is kept, and goes with the username
        values["username"] = body.credentials.username or None
        if not values["username"]:
            values["password"] = None
        elif body.credentials.password is not None:
            values["password"] = body.credentials.password or None
    return values


async def create(conn: AsyncConnection, project_id: int, repository_id: int | None, body: WebhookRequest,
                 allow_private: bool) -> dict:
    now = now_ms()
    values = await _values(body, allow_private, creating=True)
    row = await store.create(conn, {"project_id": project_id, "repository_id": repository_id, **values,
                                    "created_date": now, "updated_date": now})
    return webhook_json(row)


async def _found(conn: AsyncConnection, project_id: int, repository_id: int | None, webhook_id: int):
    row = await store.get(conn, webhook_id, project_id, repository_id)
    if row is None:
        raise _no_webhook(webhook_id)
    return row


async def statistics(conn: AsyncConnection, webhook_id: int, event: str | None = None) -> dict | None:
    """RestInvocationHistory: the last success, failure and error, and the counts of the last day; None when
    the webhook has never been called."""
    event_bit(event)
    since = now_ms() - STATISTICS_WINDOW
    counts = await store.outcome_counts(conn, webhook_id, since, event or None)
    last = {}
    for outcome, name in (("SUCCESS", "lastSuccess"), ("FAILURE", "lastFailure"), ("ERROR", "lastError")):
        row = await store.latest(conn, webhook_id, event or None, outcome)
        if row is not None:
            last[name] = invocation_json(row)
    if not last:
        return None
    return {**last, "counts": counts_json(counts, STATISTICS_WINDOW)}


async def summary(conn: AsyncConnection, project_id: int, repository_id: int | None, webhook_id: int) -> dict | None:
    """The counts of the last day; None when the webhook has never been called."""
    await _found(conn, project_id, repository_id, webhook_id)
    counts = await store.outcome_counts(conn, webhook_id, now_ms() - STATISTICS_WINDOW)
    if await store.latest(conn, webhook_id, None, None) is None:
        return None
    return {"counts": counts_json(counts, STATISTICS_WINDOW)}


async def get(conn: AsyncConnection, project_id: int, repository_id: int | None, webhook_id: int,
              with_statistics: bool = False) -> dict:
    row = await _found(conn, project_id, repository_id, webhook_id)
    return webhook_json(row, (await statistics(conn, row.id) or {}) if with_statistics else None)


async def find(conn: AsyncConnection, project_id: int, repository_id: int | None, scopes: tuple[str, ...],
               event: str | None, with_statistics: bool, start: int, limit: int) -> list[dict]:
    rows = await store.find(conn, project_id, repository_id, scopes, event_bit(event), start, limit)
    return [webhook_json(row, (await statistics(conn, row.id) or {}) if with_statistics else None) for row in rows]


def scope_types(scope_type: str | None) -> tuple[str, ...]:
    """The `scopeType` of a search: repository, project, or both when absent."""
    if scope_type is None or scope_type == "":
        return REPOSITORY, PROJECT
    if scope_type.lower() not in (REPOSITORY, PROJECT):
        raise bad_request(f"'{scope_type}' is not a scope type; use repository or project.", "scopeType")
    return (scope_type.lower(),)


async def update(conn: AsyncConnection, project_id: int, repository_id: int | None, webhook_id: int,
                 body: WebhookRequest, allow_private: bool) -> dict:
    await _found(conn, project_id, repository_id, webhook_id)
    values = await _values(body, allow_private, creating=False)
    # What was recorded before the change is heard as the webhook was: queue it first (on PostgreSQL, what the
    # queue may take yet: an event of a transaction still running meanwhile is heard as the webhook is now).
    while await store.queue(conn) == store.QUEUE_BATCH:
        pass
    row = await store.update_webhook(conn, webhook_id, {**values, "updated_date": now_ms()})
    return webhook_json(row)


async def delete(conn: AsyncConnection, project_id: int, repository_id: int | None, webhook_id: int) -> None:
    """Delete the webhook and its deliveries, pending ones too (they are never sent)."""
    await _found(conn, project_id, repository_id, webhook_id)
    await store.delete_webhook(conn, webhook_id)


async def latest(conn: AsyncConnection, project_id: int, repository_id: int | None, webhook_id: int,
                 event: str | None, outcome: str | None) -> dict | None:
    await _found(conn, project_id, repository_id, webhook_id)
    event_bit(event)
    if outcome and outcome.upper() not in OUTCOMES:
        raise bad_request(f"'{outcome}' is not an outcome; use {', '.join(OUTCOMES)}.", "outcome")
    row = await store.latest(conn, webhook_id, event or None, outcome.upper() if outcome else None)
    return None if row is None else invocation_json(row)


async def deliveries(conn: AsyncConnection, project_id: int | None, repository_id: int | None, webhook_id: int,
                     start: int, limit: int) -> list[dict]:
    """A page of the webhook's deliveries; `project_id` None: any webhook (the CLI's operator)."""
    if project_id is None:
        if await store.get(conn, webhook_id) is None:
            raise _no_webhook(webhook_id)
    else:
        await _found(conn, project_id, repository_id, webhook_id)
    return [invocation_json(row) for row in await store.deliveries(conn, webhook_id, start, limit)]


async def redeliver(conn: AsyncConnection, project_id: int | None, repository_id: int | None, webhook_id: int,
                    delivery_id: int) -> dict:
    """Deliver a delivery's event again, after the webhook's pending ones: a new delivery, answered as such.
    `project_id` None: any webhook (the CLI's operator)."""
    found = await store.delivery(conn, delivery_id)
    if found is None or found.webhook_id != webhook_id or (
            project_id is not None and (found.project_id, found.repository_id) != (project_id, repository_id)):
        raise not_found(f"No delivery with id {delivery_id} exists for webhook {webhook_id}.", NO_SUCH_ENTITY,
                        "deliveryId")
    new_id = await store.redeliver(conn, webhook_id, found.event_id, now_ms())
    return invocation_json((await store.deliveries_by_id(conn, [new_id]))[0])


async def failed_ids(conn: AsyncConnection, webhook_id: int) -> list[int]:
    if await store.get(conn, webhook_id) is None:
        raise _no_webhook(webhook_id)
    return await store.failed_ids(conn, webhook_id)


async def everywhere(conn: AsyncConnection) -> list[dict]:
    """Every webhook, with its scope as PROJECT or PROJECT/slug."""
    return [{**webhook_json(row), "scope": row.project_key + (f"/{row.slug}" if row.slug else "")}
            for row in await store.everywhere(conn)]


async def test(conn: AsyncConnection, sender: Sender, project_id: int, repository_id: int | None,
               webhook_id: int | None, url: str | None, ssl_verification: bool | None, username: str | None,
               password: str | None) -> dict:
    """Send Bitbucket's diagnostics:ping ({"test": true}) to `url`, or to the webhook's URL with its secret and
    credentials; what was sent and answered."""
    secret = None
    if webhook_id is not None:
        row = await _found(conn, project_id, repository_id, webhook_id)
        url = url or row.url
        secret = row.secret
        username, password = username or row.username, password if username else row.password
        ssl_verification = row.ssl_verification if ssl_verification is None else ssl_verification
    if not url:
        raise bad_request("Give the URL to test, or the id of a webhook.", "url")
    await _checked_url(url, sender.allow_private)
    _attempt, exchange = await sender.post(url, b'{"test": true}', PING, secret, username, password,
                                           True if ssl_verification is None else ssl_verification)
    return exchange
