from sqlalchemy import Column, ForeignKey, SmallInteger, Table

from cairn.models.base import Id, metadata

# One row per group with a global permission (LICENSED_USER included: Bitbucket lists it for groups).
global_group_permissions = Table(
    "global_group_permissions", metadata,
    Column("group_id", Id, ForeignKey("groups.id", ondelete="CASCADE"), primary_key=True),
    Column("permission", SmallInteger, nullable=False),
)
