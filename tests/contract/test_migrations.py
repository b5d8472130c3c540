"""The tables every domain service shares (outbox, audit trail, import jobs) are created by each
service's hand-written migrations exactly as the shared code declares them."""

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
SHARED_TABLES = {
    "outbox",
    "audit_log",
    "import_jobs",
    "import_records",
    "import_conflicts",
    "reporting_periods",
}


def _shared(obj: object, name: str | None, kind: str, reflected: bool, other: object) -> bool:
    table = getattr(obj, "table", obj) if kind != "table" else obj
    return getattr(table, "name", name) in SHARED_TABLES


@pytest.mark.parametrize("service", SERVICES)
async def test_the_migrated_schema_matches_the_table_definitions(
    migrated_db: MigratedDb, service: str
) -> None:
    metadata: sa.MetaData = importlib.import_module(f"{service}.db").metadata

    def differences(conn: Connection) -> list[object]:
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "include_object": _shared}
        )
        return list(compare_metadata(context, metadata))

    engine = create_engine(await migrated_db(service), pool_size=1)
    try:
        async with engine.connect() as conn:
            diff = await conn.run_sync(differences)
    finally:
        await engine.dispose()
    assert diff == []
