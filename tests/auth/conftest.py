"""Fixtures for the auth tests."""

import pytest
from sqlalchemy import text


@pytest.fixture
def db_write(backend):
    """Run a write statement against the test database and commit it: db_write("UPDATE ...", {...})."""
    async def run(sql: str, params: dict | None = None) -> None:
        async with backend.app.state.engine.begin() as conn:
            await conn.execute(text(sql), params or {})
    return lambda sql, params=None: backend.portal.call(run, sql, params)
