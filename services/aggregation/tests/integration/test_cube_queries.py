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
from shared.auth import Principal
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


async def _ask_as(
    sessions: async_sessionmaker[AsyncSession], principal: Principal | None, **params: str
) -> IndicatorValues:
    query = parse_values_query(
        indicator=[params["indicator"]],
        region=[params["region"]],
        period=[params["period"]],
        by=[params["by"]] if "by" in params else None,
        regions=registry(),
    )
    async with sessions() as session:
        return await compute_values(session, query=query, regions=registry(), principal=principal)


async def test_small_counts_are_suppressed_so_that_no_subtraction_recovers_them(
    consumer: IdempotentConsumer,
    record: RecordFactory,
    accident: Callable[..., Any],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    deaths = {"32.16": ("F", "F", "M"), "32.73": ("M",) * 7, "32.13": ("F",) * 6}
    await consumer.apply(
        [
            record(
                accident(
                    region_code=regency,
                    outcome="death",
                    occurred_at=date(2026, 3, 6),
                    victims=[
                        {"person_ref": f"{regency}-{n}", "sex": sex, "birth_year": 2008}
                        for n, sex in enumerate(sexes)
                    ],
                )
            )
            for regency, sexes in deaths.items()
        ]
    )
    binjai = Principal(
        client_id="disnaker-1275",
        scopes=frozenset({"indicators:read"}),
        regions=frozenset({"12.75"}),
    )
    ministry = Principal(
        client_id="kemnaker",
        scopes=frozenset({"indicators:read", "indicators:read-exact"}),
        regions=frozenset(),
    )
    published: dict[tuple[str, tuple[str, ...]], int | None] = {}
    for region in ("32.*", "*", "ID"):
        for by in (None, "sex"):
            params = {"indicator": "accident_deaths", "region": region, "period": "2026-03"}
            answer = await _ask_as(sessions, binjai, **params, **({"by": by} if by else {}))
            for v in answer.values:
                key = (v.region_code, tuple(v.dimensions.values()))
                # A region that reported nothing is known to have nothing to count.
                published[key] = 0 if v.status == "not_reported" else v.value
                assert (v.value is None) == (v.status != "reported")

    assert published[("32.16", ())] is None  # 3 deaths: a small count
    assert published[("32.16", ("F",))] is None
    # Secondary suppression: subtraction along the hierarchy and the sexes recovers nothing.
    recovered = _by_subtraction(published)
    assert not any(key in recovered for key, value in published.items() if value is None)

    # The ministry reads everything exactly; each region its own regencies.
    exact = await _ask_as(
        sessions, ministry, indicator="accident_deaths", region="32.16", period="2026-03"
    )
    assert [(v.value, v.status) for v in exact.values] == [(3, "reported")]
    own = Principal(
        client_id="disnaker-3216",
        scopes=frozenset({"indicators:read"}),
        regions=frozenset({"32.16"}),
    )
    mine = await _ask_as(
        sessions, own, indicator="accident_deaths", region="32.16", period="2026-03", by="sex"
    )
    assert [v.value for v in mine.values] == [1, 2]


def _by_subtraction(
    published: dict[tuple[str, tuple[str, ...]], int | None],
) -> dict[tuple[str, tuple[str, ...]], int]:
    """What an attacker learns from the published cells by solving, again and again, every
    sum (province = its regencies, nation = its provinces, total = its sexes) that has one
    unknown left."""
    known = {key: value for key, value in published.items() if value is not None}
    regions = registry()
    sums: list[tuple[tuple[str, tuple[str, ...]], list[tuple[str, tuple[str, ...]]]]] = []
    areas = {area for area, _ in published}
    for area in areas:
        for dims in ((), ("M",), ("F",)):
            children = (
                sorted(regions.provinces)
                if area == "ID"
                else regions.regencies_in(area)
                if area in regions.provinces
                else []
            )
            if children:
                sums.append(((area, dims), [(child, dims) for child in children]))
        sums.append(((area, ()), [(area, ("M",)), (area, ("F",))]))
    progress = True
    while progress:
        progress = False
        for total, parts in sums:
            cells = [total, *parts]
            unknown = [cell for cell in cells if cell not in known]
            if len(unknown) != 1 or any(p not in published for p in parts):
                continue
            (cell,) = unknown
            rest = sum(known[p] for p in parts if p in known)
            known[cell] = rest - 0 if cell == total else known[total] - rest
            progress = True
    return known
