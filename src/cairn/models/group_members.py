from sqlalchemy import Column, ForeignKey, Table

from cairn.models.base import Id, metadata

group_members = Table(
    "group_members", metadata,
    Column("group_id", Id, ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True),
)
