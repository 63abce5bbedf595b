from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text

from cairn.models.base import Id, metadata

# The outbox: one row per change that happened to a repository's build results, written in the change's own
# transaction, so an event exists exactly when its change committed. The delivery loop queues it for the
# webhooks that hear it (cairn.webhooks.store.queue), whose deliveries point at it; the
# live stream (GET .../events) reads it, and resumes from it by id. AUTOINCREMENT on SQLite: an id is never
# reused after a prune, so a stream's Last-Event-ID stays meaningful.
events = Table(
    "events", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("repository_id", Id, ForeignKey("repositories.id", ondelete="CASCADE"), nullable=False),
    Column("commit_id", String(40), nullable=False),
    Column("event_key", String(64), nullable=False),
    Column("created", BigInteger, nullable=False),
    Column("payload", Text, nullable=False),  # the JSON body a webhook receives
    # PostgreSQL: the writing transaction's id (pg_current_xact_id), the order webhooks are queued in: an event
    # whose transaction is older than every running one can no longer be overtaken (cairn.webhooks.store.queue).
    # SQLite: 0, as its writers take turns and ids come in commit order.
    Column("tx", BigInteger, nullable=False, server_default="0"),
    sqlite_autoincrement=True,
)

Index("ix_events_repository", events.c.repository_id, events.c.id)
Index("ix_events_tx", events.c.tx, events.c.id)
Index("ix_events_created", events.c.created)

# One row (id 1): the (tx, id) of the last event queued for webhooks.
event_queue = Table(
    "event_queue", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("tx", BigInteger, nullable=False),
    Column("event_id", BigInteger, nullable=False),
)
