"""``create_engine``: a pooled connection the server closed is replaced when taken from the
pool, so the next request after a terminated backend (or a restart) is served, not failed."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from shared.db import create_engine
from sinergi_local.postgres import PostgresServer
from sinergi_local.testing import MigratedDb, until
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine


@pytest.fixture
async def database(migrated_db: MigratedDb, postgres: PostgresServer) -> str:
    return str(make_url(await migrated_db("aggregation")).database)


@pytest.fixture
async def engine(database: str, postgres: PostgresServer) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(postgres.url_for(database), pool_size=1)
    yield engine
    await engine.dispose()


async def _backend(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(sa.text("SELECT pg_backend_pid()")))


async def test_a_pooled_connection_the_server_closed_is_replaced_at_checkout(
    engine: AsyncEngine, database: str, postgres: PostgresServer
) -> None:
    first = await _backend(engine)
    assert await _backend(engine) == first  # the pool keeps its one connection

    admin = create_engine(postgres.url_for(database), pool_size=1)
    try:
        async with admin.connect() as conn:
            assert await conn.scalar(sa.text("SELECT pg_terminate_backend(:pid)"), {"pid": first})

        async def gone() -> bool:
            async with admin.connect() as conn:
                alive = await conn.scalar(
                    sa.text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                    {"pid": first},
                )
            return alive == 0

        await until(gone, "the terminated backend to leave")
    finally:
        await admin.dispose()

    # The next checkout finds the pooled connection closed and opens another: no error.
    second = await _backend(engine)
    assert second != first
