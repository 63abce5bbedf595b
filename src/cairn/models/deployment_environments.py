from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Table, UniqueConstraint

from cairn.models.base import Id, metadata

# Every environment a repository has deployed to, with its newest and newest successful deployment,
# kept current by each deployment write: the environments listing reads a page of these rows and never
# the deployment history (an environment is described by its newest deployment).
deployment_environments = Table(
    "deployment_environments", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("repository_id", Id, ForeignKey("repositories.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(255), nullable=False),
    Column("latest_id", Id, nullable=True),  # NULL once all its deployments are deleted
    Column("latest_updated", BigInteger, nullable=True),
    Column("successful_id", Id, nullable=True),
    UniqueConstraint("repository_id", "key"),
)

# The listing's order: the most recently deployed first.
Index("ix_deployment_environments_newest", deployment_environments.c.repository_id,
      deployment_environments.c.latest_updated, deployment_environments.c.latest_id)
