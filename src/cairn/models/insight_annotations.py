from sqlalchemy import Column, ForeignKey, Index, Integer, String, Table, Text

from cairn.models.base import Id, metadata

# Annotations of a report, in the order they were stored (id). An external id names one annotation
# within its report (decision D21); annotations without one are never de-duplicated.
insight_annotations = Table(
    "insight_annotations", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("report_id", Id, ForeignKey("insight_reports.id", ondelete="CASCADE"), nullable=False),
    Column("external_id", String(450), nullable=True),
    Column("message", Text, nullable=False),
    Column("severity", String(6), nullable=False),
    Column("type", String(16), nullable=True),
    Column("path", Text, nullable=True),
    Column("line", Integer, nullable=False),
    Column("link", Text, nullable=True),
)

_named = insight_annotations.c.external_id.isnot(None)
Index("uq_insight_annotations_report_external_id", insight_annotations.c.report_id,
      insight_annotations.c.external_id, unique=True, postgresql_where=_named, sqlite_where=_named)
Index("ix_insight_annotations_report_id", insight_annotations.c.report_id)
