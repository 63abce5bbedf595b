"""The test database is built by the migrations; the models must not drift from them."""

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from cairn.db import migrate
from cairn.models import metadata


def test_models_match_migrations(api):
    async def diff():
        async with api.client.app.state.engine.connect() as conn:
            return await conn.run_sync(
                lambda sync: compare_metadata(MigrationContext.configure(sync, opts={"compare_type": True}),
                                              metadata))
    assert api.client.portal.call(diff) == []


def test_database_is_at_head_and_upgrade_is_idempotent(api):
    engine = api.client.app.state.engine
    assert api.client.portal.call(migrate.is_current, engine)
    api.client.portal.call(migrate.upgrade, engine)  # a second start (or `cairn db upgrade`) changes nothing
    assert api.client.portal.call(migrate.is_current, engine)
