"""The live stream: GET .../events answers Server-Sent Events, one per recorded event, as they commit.

One EventBus per process reads the outbox (every POLL while anyone listens) and hands each new event to the
streams of its repository, so a thousand open streams cost one query per poll, and events committed by any
process, or by the lane's direct connections, are seen alike. On PostgreSQL an id can become visible after a
higher one (transactions commit in another order than they took their ids): the bus keeps asking for the ids
it skipped, for GAP_SECONDS, so a late commit is still streamed."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from dataclasses import dataclass, field

from cairn.db.uow import unit_of_work
from cairn.errors import bad_request
from cairn.events import store
from cairn.kit import load

from starlette.responses import StreamingResponse

LOG = logging.getLogger("cairn.events")

POLL = 0.25  # seconds between reads of the outbox while anyone listens
GAP_SECONDS = 10.0  # how long an id skipped over may still commit (a slower transaction)
BATCH = 1000
QUEUE = 10_000  # events a slow stream may fall behind before it is closed (its client resumes by Last-Event-ID)


@dataclass(eq=False)
class Subscription:
    repository_id: int
    commit_id: str | None
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(QUEUE))
    overflowed: bool = False
    ending: bool = False  # the server is stopping

    def offer(self, row) -> None:
        if row.repository_id != self.repository_id or (self.commit_id and row.commit_id != self.commit_id):
            return
        try:
            self.queue.put_nowait(row)
        except asyncio.QueueFull:
            self.overflowed = True


class EventBus:
    def __init__(self, engine):
        self.engine = engine
        self._subscribers: set[Subscription] = set()
        self._task: asyncio.Task | None = None
        self._cursor: int | None = None
        self._gaps: dict[int, float] = {}  # id skipped -> when first skipped

    def subscribe(self, repository_id: int, commit_id: str | None, newest: int) -> Subscription:
        """A stream of the events after `newest` (the newest event id when the stream began: the bus reads on
        from there, when it is not reading already)."""
        subscription = Subscription(repository_id, commit_id)
        self._subscribers.add(subscription)
        if self._cursor is None:
            self._cursor = newest
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._poll())
        return subscription

    def unsubscribe(self, subscription: Subscription) -> None:
        self._subscribers.discard(subscription)

    def end_streams(self) -> None:
        """End every open stream now (the server is stopping: it waits for open responses to finish, and a
        stream would hold it up to LIFETIME; its clients reconnect, to another process or to this one restarted).
        """
        for subscription in self._subscribers:
            subscription.ending = True
            with contextlib.suppress(asyncio.QueueFull):
                subscription.queue.put_nowait(None)

    def end_streams_on_exit(self) -> None:
        """Have SIGTERM and SIGINT end the streams before the server's own handler begins its shutdown."""
        loop = asyncio.get_running_loop()
        for number in (signal.SIGTERM, signal.SIGINT):
            previous = signal.getsignal(number)
            if not callable(previous):
                continue

            def handler(signum, frame, previous=previous):
                loop.call_soon_threadsafe(self.end_streams)
                previous(signum, frame)
            try:
                signal.signal(number, handler)
            except ValueError:  # not the main thread (an app under a test client): nothing to wrap
                return

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _poll(self) -> None:
        while self._subscribers:
            try:
                await self._read()
            except Exception:  # a failed read is tried again at the next poll
                LOG.warning("the live event stream could not read the outbox", exc_info=True)
            await asyncio.sleep(POLL)
        self._cursor = None  # nobody listens: the next listener says where to start
        self._gaps.clear()

    async def _read(self) -> None:
        async with unit_of_work(self.engine, write=False) as conn:
            rows = await store.newer(conn, None, self._cursor, BATCH, also=tuple(self._gaps))
        now = time.monotonic()
        for row in rows:
            self._gaps.pop(row.id, None)
            if row.id > self._cursor:
                if row.id - self._cursor <= BATCH:  # (a jump past a pruned range is no gap)
                    self._gaps.update((skipped, now) for skipped in range(self._cursor + 1, row.id))
                self._cursor = row.id
            for subscription in list(self._subscribers):
                subscription.offer(row)
        for skipped, since in list(self._gaps.items()):
            if now - since > GAP_SECONDS or len(self._gaps) > BATCH:
                del self._gaps[skipped]


REPLAY = 1000  # events a resuming stream is sent at most before it goes live (the outbox keeps a day)
HEARTBEAT = 15.0  # seconds of silence before a comment line keeps proxies from closing the stream
LIFETIME = 300.0  # seconds a stream lasts: the client reconnects with Last-Event-ID, and is authorised again


def resume_after(header: str | None, query: str | None) -> int | None:
    """The id to resume after: the Last-Event-ID header (a reconnecting EventSource sends it), else the
    lastEventId parameter (a page passes the newest event it rendered)."""
    value = header if header is not None else query
    if value is None or value == "":
        return None
    if not (value.isascii() and value.strip().isdigit()):
        raise bad_request("lastEventId must be the id of an event.", "lastEventId")
    return int(value)


def _frame(row) -> bytes:
    return f"id: {row.id}\nevent: {row.event_key}\ndata: {row.payload}\n\n".encode()


async def event_stream(request, conn, repository_id: int, commit_id: str | None,
                       after: int | None) -> StreamingResponse:
    """A stream of the repository's (commit's) events: those after id `after` from the outbox, when given, then
    each new one as the bus sees it commit."""
    bus: EventBus = request.app.state.event_bus
    # Subscribed before the response begins, from the newest event now: what commits after the client has its
    # answer's headers is streamed, and what the replay below finds too is not sent twice.
    subscription = bus.subscribe(repository_id, commit_id, await store.newest_id(conn))
    replay = [] if after is None else await store.newer(conn, repository_id, after, REPLAY, commit_id)

    async def frames():
        try:
            yield b"retry: 2000\n\n"
            sent = after or 0
            for row in replay:
                sent = row.id
                yield _frame(row)
            deadline = asyncio.get_running_loop().time() + LIFETIME
            while not subscription.overflowed and not subscription.ending:
                left = deadline - asyncio.get_running_loop().time()
                if left <= 0:
                    return
                try:
                    # Waiting is no load: an open stream must not hold webhook deliveries back (delivery.py).
                    with load.waiting():
                        row = await asyncio.wait_for(subscription.queue.get(), min(HEARTBEAT, left))
                except asyncio.TimeoutError:
                    yield b": keep-alive\n\n"
                    continue
                if row is None:  # end_streams
                    return
                if row.id > sent or after is None:  # (replayed already)
                    yield _frame(row)
        finally:
            bus.unsubscribe(subscription)

    return StreamingResponse(frames(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
