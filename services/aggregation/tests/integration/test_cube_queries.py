"""What analysts ask of the cube: breakdowns, quarters and years, every regency of a province
and every province, each answered from events applied by the service's own consumer."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from aggregation.indicators.models import IndicatorValues
from aggregation.indicators.query import parse_values_query
from aggregation.indicators.service import compute_values
from aiokafka.structs import ConsumerRecord
from shared.events import IntegrationEvent
from shared.inbox import IdempotentConsumer
from shared.regions import registry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

RecordFactory = Callable[[IntegrationEvent], ConsumerRecord[bytes, bytes]]


async def _ask(sessions: async_sessionmaker[AsyncSession], **params: str) -> IndicatorValues:
    query = parse_values_query(
        indicator=[params["indicator"]],
        region=[params.get("region", "ID")],
        period=[params["period"]],
        by=[params["by"]] if "by" in params else None,
        regions=registry(),
    )
    async with sessions() as session:
        return await compute_values(session, query=query, regions=registry())


@pytest.fixture
async def seekers(
    consumer: IdempotentConsumer, record: RecordFactory, seeker: Callable[..., Any]
) -> None:
    """Job seekers of March and April 2026 in Bekasi and Bandung, of both sexes and ages."""
    people = [
        ("32.16", "F", 2004, date(2026, 3, 2)),  # 22: 20-24
        ("32.16", "F", 2004, date(2026, 3, 9)),
        ("32.16", "M", 1990, date(2026, 3, 9)),  # 36: 35-39
        ("32.73", "F", 1960, date(2026, 4, 1)),  # 66: 60+
        ("32.73", "M", 2004, date(2026, 4, 30)),
    ]
    await consumer.apply(
        [
            record(seeker(region_code=r, sex=s, birth_year=b, registered_at=d))
            for r, s, b, d in people
        ]
    )


async def test_a_breakdown_answers_every_value_of_its_dimensions_and_sums_to_the_total(
    seekers: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    by_sex = await _ask(
        sessions, indicator="job_seekers_registered", region="32", period="2026-03", by="sex"
    )
    assert [(v.dimensions, v.value) for v in by_sex.values] == [
        ({"sex": "M"}, 1),
        ({"sex": "F"}, 2),
    ]
    pairs = await _ask(
        sessions,
        indicator="job_seekers_registered",
        region="32.73",
        period="2026-04",
        by="sex,age_band",
    )
    assert len(pairs.values) == 2 * 11  # every sex with every age band, 0 where none
    found = {(v.dimensions["sex"], v.dimensions["age_band"]): v.value for v in pairs.values}
    assert found[("F", "60+")] == 1 and found[("M", "20-24")] == 1
    total = await _ask(
        sessions, indicator="job_seekers_registered", region="32.73", period="2026-04"
    )
    assert sum(v.value or 0 for v in pairs.values) == total.values[0].value == 2


async def test_a_quarter_sums_a_flow_and_a_ratio_is_formed_from_the_quarters_parts(
    seekers: None,
    consumer: IdempotentConsumer,
    record: RecordFactory,
    placement: Callable[..., Any],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await consumer.apply(
        [
            record(placement(placed_at=date(2026, 3, 20))),
            record(placement(placed_at=date(2026, 5, 20))),
        ]
    )
    quarter = await _ask(sessions, indicator="job_seekers_registered", period="2026-Q1..2026-Q2")
    assert [(v.period, v.value) for v in quarter.values] == [("2026-Q1", 3), ("2026-Q2", 2)]
    year = await _ask(sessions, indicator="placement_rate", period="2026")
    assert [(v.period, v.value) for v in year.values] == [("2026", 2 / 5)]
    # Not the mean of the quarters' rates (1/3 and 1/2).
    rates = await _ask(sessions, indicator="placement_rate", period="2026-Q1,2026-Q2")
    assert [v.value for v in rates.values] == [1 / 3, 1 / 2]


async def test_a_stock_takes_the_last_month_of_the_period(
    consumer: IdempotentConsumer,
    record: RecordFactory,
    membership: Callable[..., Any],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await consumer.apply(
        [
            record(membership(started_at=date(2026, 1, 5), ended_at=date(2026, 2, 10))),
            record(membership(started_at=date(2026, 2, 1))),
            record(membership(started_at=date(2026, 3, 31))),
        ]
    )
    months = await _ask(sessions, indicator="ss_active_members", period="2026-01..2026-03")
    assert [v.value for v in months.values] == [1, 1, 2]
    quarter = await _ask(sessions, indicator="ss_active_members", period="2026-Q1")
    assert quarter.values[0].value == 2


async def test_every_regency_of_a_province_and_every_province_in_one_parameter(
    seekers: None, sessions: async_sessionmaker[AsyncSession]
) -> None:
    regencies = await _ask(
        sessions, indicator="job_seekers_registered", region="32.*", period="2026-03..2026-04"
    )
    codes = {v.region_code for v in regencies.values}
    assert codes == set(registry().regencies_in("32"))
    assert {(v.region_code, v.period): v.value for v in regencies.values if v.value} == {
        ("32.16", "2026-03"): 3,
        ("32.73", "2026-04"): 2,
    }
    provinces = await _ask(sessions, indicator="job_seekers_registered", region="*", period="2026")
    assert [v.region_code for v in provinces.values] == sorted(registry().provinces)
    assert {v.region_code: v.value for v in provinces.values if v.value} == {"32": 5}
    assert next(v for v in provinces.values if v.region_code == "32").region_name == "Jawa Barat"
