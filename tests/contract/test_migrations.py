"""Each domain service's migrations create exactly the schema its code declares: its own tables
and the ones every service shares (outbox, audit trail, import jobs, reporting periods), column
types, nullability, keys and indexes included."""

from __future__ import annotations

import importlib

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from shared.db import create_engine
from shared.services import DOMAIN_SERVICES
from sinergi_local.testing import MigratedDb
from sqlalchemy.engine import Connection

SERVICES = tuple(service.name for service in DOMAIN_SERVICES)


@pytest.mark.parametrize("service", SERVICES)
async def test_the_migrated_schema_matches_the_table_definitions(
    migrated_db: MigratedDb, service: str
) -> None:
    # Every table: the service's own (schema imports each model) and the shared ones.
    metadata: sa.MetaData = importlib.import_module(f"{service}.schema").metadata

    def differences(conn: Connection) -> list[object]:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, metadata))

    engine = create_engine(await migrated_db(service), pool_size=1)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(differences)
    finally:
        await engine.dispose()
    assert diff == []
