from sqlalchemy import Column, ForeignKey, String, Table, UniqueConstraint

from cairn.models.base import Id, metadata

# Every environment a repository has deployed to. Which deployment is its newest (and newest successful) is
# looked up when read, one index lookup each (ix_deployments_environment_newest and _state_newest): rows
# kept pointing at them, rewritten by every deployment, were locked by all of an environment's writers and
# rewritten a hundred thousand times, which halved the listing on PostgreSQL right after the writes (issue 14).
deployment_environments = Table(
    "deployment_environments", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("repository_id", Id, ForeignKey("repositories.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(255), nullable=False),
    UniqueConstraint("repository_id", "key"),
)
