"""The hand-written migration creates exactly the tables the code uses."""

from __future__ import annotations

from aggregation.projections.tables import metadata
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from shared.db import create_engine
from sqlalchemy.engine import Connection


async def test_the_migrated_schema_matches_the_table_definitions(aggregation_db: str) -> None:
    def differences(conn: Connection) -> list[object]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    engine = create_engine(aggregation_db, pool_size=1)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(differences)
    finally:
        await engine.dispose()
    assert diff == []
