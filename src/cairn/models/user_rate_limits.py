from sqlalchemy import Boolean, Column, ForeignKey, Integer, Table

from cairn.models.base import Id, metadata

# Per-user overrides of the rate limit: their own bucket, or none at all (whitelisted).
user_rate_limits = Table(
    "user_rate_limits", metadata,
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("capacity", Integer, nullable=True),
    Column("fill_rate", Integer, nullable=True),
    Column("whitelisted", Boolean, nullable=False),
)
