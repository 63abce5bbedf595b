from sqlalchemy import Column, ForeignKey, SmallInteger, Table

from cairn.models.base import Id, metadata

repository_permissions = Table(
    "repository_permissions", metadata,
    Column("repository_id", Id, ForeignKey("repositories.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
    Column("permission", SmallInteger, nullable=False),
)
