from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from cairn.models.base import Id, metadata

repositories = Table(
    "repositories", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("project_id", Id, ForeignKey("projects.id", ondelete="RESTRICT"), nullable=False),
    Column("slug", String(128), nullable=False),
    Column("name", String(128), nullable=False),
    Column("description", Text, nullable=True),
    Column("public", Boolean, nullable=False, default=False),
    Column("forkable", Boolean, nullable=False, default=True),
    Column("default_branch", String(1024), nullable=False),
    Column("hierarchy_id", String(20), nullable=False),
    Column("created_date", BigInteger, nullable=False),
    UniqueConstraint("project_id", "slug"),
)
