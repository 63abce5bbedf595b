from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Table, UniqueConstraint

from cairn.models.base import Id, metadata

# A deployment of a commit to an environment (decision D7: identified by repository, commit, key,
# environment key and sequence number; posting the same identity again updates it).
deployments = Table(
    "deployments", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("repository_id", Id, ForeignKey("repositories.id", ondelete="CASCADE"), nullable=False),
    Column("commit_id", String(40), nullable=False),
    Column("key", String(255), nullable=False),
    Column("environment_key", String(255), nullable=False),
    Column("sequence_number", BigInteger, nullable=False),
    Column("display_name", String(255), nullable=False),
    Column("description", String(255), nullable=False),
    Column("url", String(1024), nullable=False),
    Column("state", String(16), nullable=False),
    Column("environment_display_name", String(255), nullable=False),
    Column("environment_type", String(16), nullable=True),
    Column("environment_url", String(1024), nullable=True),
    Column("last_updated", BigInteger, nullable=False),
    UniqueConstraint("repository_id", "commit_id", "key", "environment_key", "sequence_number",
                     name="uq_deployments_identity"),
)

_d = deployments.c
# fromCommit: the previous sequence number of the same key and environment, ties broken by id in the index too (a
# sort per lookup otherwise: 52 of them on a page of the environments listing).
Index("ix_deployments_previous", _d.repository_id, _d.key, _d.environment_key, _d.sequence_number, _d.id)
# The repository's listing, newest first.
Index("ix_deployments_newest", _d.repository_id, _d.last_updated, _d.id)
# An environment's latest deployment, and its latest in one state (SUCCESSFUL): index lookups, so the
# environments listing does not slow down as the history grows.
Index("ix_deployments_environment_newest", _d.repository_id, _d.environment_key, _d.last_updated, _d.id)
Index("ix_deployments_environment_state_newest", _d.repository_id, _d.environment_key, _d.state,
      _d.last_updated, _d.id)
# The repository page walks a repository's deployments newest first, ties by commit (cairn.activity).
Index("ix_deployments_repository_activity", _d.repository_id, _d.last_updated, _d.commit_id)
