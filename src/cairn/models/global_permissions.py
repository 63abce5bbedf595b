from sqlalchemy import Column, ForeignKey, SmallInteger, Table

from cairn.models.base import Id, metadata

# One row per user with a global permission above LICENSED_USER (every user is licensed).
global_permissions = Table(
    "global_permissions", metadata,
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("permission", SmallInteger, nullable=False),
)
