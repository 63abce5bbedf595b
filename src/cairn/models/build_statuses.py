from sqlalchemy import (
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from cairn.models.base import Id, metadata

# A build status belongs to a repository, or (legacy API, repository_id NULL) to every repository
# holding the commit. One status per (repository, commit, key), resp. per (commit, key) for legacy.
build_statuses = Table(
    "build_statuses", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("repository_id", Id, ForeignKey("repositories.id", ondelete="CASCADE"), nullable=True),
    Column("commit_id", String(40), nullable=False),
    Column("key", String(255), nullable=False),
    Column("state", String(16), nullable=False),
    Column("url", String(450), nullable=False),
    Column("name", String(255), nullable=True),
    Column("description", Text, nullable=True),
    Column("build_number", String(255), nullable=True),
    Column("parent", String(1024), nullable=True),
    Column("ref", String(1024), nullable=True),
    Column("duration", BigInteger, nullable=True),
    Column("tests_successful", Integer, nullable=True),
    Column("tests_failed", Integer, nullable=True),
    Column("tests_skipped", Integer, nullable=True),
    Column("created_date", BigInteger, nullable=False),
    Column("updated_date", BigInteger, nullable=False),
)

_scoped = build_statuses.c.repository_id.isnot(None)
_legacy = build_statuses.c.repository_id.is_(None)
# The conflict targets of the two upserts; store.py names the same WHERE clauses.
Index("uq_build_statuses_repository_commit_key", build_statuses.c.repository_id, build_statuses.c.commit_id,
      build_statuses.c.key, unique=True, postgresql_where=_scoped, sqlite_where=_scoped)
Index("uq_build_statuses_legacy_commit_key", build_statuses.c.commit_id, build_statuses.c.key, unique=True,
      postgresql_where=_legacy, sqlite_where=_legacy)
# Stats and the legacy listing read every status of a commit, whatever its repository.
Index("ix_build_statuses_commit_id", build_statuses.c.commit_id)
# The repository page walks a repository's statuses newest first (cairn.activity).
Index("ix_build_statuses_repository_newest", build_statuses.c.repository_id, build_statuses.c.updated_date,
      build_statuses.c.commit_id)
