from sqlalchemy import BigInteger, Boolean, Column, ForeignKey, Index, Integer, String, Table, Text

from cairn.models.base import Id, metadata

# A webhook of a project (repository_id NULL: it hears all the project's repositories) or of a repository.
# `event_mask` has a bit per event it listens to (cairn.events.schemas.EVENT_BITS): the delivery loop queues
# an event for the webhooks whose mask has its bit (cairn.webhooks.store.queue). The lease is how one of several
# cairn processes takes the webhook's deliveries, in order, for a while (cairn.webhooks.delivery).
webhooks = Table(
    "webhooks", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), nullable=False),
    Column("repository_id", Id, ForeignKey("repositories.id", ondelete="CASCADE"), nullable=True),
    Column("name", String(255), nullable=False),
    Column("url", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("event_mask", Integer, nullable=False),
    Column("secret", Text, nullable=True),
    Column("username", Text, nullable=True),
    Column("password", Text, nullable=True),
    Column("ssl_verification", Boolean, nullable=False),
    Column("created_date", BigInteger, nullable=False),
    Column("updated_date", BigInteger, nullable=False),
    Column("lease_owner", String(64), nullable=True),
    Column("lease_until", BigInteger, nullable=True),
    Column("since_event", BigInteger, nullable=False, server_default="0"),  # hears events after this id only
)

Index("ix_webhooks_project", webhooks.c.project_id, webhooks.c.repository_id)
Index("ix_webhooks_repository", webhooks.c.repository_id)
