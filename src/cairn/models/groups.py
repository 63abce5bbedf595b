from sqlalchemy import BigInteger, Column, Index, String, Table, func

from cairn.models.base import Id, metadata

groups = Table(
    "groups", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False),
    Column("created_date", BigInteger, nullable=False),
)
# Group names are unique whatever their case, as in Bitbucket's internal directory.
Index("uq_groups_lower_name", func.lower(groups.c.name), unique=True)
