from sqlalchemy import Column, ForeignKey, SmallInteger, Table

from cairn.models.base import Id, metadata

project_permissions = Table(
    "project_permissions", metadata,
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
    Column("permission", SmallInteger, nullable=False),
)
