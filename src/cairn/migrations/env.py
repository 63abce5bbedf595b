"""Alembic environment: runs on the connection cairn hands it (see cairn.db.migrate)."""

from alembic import context

from cairn.models import metadata

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # pragma: no cover - cairn always passes its own connection
    raise RuntimeError("run migrations through `cairn db upgrade`")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True,
                  compare_type=True)
with context.begin_transaction():
    context.run_migrations()
