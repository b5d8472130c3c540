"""``DriverSelect`` and ``driver_rows``: a select compiled once, its rows fetched by asyncpg
itself in the session's transaction, on a real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date

import pytest
import sqlalchemy as sa
from shared.db import DriverSelect, create_engine, driver_rows, session_factory
from sinergi_local.postgres import PostgresServer
from sinergi_local.testing import MigratedDb
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.ext.asyncio import AsyncEngine

metadata = sa.MetaData()
cells = sa.Table(
    "driver_rows_cells",
    metadata,
    sa.Column("area", sa.Text, primary_key=True),
    sa.Column("month", sa.Date, primary_key=True),
    sa.Column("dims", ARRAY(sa.Text), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)
ROWS = [
    {"area": "32.16", "month": date(2026, 1, 1), "dims": [], "value": 7},
    {"area": "32.16", "month": date(2026, 2, 1), "dims": ["F", "20-24"], "value": 3},
    {"area": "32.73", "month": date(2026, 1, 1), "dims": ["M"], "value": 5},
    {"area": "12.75", "month": date(2026, 1, 1), "dims": [], "value": 9},
]


@pytest.fixture
async def engine(migrated_db: MigratedDb, postgres: PostgresServer) -> AsyncIterator[AsyncEngine]:
    """A fresh database with the table above, filled with ``ROWS``."""
    database = make_url(await migrated_db("aggregation")).database
    engine = create_engine(postgres.url_for(str(database)), pool_size=4)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
        await conn.execute(sa.insert(cells), ROWS)
    yield engine
    await engine.dispose()


c = cells.c
ASKED = (
    sa.select(c.area, c.month, c.dims, c.value)
    .where(
        c.area == sa.func.any(sa.bindparam("areas", type_=ARRAY(sa.Text))),
        c.month >= sa.bindparam("first", type_=sa.Date),
        c.value > 0,
    )
    .order_by(c.area, c.month)
)
QUERY = DriverSelect(ASKED)


async def test_the_rows_are_those_sqlalchemy_reads_with_arrays_as_lists(
    engine: AsyncEngine,
) -> None:
    sessions = session_factory(engine)
    params = {"areas": ["32.16", "32.73"], "first": date(2026, 1, 1)}
    async with sessions() as session, session.begin():
        through_sqlalchemy = [tuple(row) for row in await session.execute(ASKED, params)]
        direct = [tuple(row) for row in await driver_rows(session, QUERY, **params)]
        # Compiled once, run again with other values.
        later = await driver_rows(session, QUERY, areas=["32.16"], first=date(2026, 2, 1))
    assert direct == through_sqlalchemy
    assert direct == [
        ("32.16", date(2026, 1, 1), [], 7),
        ("32.16", date(2026, 2, 1), ["F", "20-24"], 3),
        ("32.73", date(2026, 1, 1), ["M"], 5),
    ]
    assert [tuple(row) for row in later] == [("32.16", date(2026, 2, 1), ["F", "20-24"], 3)]


async def test_a_missing_value_is_refused_before_the_database_is_asked(
    engine: AsyncEngine,
) -> None:
    sessions = session_factory(engine)
    async with sessions() as session, session.begin():
        with pytest.raises(InvalidRequestError, match="first"):
            await driver_rows(session, QUERY, areas=["32.16"])


async def test_a_first_read_is_already_in_the_sessions_snapshot(engine: AsyncEngine) -> None:
    """The driver's transaction begins lazily at the session's first statement: rows
    fetched before any other statement still come from the session's REPEATABLE READ
    snapshot, so two reads of one answer never see different commits."""
    sessions = session_factory(engine)
    params = {"areas": ["32.16"], "first": date(2026, 1, 1)}
    async with sessions() as session, session.begin():
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        before = await driver_rows(session, QUERY, **params)
        async with engine.begin() as other:
            await other.execute(
                sa.insert(cells).values(area="32.16", month=date(2026, 3, 1), dims=[], value=1)
            )
        after = await driver_rows(session, QUERY, **params)
    assert len(before) == 2
    assert after == before
    async with sessions() as session, session.begin():
        assert len(await driver_rows(session, QUERY, **params)) == 3


def test_an_expanding_in_is_refused() -> None:
    with pytest.raises(ValueError, match="bind a list as an array"):
        DriverSelect(sa.select(c.area).where(c.area.in_(["32.16", "32.73"])))
