from sqlalchemy import BigInteger, Column, ForeignKey, SmallInteger, String, Table

from cairn.models.base import Id, metadata

# Access tokens (personal ones, and project and repository ones owned by their service user); the secret
# is kept only as its SHA-256 (it is 256 random bits, so a slow hash adds nothing and a fast one keeps
# lookups to one index probe).
access_tokens = Table(
    "access_tokens", metadata,
    Column("id", String(12), primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", String(255), nullable=False),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("project_permission", SmallInteger, nullable=False),
    Column("repository_permission", SmallInteger, nullable=False),
    Column("expiry_days", SmallInteger, nullable=True),
    Column("expires_date", BigInteger, nullable=True),
    Column("created_date", BigInteger, nullable=False),
    # When the token last passed a full check: written in batches (cairn.auth.credentials), never per request.
    Column("last_authenticated", BigInteger, nullable=True),
    # Set for a project or a repository token: where it was made (and what it is listed under).
    Column("project_id", Id, ForeignKey("projects.id", ondelete="CASCADE"), nullable=True, index=True),
    Column("repository_id", Id, ForeignKey("repositories.id", ondelete="CASCADE"), nullable=True, index=True),
)
