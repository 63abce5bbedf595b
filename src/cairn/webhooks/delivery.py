"""Delivering webhooks: every `cairn serve` process runs a Deliverer beside its requests.

A change records only its event (the outbox); every POLL the Deliverer queues the events recorded since for
the webhooks that hear them (store.queue: a pending delivery each, in commit order), then delivers.
A process takes a webhook by a lease (a row update that succeeds for one process: the webhook's
lease_owner/lease_until), sends its pending deliveries oldest first, records the outcomes, and lets go. So
each event goes to each webhook from one process at a time, in the order the events committed, and at
least once: a process killed after sending and before recording leaves the delivery pending, and whoever
takes the webhook once the lease has run out sends it again (receivers deduplicate by X-Cairn-Event-Id).
A delivery that fails with a connection error, a timeout, a 5xx, 408 or 429 is tried again with exponential
backoff and jitter (Retry-After honoured) until GIVE_UP after its event; the webhook's later deliveries wait
behind it, to keep the order. Any other 4xx, or a redirect (never followed), fails it for good.
Nothing here holds a database transaction while a receiver is called.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import email.utils
import hashlib
import hmac
import logging
import random
import time
import uuid
from dataclasses import dataclass

import httpx

from cairn import __version__
from cairn.db.direct import in_transaction
from cairn.db.outage import database_gone
from cairn.db.uow import unit_of_work
from cairn.kit.clock import now_ms
from cairn.kit import load
from cairn.webhooks import safety, store

LOG = logging.getLogger("cairn.webhooks")

TIMEOUT = 10.0  # seconds a receiver has to answer
MAX_RESPONSE = 64 * 1024  # bytes of a response read at most
KEPT_DESCRIPTION = 1024  # characters of a response (or an error) kept in the history
GIVE_UP = 24 * 3600 * 1000  # ms after its event when a failing delivery is marked failed for good
MAX_BACKOFF = 3600.0  # seconds between two attempts at most
KEEP_HISTORY = 100  # finished deliveries kept per webhook
LEASE = 60_000  # ms a process holds a webhook; a batch stops sending after BATCH_SECONDS, well within it
BATCH = 50  # pending deliveries read at once
BATCH_SECONDS = 20.0
POLL = 0.5  # seconds between looks for due deliveries
TRIM_EVERY = 10  # batches between trims of a webhook's history (and the first batch of each turn)
# Delivering is background work and must not slow a request's answer: while a request is being answered, each
# step of it (queueing events, reading pending deliveries, a send, the transaction recording them) is followed by
# a pause GIVE_WAY times as long as the step's work, so delivering takes about 1/(1 + GIVE_WAY) of a loaded
# process (it falls behind while the load lasts, and catches up after). A step's work is its wall time, requests
# served meanwhile included (generous), but at most SEND_WORK for a send (the rest is the receiver's time) and
# MAX_PAUSE / GIVE_WAY for any step (a batch ends well within its lease). bench/ --webhook, SQLite build POST:
# 19 cost 11 % of the requests, 49 cost 3 % (within the noise).
GIVE_WAY = 49
SEND_WORK = 0.002  # s; bench/ measured about 0.75 ms of the event loop per delivery
MAX_PAUSE = 1.0
CONCURRENT_WEBHOOKS = 16  # webhooks one process delivers to at once


@dataclass(frozen=True)
class Attempt:
    outcome: str  # SUCCESS (2xx), FAILURE (another status), ERROR (no answer)
    status_code: int | None
    description: str
    started: int
    finished: int
    request_id: str
    retry_after: float | None = None

    @property
    def retryable(self) -> bool:
        return self.outcome == "ERROR" or (self.status_code is not None
                                           and (self.status_code >= 500 or self.status_code in (408, 429)))


def signature(secret: str, body: bytes) -> str:
    """X-Hub-Signature, as Bitbucket sends it."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def headers(event_key: str, body: bytes, request_id: str, secret: str | None, username: str | None,
            password: str | None, event_id: int | None) -> dict[str, str]:
    found = {"Content-Type": "application/json; charset=utf-8", "User-Agent": f"cairn/{__version__}",
             "X-Event-Key": event_key, "X-Request-Id": request_id}
    if event_id is not None:
        found["X-Cairn-Event-Id"] = str(event_id)  # the same on every attempt: what a receiver deduplicates by
    if secret:
        found["X-Hub-Signature"] = signature(secret, body)
    if username:
        found["Authorization"] = "Basic " + base64.b64encode(f"{username}:{password or ''}".encode()).decode()
    return found


def retry_after(value: str | None) -> float | None:
    """Seconds a Retry-After header asks for (delta-seconds or an HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - time.time())


def next_attempt(attempts: int, now: int, event_created: int, wait: float | None) -> int | None:
    """When to try again after `attempts` failed ones (ms), or None to give up: exponential backoff from 1 s
    with jitter (each wait between half and all of 2^(attempts-1) s, at most MAX_BACKOFF), or Retry-After."""
    delay = random.uniform(0.5, 1.0) * min(MAX_BACKOFF, 2.0 ** (attempts - 1))
    if wait is not None:
        delay = max(delay, min(wait, GIVE_UP / 1000))
    due = now + int(delay * 1000)
    return None if due - event_created > GIVE_UP else due


class Sender:
    """POSTs to receivers: at the address safety.py checked, no redirects followed, no proxies, 10 s."""

    def __init__(self, allow_private: bool):
        self.allow_private = allow_private
        options = {"timeout": TIMEOUT, "follow_redirects": False, "trust_env": False}
        self._clients = {True: httpx.AsyncClient(**options), False: httpx.AsyncClient(verify=False, **options)}

    async def close(self) -> None:
        for client in self._clients.values():
            await client.aclose()

    async def post(self, url: str, body: bytes, event_key: str, secret: str | None = None,
                   username: str | None = None, password: str | None = None, verify: bool = True,
                   event_id: int | None = None, checked: tuple | None = None) -> tuple[Attempt, dict]:
        """The attempt, and what was sent and answered (the `test` endpoint shows them). `checked`: what
        safety.checked_address answered for `url` a moment ago (a batch of deliveries checks it once)."""
        request_id = str(uuid.uuid4())
        sent = headers(event_key, body, request_id, secret, username, password, event_id)
        started = now_ms()
        exchange = {"request": {"url": url, "method": "POST", "headers": _shown(sent), "body": body.decode()}}
        try:
            scheme, host, port, address = checked or await safety.checked_address(url, self.allow_private)
            target = httpx.URL(url).copy_with(host=address)
            extensions = {"sni_hostname": host} if scheme == "https" else {}
            host_header = host if ":" not in host else f"[{host}]"
            if port != (443 if scheme == "https" else 80):
                host_header += f":{port}"
            request = self._clients[verify].build_request("POST", target, content=body,
                                                          headers={**sent, "Host": host_header},
                                                          extensions=extensions)
            response = await self._clients[verify].send(request, stream=True)
            try:
                head = await _read_at_most(response, MAX_RESPONSE)
            finally:
                await response.aclose()
        except (safety.UnsafeUrl, httpx.HTTPError, OSError) as error:
            description = str(error) or type(error).__name__
            return Attempt("ERROR", None, description[:KEPT_DESCRIPTION], started, now_ms(), request_id), {
                **exchange, "error": description}
        text = head.decode("utf-8", "replace")
        outcome = "SUCCESS" if 200 <= response.status_code < 300 else "FAILURE"
        attempt = Attempt(outcome, response.status_code, text[:KEPT_DESCRIPTION], started, now_ms(), request_id,
                          retry_after(response.headers.get("retry-after")))
        return attempt, {**exchange, "response": {"statusCode": response.status_code,
                                                  "headers": dict(response.headers), "body": text}}


def _shown(sent: dict[str, str]) -> dict[str, str]:
    """Request headers as the `test` endpoint shows them: credentials masked."""
    return {k: ("********" if k == "Authorization" else v) for k, v in sent.items()}


async def _read_at_most(response: httpx.Response, limit: int) -> bytes:
    chunks, size = [], 0
    async for chunk in response.aiter_raw():
        chunks.append(chunk)
        size += len(chunk)
        if size >= limit:
            break
    return b"".join(chunks)[:limit]


class Deliverer:
    """The delivery loop of one process (started and stopped with the app, cairn.app)."""

    def __init__(self, engine, sender: Sender):
        self.engine = engine
        self.sender = sender
        self.owner = uuid.uuid4().hex  # this process, as the leases name it
        self._running: dict[int, asyncio.Task] = {}
        self._resume_at = 0.0  # (monotonic) when a loaded process may take the next step of delivery work

    @contextlib.asynccontextmanager
    async def _step(self, work_at_most: float = MAX_PAUSE):
        """A step of delivery work, paced while requests are answered (GIVE_WAY). The pauses of steps taken at
        once (webhooks delivered to together) add up; a step taken while no request is answered owes none, and a
        pause ends as soon as none is."""
        while load.busy() and (wait := self._resume_at - time.monotonic()) > 0:
            await asyncio.sleep(min(wait, 0.05))
        began = time.monotonic()
        try:
            yield
        finally:
            ended = time.monotonic()
            if load.busy():
                pause = min(MAX_PAUSE, min(work_at_most, ended - began) * GIVE_WAY)
                self._resume_at = max(self._resume_at, ended) + pause

    async def run(self) -> None:
        try:
            while True:
                try:
                    await self._queue()
                    await self._start_due()
                except Exception as error:  # the loop never dies; the next poll tries again
                    if database_gone(error):
                        LOG.warning("webhook delivery paused: the database cannot be reached (%s)",
                                    type(error).__name__)
                    else:
                        LOG.exception("webhook delivery: looking for due deliveries failed")
                await asyncio.sleep(POLL)
        finally:
            for task in list(self._running.values()):
                task.cancel()
            await asyncio.gather(*self._running.values(), return_exceptions=True)

    async def _queue(self) -> None:
        """Queue the events recorded since the last look for the webhooks that hear them."""
        async with unit_of_work(self.engine, write=False) as conn:
            if not await store.waiting(conn):
                return
        while True:
            async with self._step():
                if await in_transaction(self.engine, store.queue) < store.QUEUE_BATCH:
                    return

    async def _start_due(self) -> None:
        room = CONCURRENT_WEBHOOKS - len(self._running)
        if room <= 0:
            return
        async with unit_of_work(self.engine, write=False) as conn:
            due = await store.due_webhooks(conn, now_ms(), CONCURRENT_WEBHOOKS)
        for webhook_id in due:
            if webhook_id not in self._running and len(self._running) < CONCURRENT_WEBHOOKS:
                task = asyncio.create_task(self._drain(webhook_id))
                self._running[webhook_id] = task
                task.add_done_callback(lambda _t, key=webhook_id: self._running.pop(key, None))

    async def _drain(self, webhook_id: int) -> None:
        """Deliver the webhook's due deliveries in order while this process holds its lease."""
        try:
            now = now_ms()
            if not await in_transaction(self.engine, lambda conn: store.lease(conn, webhook_id, self.owner, now,
                                                                               now + LEASE)):
                return  # another process has it
            try:
                batches = 0
                while await self._batch(webhook_id, trim=batches % TRIM_EVERY == 0):
                    batches += 1
            finally:
                await in_transaction(self.engine, lambda conn: store.release(conn, webhook_id, self.owner))
        except asyncio.CancelledError:
            raise
        except Exception as error:
            if not database_gone(error):
                LOG.exception("webhook %s: delivery failed", webhook_id)

    async def _batch(self, webhook_id: int, trim: bool) -> bool:
        """Send up to BATCH due deliveries, stopping at the first that fails; record them in one transaction (and
        trim the history when `trim`). Whether there may be more to send now."""
        async with self._step(), unit_of_work(self.engine, write=False) as conn:
            pending = await store.heads(conn, webhook_id, BATCH)
        if not pending:
            return False
        try:
            checked = await safety.checked_address(pending[0].url, self.sender.allow_private)
        except (safety.UnsafeUrl, OSError):
            checked = None  # each attempt fails with the reason, as a delivery's error
        results, began = [], time.monotonic()
        for item in pending:
            if item.next_attempt > now_ms() or not item.active:
                break
            async with self._step(work_at_most=SEND_WORK):
                attempt, _ = await self.sender.post(item.url, item.payload.encode(), item.event_key, item.secret,
                                                    item.username, item.password, bool(item.ssl_verification),
                                                    item.event_id, checked)
            results.append((item, attempt))
            if attempt.outcome != "SUCCESS" or time.monotonic() - began > BATCH_SECONDS:
                break
        if not results:
            return False
        recorded = [(item.id, _recorded(item, attempt)) for item, attempt in results]

        async def record(conn) -> bool:
            for delivery_id, values in recorded:
                await store.record_attempt(conn, delivery_id, values)
            if trim:
                await store.trim_history(conn, webhook_id, KEEP_HISTORY)
            now = now_ms()
            return await store.lease(conn, webhook_id, self.owner, now, now + LEASE)
        async with self._step():
            if not await in_transaction(self.engine, record):
                return False
        # More now: the last one went through, and the batch was full or stopped for time.
        return results[-1][1].outcome == "SUCCESS" and (len(pending) == BATCH or len(results) < len(pending))


def _recorded(item, attempt: Attempt) -> dict:
    """The delivery's row after `attempt` (store.ATTEMPT_COLUMNS): finished, or pending with when to try again."""
    attempts = item.attempts + 1
    values = {"attempts": attempts, "started": attempt.started,
              "finished": attempt.finished, "status_code": attempt.status_code, "outcome": attempt.outcome,
              "description": attempt.description, "request_id": attempt.request_id, "state": attempt.outcome,
              "next_attempt": item.next_attempt}
    if attempt.outcome != "SUCCESS" and attempt.retryable:
        due = next_attempt(attempts, attempt.finished, item.created, attempt.retry_after)
        if due is not None:
            values.update(state="PENDING", next_attempt=due)
    return values
