from sqlalchemy import BigInteger, Column, Index, String, Table, Text

from cairn.models.base import Id, metadata

# Who changed what, when and from where: written in the change's own transaction (it exists only if the change
# committed). The actor's name is copied: the trail outlives a deleted user.
audit_events = Table(
    "audit_events", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("created_date", BigInteger, nullable=False, index=True),
    Column("actor_id", BigInteger, nullable=True),
    Column("actor_name", String(255), nullable=True, index=True),
    Column("address", String(64), nullable=True),
    Column("action", String(64), nullable=False),
    Column("project_key", String(128), nullable=True),
    Column("repository_slug", String(128), nullable=True),
    Column("details", Text, nullable=False),
)
Index("ix_audit_events_repository", audit_events.c.project_key, audit_events.c.repository_slug,
      audit_events.c.created_date)
