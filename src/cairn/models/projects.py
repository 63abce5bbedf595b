from sqlalchemy import BigInteger, Boolean, Column, String, Table, Text

from cairn.models.base import Id, metadata

projects = Table(
    "projects", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("key", String(128), nullable=False, unique=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("description", Text, nullable=True),
    Column("public", Boolean, nullable=False, default=False),
    Column("created_date", BigInteger, nullable=False),
)
