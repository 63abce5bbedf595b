from sqlalchemy import Boolean, Column, ForeignKey, String, Table, Text

from cairn.models.base import Id, metadata

# A required-builds merge check: builds with these parent keys must pass before a merge into a ref the
# ref matcher matches, unless the source ref matches the exempt matcher.
required_build_conditions = Table(
    "required_build_conditions", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("repository_id", Id, ForeignKey("repositories.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("build_parent_keys", Text, nullable=False),  # a JSON array of strings
    Column("ref_matcher_type", String(16), nullable=False),
    Column("ref_matcher_id", String(1024), nullable=False),
    Column("exempt_matcher_type", String(16), nullable=True),
    Column("exempt_matcher_id", String(1024), nullable=True),
    Column("required_for_pull_request", Boolean, nullable=False),
    Column("required_for_merge_queue", Boolean, nullable=False),
)
