"""The hand-written migrations create exactly the tables the code uses, and bring an older
cube to the layout this version keeps."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import sqlalchemy as sa
from aggregation.cube.cells import Stock
from aggregation.cube.measures import CUBE_MEASURES
from aggregation.projections.tables import cube_cells, metadata
from aiokafka.structs import ConsumerRecord
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from shared.db import create_engine
from shared.events import IntegrationEvent
from shared.inbox import IdempotentConsumer
from shared.migrate import alembic_config, upgrade
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

RecordFactory = Callable[[IntegrationEvent], ConsumerRecord[bytes, bytes]]


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


async def test_the_flow_cells_step_gives_an_older_cube_the_cells_this_version_keeps(
    migrated_db: Callable[[str], Awaitable[str]],
    consumer: IdempotentConsumer,
    record: RecordFactory,
    sessions: async_sessionmaker[AsyncSession],
    seeker: Any,
    placement: Any,
    membership: Any,
) -> None:
    """A cube built before 0009 (flows per regency only; stocks at every level) gains, for its
    flows, exactly the province and nation cells this version keeps: the same cube."""
    events = [
        seeker(region_code="32.16", registered_at=date(2026, 3, 2), sex="F"),
        seeker(region_code="32.73", registered_at=date(2026, 3, 20), sex="M"),
        seeker(region_code="12.75", registered_at=date(2026, 4, 1)),
        placement(region_code="32.16", placed_at=date(2026, 4, 9), person_ref="p-1"),
        membership(person_ref="p-1", region_code="32.73", started_at=date(2026, 4, 20)),
    ]
    await consumer.apply([record(event) for event in events])
    current = await _cells(sessions)
    flows = {m.key for m in CUBE_MEASURES if not isinstance(m, Stock)}
    regency = re.compile(r"^\d{2}\.\d{2}$")
    older = {
        key: value for key, value in current.items() if key[0] not in flows or regency.match(key[3])
    }
    assert len(older) < len(current), "the flows had province and nation cells to drop"

    url = await migrated_db("aggregation")  # at head: taken back to before the step
    config = alembic_config("aggregation", url)
    await asyncio.to_thread(command.downgrade, config, "0008_industrial_relations")
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.insert(cube_cells),
                [
                    {
                        "measure": m,
                        "grouping": g,
                        "dims": list(d),
                        "area": a,
                        "month": mo,
                        "value": v,
                    }
                    for (m, g, d, a, mo), v in older.items()
                ],
            )
        await asyncio.to_thread(upgrade, "aggregation", url)
        async with engine.connect() as conn:
            rows = await conn.execute(sa.select(cube_cells))
            migrated = {
                (r.measure, r.grouping, tuple(r.dims), r.area, r.month): r.value for r in rows
            }
    finally:
        await engine.dispose()
    assert migrated == current


async def _cells(sessions: async_sessionmaker[AsyncSession]) -> dict[tuple[Any, ...], int]:
    async with sessions() as session:
        rows = await session.execute(sa.select(cube_cells).where(cube_cells.c.value != 0))
        return {(r.measure, r.grouping, tuple(r.dims), r.area, r.month): r.value for r in rows}
