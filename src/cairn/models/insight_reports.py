from sqlalchemy import BigInteger, Column, ForeignKey, Index, String, Table, Text, UniqueConstraint

from cairn.models.base import Id, metadata

# A Code Insights report: one per (repository, commit, key). Its creator alone may replace it or add
# annotations (Bitbucket's rule); a deleted creator leaves it to be deleted by a repository admin.
insight_reports = Table(
    "insight_reports", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("repository_id", Id, ForeignKey("repositories.id", ondelete="CASCADE"), nullable=False),
    Column("commit_id", String(40), nullable=False),
    Column("key", String(450), nullable=False),
    Column("title", String(450), nullable=False),
    Column("details", Text, nullable=True),
    Column("result", String(4), nullable=True),
    Column("reporter", String(450), nullable=True),
    Column("link", Text, nullable=True),
    Column("logo_url", Text, nullable=True),
    Column("coverage_provider_key", String(255), nullable=True),
    Column("data", Text, nullable=False),  # the data fields as a JSON array, exactly as validated
    Column("created_date", BigInteger, nullable=False),
    Column("user_id", Id, ForeignKey("users.id", ondelete="SET NULL"), nullable=True),
    UniqueConstraint("repository_id", "commit_id", "key"),
)

# The repository page walks a repository's reports newest first (cairn.activity).
Index("ix_insight_reports_repository_newest", insight_reports.c.repository_id, insight_reports.c.created_date,
      insight_reports.c.commit_id)
