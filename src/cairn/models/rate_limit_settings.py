from sqlalchemy import Boolean, Column, Integer, Table

from cairn.models.base import metadata

# The instance's rate limiting (one row, id 1, once an administrator has set it; absent: off, Bitbucket's
# default bucket of 60 requests refilled at 5 a second).
rate_limit_settings = Table(
    "rate_limit_settings", metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("enabled", Boolean, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("fill_rate", Integer, nullable=False),
)
