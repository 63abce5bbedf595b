from sqlalchemy import BigInteger, Column, ForeignKey, Table

from cairn.models.base import Id, metadata

# How often each user was refused for going over the rate limit, summed over every process, and when last.
rate_limit_rejects = Table(
    "rate_limit_rejects", metadata,
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("reject_count", BigInteger, nullable=False),
    Column("last_reject_time", BigInteger, nullable=False, index=True),
)
