from sqlalchemy import Column, ForeignKey, SmallInteger, Table

from cairn.models.base import Id, metadata

repository_group_permissions = Table(
    "repository_group_permissions", metadata,
    Column("repository_id", Id, ForeignKey("repositories.id", ondelete="CASCADE"), primary_key=True),
    Column("group_id", Id, ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True, index=True),
    Column("permission", SmallInteger, nullable=False),
)
