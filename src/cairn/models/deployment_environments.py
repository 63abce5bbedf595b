from sqlalchemy import Column, ForeignKey, String, Table, UniqueConstraint

from cairn.models.base import Id, metadata

# Every environment a repository has deployed to: the environments listing walks these rows instead of
# the whole deployment history (an environment is described by its latest deployment).
deployment_environments = Table(
    "deployment_environments", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("repository_id", Id, ForeignKey("repositories.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(255), nullable=False),
    UniqueConstraint("repository_id", "key"),
)
