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
from aggregation.cube.read import all_cells
from aggregation.projections.tables import metadata, reported
from aiokafka.structs import ConsumerRecord
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from shared.db import create_engine
from shared.events import IntegrationEvent
from shared.inbox import IdempotentConsumer
from shared.migrate import alembic_config, upgrade
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

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
    flows, exactly the province and nation cells this version keeps: the same cube (after
    0010 too, which moves the cells into year rows)."""
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

    url, engine = await _taken_back(migrated_db, "0008_industrial_relations")
    try:
        await _write_cells_as_before(engine, older)
        await asyncio.to_thread(upgrade, "aggregation", url)
        async with AsyncSession(engine) as session:
            migrated = await all_cells(session)
    finally:
        await engine.dispose()
    assert migrated == current


async def test_the_year_rows_step_keeps_every_cell_both_ways(
    migrated_db: Callable[[str], Awaitable[str]],
    consumer: IdempotentConsumer,
    record: RecordFactory,
    sessions: async_sessionmaker[AsyncSession],
    seeker: Any,
    membership: Any,
) -> None:
    """A cube of a cell per row (before 0010) becomes year rows holding exactly its cells, and
    going back gives the same cells again: months of two years, flows, a stock's +1 and -1."""
    events = [
        seeker(region_code="32.16", registered_at=date(2025, 12, 31), sex="F"),
        seeker(region_code="32.16", registered_at=date(2026, 1, 1), sex="M"),
        seeker(region_code="12.75", registered_at=date(2026, 11, 30)),
        membership(
            person_ref="p-1",
            region_code="32.73",
            started_at=date(2025, 6, 1),
            ended_at=date(2026, 2, 10),
        ),
    ]
    await consumer.apply([record(event) for event in events])
    current = await _cells(sessions)
    assert {key[4].year for key in current} == {2025, 2026}
    assert any(value < 0 for value in current.values()), "a stock's change that is negative"

    url, engine = await _taken_back(migrated_db, "0009_flow_cells_per_level")
    try:
        await _write_cells_as_before(engine, current)
        await asyncio.to_thread(upgrade, "aggregation", url)
        async with AsyncSession(engine) as session:
            migrated = await all_cells(session)
        await _downgrade(url, "0009_flow_cells_per_level")
        async with engine.connect() as conn:
            rows = await conn.execute(sa.select(_CELLS_BEFORE_0010))
            back = {(r.measure, r.grouping, tuple(r.dims), r.area, r.month): r.value for r in rows}
    finally:
        await engine.dispose()
    assert migrated == current
    assert back == current


async def test_the_reported_levels_step_marks_provinces_and_the_nation_as_this_version_does(
    migrated_db: Callable[[str], Awaitable[str]],
    consumer: IdempotentConsumer,
    record: RecordFactory,
    sessions: async_sessionmaker[AsyncSession],
    seeker: Any,
    membership: Any,
) -> None:
    """Regency marks kept before 0011 gain exactly the province and nation marks this
    version writes as it applies, and going back leaves the regency marks alone."""
    events = [
        seeker(region_code="32.16", registered_at=date(2026, 3, 2)),
        seeker(region_code="32.73", registered_at=date(2026, 3, 20)),
        seeker(region_code="12.75", registered_at=date(2026, 4, 1)),
        membership(person_ref="p-1", region_code="32.73", started_at=date(2026, 4, 20)),
    ]
    await consumer.apply([record(event) for event in events])
    async with sessions() as session:
        current = {tuple(row) for row in await session.execute(sa.select(reported))}
    regency = re.compile(r"^\d{2}\.\d{2}$")
    regencies = {mark for mark in current if regency.match(mark[1])}
    assert {mark[1] for mark in current - regencies} == {"32", "12", "ID"}

    url, engine = await _taken_back(migrated_db, "0010_cube_years")
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.insert(reported),
                [{"domain": d, "region_code": r, "month": m} for d, r, m in regencies],
            )
        await asyncio.to_thread(upgrade, "aggregation", url)
        async with engine.connect() as conn:
            migrated = {tuple(row) for row in await conn.execute(sa.select(reported))}
        await _downgrade(url, "0010_cube_years")
        async with engine.connect() as conn:
            back = {tuple(row) for row in await conn.execute(sa.select(reported))}
    finally:
        await engine.dispose()
    assert migrated == current
    assert back == regencies


async def _taken_back(
    migrated_db: Callable[[str], Awaitable[str]], revision: str
) -> tuple[str, AsyncEngine]:
    """A fresh aggregation database (at head) taken back to ``revision``: its URL and an
    engine on it."""
    url = await migrated_db("aggregation")
    await _downgrade(url, revision)
    return url, create_engine(url, pool_size=1)


async def _downgrade(url: str, revision: str) -> None:
    await asyncio.to_thread(command.downgrade, alembic_config("aggregation", url), revision)


_CELLS_BEFORE_0010 = sa.table(
    "cube_cells",
    sa.column("measure", sa.Text),
    sa.column("grouping", sa.Text),
    sa.column("area", sa.Text),
    sa.column("month", sa.Date),
    sa.column("dims", ARRAY(sa.Text)),
    sa.column("value", sa.BigInteger),
)
"""The cube's table before 0010: a row per cell."""


async def _write_cells_as_before(engine: AsyncEngine, cells: dict[tuple[Any, ...], int]) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            sa.insert(_CELLS_BEFORE_0010),
            [
                {"measure": m, "grouping": g, "dims": list(d), "area": a, "month": mo, "value": v}
                for (m, g, d, a, mo), v in cells.items()
            ],
        )


async def _cells(sessions: async_sessionmaker[AsyncSession]) -> dict[tuple[Any, ...], int]:
    async with sessions() as session:
        return await all_cells(session)
