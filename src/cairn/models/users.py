from sqlalchemy import BigInteger, Boolean, Column, String, Table, false

from cairn.models.base import Id, metadata

users = Table(
    "users", metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(255), nullable=False, unique=True),
    Column("slug", String(255), nullable=False, unique=True),
    Column("display_name", String(255), nullable=False),
    Column("email", String(255), nullable=False),
    Column("password_hash", String(255), nullable=False),
    Column("active", Boolean, nullable=False, default=True),
    Column("created_date", BigInteger, nullable=False),
    # A project or repository access token's own user (Bitbucket's "service user"): no password, no sign-in,
    # listed nowhere; it exists so the token acts through ordinary grants and shows as itself (X-AUSERNAME).
    Column("service", Boolean, nullable=False, default=False, server_default=false()),
)
