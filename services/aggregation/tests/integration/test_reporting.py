"""Not reported is not zero: which regions reported a domain for a period, closing and
reopening months, and the reporting rates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from aggregation.indicators.models import IndicatorValues
from aggregation.indicators.query import parse_values_query
from aggregation.indicators.reporting import ReportingRules
from aggregation.indicators.service import compute_values
from aiokafka.structs import ConsumerRecord
from shared.events import IntegrationEvent
from shared.events.base import reporting_period_id
from shared.events.inspection import ReportingPeriodUpdatedV1 as InspectionPeriod
from shared.events.job_market import ReportingPeriodUpdatedV1 as JobMarketPeriod
from shared.inbox import IdempotentConsumer
from shared.regions import registry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

RecordFactory = Callable[[IntegrationEvent], ConsumerRecord[bytes, bytes]]
RULES = ReportingRules(participating=frozenset({"32.16", "32.73", "12.75", "33.25"}))


async def _ask(sessions: async_sessionmaker[AsyncSession], **params: str) -> IndicatorValues:
    query = parse_values_query(
        indicator=[params["indicator"]],
        region=[params["region"]],
        period=[params["period"]],
        by=[params["by"]] if "by" in params else None,
        regions=registry(),
    )
    async with sessions() as session:
        return await compute_values(session, query=query, regions=registry(), rules=RULES)


def _closed(
    cls: Any, domain: str, region: str, period: str, at: datetime | None, revision: int = 1
) -> IntegrationEvent:
    event: IntegrationEvent = cls(
        id=reporting_period_id(domain, region, period),
        revision=revision,
        region_code=region,
        period=period,
        completed_at=at,
    )
    return event


async def test_a_silent_region_is_not_reported_and_a_closed_month_without_records_is_zero(
    consumer: IdempotentConsumer,
    record: RecordFactory,
    seeker: Callable[..., Any],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await consumer.apply(
        [
            record(seeker(region_code="32.16", registered_at=date(2026, 3, 2))),
            # Bandung closes March having registered nobody.
            record(
                _closed(
                    JobMarketPeriod,
                    "job_market",
                    "32.73",
                    "2026-03",
                    datetime(2026, 4, 2, tzinfo=UTC),
                )
            ),
        ]
    )
    answer = await _ask(
        sessions,
        indicator="job_seekers_registered",
        region="32.16,32.73,12.75,32",
        period="2026-03",
    )
    assert [(v.region_code, v.value, v.status) for v in answer.values] == [
        ("32.16", 1, "reported"),
        ("32.73", 0, "reported"),
        ("12.75", None, "not_reported"),
        ("32", 1, "reported"),
    ]
    assert answer.as_of is not None

    # Reopened, Bandung's March is silent again.
    reopened = _closed(JobMarketPeriod, "job_market", "32.73", "2026-03", None, revision=2)
    await consumer.apply([record(reopened)])
    again = await _ask(
        sessions, indicator="job_seekers_registered", region="32.73", period="2026-03"
    )
    assert [(v.value, v.status) for v in again.values] == [(None, "not_reported")]


async def test_reporting_rates_count_reports_over_participating_regions_months_and_domains(
    consumer: IdempotentConsumer,
    record: RecordFactory,
    seeker: Callable[..., Any],
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    on_time = datetime(2026, 4, 10, tzinfo=UTC)  # within 15 days of 31 March
    late = datetime(2026, 5, 20, tzinfo=UTC)
    await consumer.apply(
        [
            record(seeker(region_code="32.16", registered_at=date(2026, 3, 2))),
            record(_closed(JobMarketPeriod, "job_market", "32.73", "2026-03", on_time)),
            record(_closed(JobMarketPeriod, "job_market", "32.16", "2026-03", late)),
            record(_closed(InspectionPeriod, "inspection", "12.75", "2026-03", on_time)),
        ]
    )
    by_domain = await _ask(
        sessions, indicator="reporting_rate", region="ID", period="2026-03", by="domain"
    )
    # Four participating regencies: Bekasi and Bandung reported the job market, Binjai inspection.
    assert {v.dimensions["domain"]: v.value for v in by_domain.values} == {
        "job_market": 2 / 4,
        "training": 0,
        "inspection": 1 / 4,
        "social_security": 0,
        "industrial_relations": 0,
    }
    # Without by=domain: every domain's reports, 4 regencies x 5 domains expected.
    overall = await _ask(sessions, indicator="reporting_rate", region="ID", period="2026-03")
    assert overall.values[0].value == 3 / 20
    timely = await _ask(
        sessions, indicator="reporting_rate_on_time", region="32", period="2026-03", by="domain"
    )
    # West Java holds Bekasi and Bandung: Bandung closed on time, Bekasi late.
    assert {v.dimensions["domain"]: v.value for v in timely.values}["job_market"] == 1 / 2
    # A quarter expects three months of each regency.
    quarter = await _ask(
        sessions, indicator="reporting_rate", region="32.16", period="2026-Q1", by="domain"
    )
    assert {v.dimensions["domain"]: v.value for v in quarter.values}["job_market"] == 1 / 3
    # No participating regency in the area: no rate.
    none = await _ask(sessions, indicator="reporting_rate", region="11", period="2026-03")
    assert none.values[0].value is None
