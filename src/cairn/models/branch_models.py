from sqlalchemy import Column, ForeignKey, Table, Text

from cairn.models.base import Id, metadata

# A repository's branching model configuration, when it differs from Bitbucket's defaults (decision D12).
branch_models = Table(
    "branch_models", metadata,
    Column("repository_id", Id, ForeignKey("repositories.id", ondelete="CASCADE"), primary_key=True),
    Column("configuration", Text, nullable=False),  # the configuration resource's JSON, as validated
)
