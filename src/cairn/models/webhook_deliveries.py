from sqlalchemy import BigInteger, Column, ForeignKey, Index, Integer, String, Table, Text, text

from cairn.models.base import Id, metadata

# One event for one webhook: PENDING until delivered (SUCCESS) or given up (FAILURE: the receiver answered
# with an error; ERROR: it could not be reached), then kept as the webhook's history for a bounded count.
# Between attempts it holds the last attempt's outcome and when the next is due.
webhook_deliveries = Table(
    "webhook_deliveries", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("webhook_id", Id, ForeignKey("webhooks.id", ondelete="CASCADE"), nullable=False),
    Column("event_id", Id, ForeignKey("events.id", ondelete="CASCADE"), nullable=False),
    Column("state", String(8), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("next_attempt", BigInteger, nullable=False),
    Column("started", BigInteger, nullable=True),
    Column("finished", BigInteger, nullable=True),
    Column("status_code", Integer, nullable=True),
    Column("outcome", String(8), nullable=True),  # the last attempt's: SUCCESS, FAILURE or ERROR
    Column("description", Text, nullable=True),  # the last attempt's error, or the response's first bytes
    Column("request_id", String(36), nullable=True),
)

# The delivery worker's question, "this webhook's oldest pending delivery", is one lookup of this index.
Index("ix_webhook_deliveries_pending", webhook_deliveries.c.webhook_id, webhook_deliveries.c.id,
      sqlite_where=text("state = 'PENDING'"), postgresql_where=text("state = 'PENDING'"))
Index("ix_webhook_deliveries_history", webhook_deliveries.c.webhook_id, webhook_deliveries.c.finished)
Index("ix_webhook_deliveries_event", webhook_deliveries.c.event_id)
