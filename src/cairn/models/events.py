from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Table, Text

from cairn.models.base import Id, metadata

# The outbox: one row per change that happened to a repository's build results, written in the change's own
# transaction, so an event exists exactly when its change committed. Webhook deliveries point at it; the
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
    sqlite_autoincrement=True,
)

Index("ix_events_repository", events.c.repository_id, events.c.id)
Index("ix_events_created", events.c.created)
