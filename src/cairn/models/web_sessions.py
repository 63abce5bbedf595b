from sqlalchemy import BigInteger, Column, ForeignKey, String, Table

from cairn.models.base import Id, metadata

# A signed-in browser: the cookie holds a 256-bit secret, the table only its SHA-256 (as for tokens), so a
# leaked table signs nobody in. Rows live in the database, not in a process: any cairn process serves any
# page, and signing out ends the session everywhere at once.
web_sessions = Table(
    "web_sessions", metadata,
    Column("secret_hash", String(64), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("created_date", BigInteger, nullable=False),
    Column("expires_date", BigInteger, nullable=False),
)
