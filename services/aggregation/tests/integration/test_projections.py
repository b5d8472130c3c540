"""Events applied through the idempotent consumer, checked as exact indicator values.

The consumer's ``apply`` is what the Kafka loop calls for each batch; calling it with
hand-built records exercises the handlers, the inbox and the projections on the real database
without a broker.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime

import sqlalchemy as sa
from aggregation.indicators.query import parse_values_query
from aggregation.indicators.service import compute_values
from aggregation.projections.tables import inbox, job_seekers
from aiokafka.structs import ConsumerRecord
from shared.events import CloudEvent
from shared.events.job_market import (
    JobSeekerState,
    JobSeekerWithdrawnV1,
    PlacementState,
    VacancyState,
)
from shared.inbox import IdempotentConsumer
from shared.regions import registry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

# The factories and the consumer come from conftest.py fixtures.
SeekerFactory = Callable[..., JobSeekerState]
VacancyFactory = Callable[..., VacancyState]
PlacementFactory = Callable[..., PlacementState]
RecordFactory = Callable[..., ConsumerRecord[bytes, bytes]]
Sessions = async_sessionmaker[AsyncSession]
Values = dict[tuple[str, str, str], int | float | None]


async def values(
    sessions: Sessions, indicators: list[str], regions: list[str], periods: list[str]
) -> Values:
    query = parse_values_query(
        indicator=indicators, region=regions, period=periods, regions=registry()
    )
    async with sessions() as session:
        # Every region as if it reported: these tests check the arithmetic; "not reported"
        # apart from zero has tests of its own (test_reporting).
        found = await compute_values(session, query=query, regions=registry(), completeness=False)
    return {(v.indicator, v.region_code, v.period): v.value for v in found.values}


async def test_indicator_values_for_a_regency_its_province_and_the_nation(
    consumer: IdempotentConsumer,
    sessions: Sessions,
    seeker: SeekerFactory,
    vacancy: VacancyFactory,
    placement: PlacementFactory,
    record: RecordFactory,
) -> None:
    march, april = date(2026, 3, 10), date(2026, 4, 1)
    events = [
        *(seeker(region_code="32.16", registered_at=march) for _ in range(3)),
        seeker(region_code="32.16", registered_at=april),
        *(seeker(region_code="32.73", registered_at=march) for _ in range(2)),
        seeker(region_code="33.25", registered_at=date(2026, 3, 31)),
        seeker(region_code="32.16", registered_at=date(2026, 2, 28)),
        vacancy(region_code="32.16", posted_at=march, positions=5),
        vacancy(region_code="32.16", posted_at=march, positions=3, status="closed"),
        vacancy(region_code="32.73", posted_at=march, positions=10),
        vacancy(region_code="33.25", posted_at=april, positions=4),
        placement(region_code="32.16", placed_at=march),
        placement(region_code="32.73", placed_at=march, mechanism="AKAD"),
        placement(region_code="32.73", placed_at=april, mechanism="AKAN"),
    ]
    await consumer.apply([record(e) for e in events])

    got = await values(
        sessions,
        [
            "job_seekers_registered",
            "vacancies_posted",
            "positions_offered",
            "placements",
            "placement_rate",
        ],
        ["32.16", "32", "ID", "33.25", "12.75"],
        ["2026-03", "2026-04"],
    )
    expected: Values = {}
    # indicator: {region: (March, April)}
    table: dict[str, dict[str, tuple[int | float | None, int | float | None]]] = {
        "job_seekers_registered": {
            "32.16": (3, 1),
            "32": (5, 1),
            "ID": (6, 1),
            "33.25": (1, 0),
            "12.75": (0, 0),
        },
        "vacancies_posted": {
            "32.16": (2, 0),
            "32": (3, 0),
            "ID": (3, 1),
            "33.25": (0, 1),
            "12.75": (0, 0),
        },
        "positions_offered": {
            "32.16": (8, 0),
            "32": (18, 0),
            "ID": (18, 4),
            "33.25": (0, 4),
            "12.75": (0, 0),
        },
        "placements": {
            "32.16": (1, 0),
            "32": (2, 1),
            "ID": (2, 1),
            "33.25": (0, 0),
            "12.75": (0, 0),
        },
        "placement_rate": {
            "32.16": (1 / 3, 0 / 1),
            "32": (2 / 5, 1 / 1),
            "ID": (2 / 6, 1 / 1),
            "33.25": (0 / 1, None),
            "12.75": (None, None),
        },
    }
    for indicator, by_region in table.items():
        for region, (in_march, in_april) in by_region.items():
            expected[(indicator, region, "2026-03")] = in_march
            expected[(indicator, region, "2026-04")] = in_april
    assert got == expected


async def test_a_correction_of_region_and_month_moves_the_count(
    consumer: IdempotentConsumer,
    sessions: Sessions,
    seeker: SeekerFactory,
    record: RecordFactory,
) -> None:
    first = seeker(region_code="32.16", registered_at=date(2026, 3, 5))
    await consumer.apply([record(first)])
    corrected = seeker(
        id=first.id,
        revision=2,
        person_ref=first.person_ref,
        region_code="32.73",
        registered_at=date(2026, 5, 5),
    )
    await consumer.apply([record(corrected)])

    got = await values(
        sessions, ["job_seekers_registered"], ["32.16", "32.73", "32", "ID"], ["2026-03", "2026-05"]
    )
    assert got == {
        ("job_seekers_registered", "32.16", "2026-03"): 0,
        ("job_seekers_registered", "32.16", "2026-05"): 0,
        ("job_seekers_registered", "32.73", "2026-03"): 0,
        ("job_seekers_registered", "32.73", "2026-05"): 1,
        ("job_seekers_registered", "32", "2026-03"): 0,
        ("job_seekers_registered", "32", "2026-05"): 1,
        ("job_seekers_registered", "ID", "2026-03"): 0,
        ("job_seekers_registered", "ID", "2026-05"): 1,
    }


async def test_a_status_change_keeps_one_count(
    consumer: IdempotentConsumer,
    sessions: Sessions,
    seeker: SeekerFactory,
    record: RecordFactory,
) -> None:
    first = seeker(region_code="32.16", registered_at=date(2026, 3, 5))
    placed = seeker(**(first.model_dump() | {"revision": 2, "status": "placed"}))
    await consumer.apply([record(first), record(placed)])

    got = await values(sessions, ["job_seekers_registered"], ["32.16"], ["2026-03"])
    assert got == {("job_seekers_registered", "32.16", "2026-03"): 1}
    async with sessions() as session:
        status = await session.scalar(sa.select(job_seekers.c.status))
    assert status == "placed"


async def test_a_vacancy_correction_replaces_its_positions(
    consumer: IdempotentConsumer,
    sessions: Sessions,
    vacancy: VacancyFactory,
    record: RecordFactory,
) -> None:
    first = vacancy(region_code="32.16", positions=5)
    await consumer.apply([record(first)])
    await consumer.apply(
        [record(vacancy(**(first.model_dump() | {"revision": 2, "positions": 7})))]
    )

    got = await values(sessions, ["vacancies_posted", "positions_offered"], ["32.16"], ["2026-03"])
    assert got == {
        ("vacancies_posted", "32.16", "2026-03"): 1,
        ("positions_offered", "32.16", "2026-03"): 7,
    }


async def test_a_stale_snapshot_arriving_after_a_newer_one_changes_nothing(
    consumer: IdempotentConsumer,
    sessions: Sessions,
    seeker: SeekerFactory,
    placement: PlacementFactory,
    record: RecordFactory,
) -> None:
    original = seeker(region_code="32.16", registered_at=date(2026, 3, 5))
    newer = seeker(**(original.model_dump() | {"revision": 3, "region_code": "32.73"}))
    older = seeker(**(original.model_dump() | {"revision": 2, "region_code": "33.25"}))
    placed = placement(region_code="32.16", placed_at=date(2026, 3, 9), revision=2)
    placed_stale = placement(
        **(placed.model_dump() | {"revision": 1, "placed_at": date(2026, 4, 1)})
    )
    # Newest first, then the stale ones (each a distinct event, so the inbox lets them through).
    await consumer.apply([record(newer), record(placed)])
    await consumer.apply([record(original), record(older), record(placed_stale)])

    got = await values(
        sessions,
        ["job_seekers_registered", "placements"],
        ["32.16", "32.73", "33.25"],
        ["2026-03", "2026-04"],
    )
    assert {k: v for k, v in got.items() if v} == {
        ("job_seekers_registered", "32.73", "2026-03"): 1,
        ("placements", "32.16", "2026-03"): 1,
    }


async def test_the_same_event_delivered_twice_counts_once(
    consumer: IdempotentConsumer,
    sessions: Sessions,
    seeker: SeekerFactory,
    record: RecordFactory,
) -> None:
    event = seeker(region_code="32.16", registered_at=date(2026, 3, 5)).to_cloudevent()
    # Redelivered in the same batch and again in a later batch (e.g. after a crash before the
    # offset commit).
    await consumer.apply([record(event), record(event)])
    await consumer.apply([record(event)])

    got = await values(sessions, ["job_seekers_registered"], ["32.16", "ID"], ["2026-03"])
    assert got == {
        ("job_seekers_registered", "32.16", "2026-03"): 1,
        ("job_seekers_registered", "ID", "2026-03"): 1,
    }
    async with sessions() as session:
        assert await session.scalar(sa.select(sa.func.count()).select_from(inbox)) == 1


async def test_an_undecodable_event_is_recorded_and_does_not_block_the_others(
    consumer: IdempotentConsumer,
    sessions: Sessions,
    seeker: SeekerFactory,
    record: RecordFactory,
) -> None:
    good = seeker(region_code="3216", registered_at=date(2026, 3, 5)).to_cloudevent()
    unknown_region = seeker(region_code="99.99", registered_at=date(2026, 3, 5)).to_cloudevent()
    missing_fields = CloudEvent(
        source="/sinergi/job-market",
        type=good.type,
        subject=str(uuid.uuid4()),
        data={"id": str(uuid.uuid4()), "revision": 1},
    )
    await consumer.apply([record(unknown_region), record(missing_fields), record(good)])

    got = await values(sessions, ["job_seekers_registered"], ["32.16", "ID"], ["2026-03"])
    assert got == {
        ("job_seekers_registered", "32.16", "2026-03"): 1,
        ("job_seekers_registered", "ID", "2026-03"): 1,
    }
    async with sessions() as session:
        statuses = dict((await session.execute(sa.select(inbox.c.event_id, inbox.c.status))).all())
    assert statuses == {
        unknown_region.id: "dead_lettered",
        missing_fields.id: "dead_lettered",
        good.id: "applied",
    }


async def test_a_withdrawal_stops_the_count_and_only_a_newer_snapshot_revives_it(
    consumer: IdempotentConsumer,
    sessions: Sessions,
    seeker: SeekerFactory,
    record: RecordFactory,
) -> None:
    march = date(2026, 3, 9)
    cell = [["job_seekers_registered"], ["33.25"], ["2026-03"]]
    first = seeker(region_code="33.25", registered_at=march)
    await consumer.apply([record(first)])
    assert list((await values(sessions, *cell)).values()) == [1]

    def withdrawn(revision: int) -> JobSeekerWithdrawnV1:
        return JobSeekerWithdrawnV1(
            id=first.id, revision=revision, region_code="33.25", withdrawn_at=datetime.now(UTC)
        )

    await consumer.apply([record(withdrawn(2))])
    assert list((await values(sessions, *cell)).values()) == [0]
    # A late delivery of an older snapshot (revision 1 again, another event id) is not a revival.
    await consumer.apply([record(seeker(id=first.id, region_code="33.25", registered_at=march))])
    assert list((await values(sessions, *cell)).values()) == [0]
    # The record sent again: a newer revision counts once more.
    revived = seeker(id=first.id, revision=3, region_code="33.25", registered_at=march)
    await consumer.apply([record(revived)])
    assert list((await values(sessions, *cell)).values()) == [1]
    # A replayed withdrawal of revision 2 does not undo the revival.
    await consumer.apply([record(withdrawn(2))])
    assert list((await values(sessions, *cell)).values()) == [1]


async def test_one_batch_keeps_the_newest_revision_whatever_the_order_and_each_event_once(
    consumer: IdempotentConsumer,
    sessions: Sessions,
    seeker: SeekerFactory,
    record: RecordFactory,
) -> None:
    march, may = date(2026, 3, 11), date(2026, 5, 11)
    cells = [["job_seekers_registered"], ["12.75"], ["2026-03", "2026-05"]]
    moved = seeker(region_code="12.75", registered_at=march)
    corrected = seeker(
        id=moved.id, revision=3, person_ref=moved.person_ref, region_code="12.75", registered_at=may
    )
    gone = seeker(region_code="12.75", registered_at=march)
    withdrawal = JobSeekerWithdrawnV1(
        id=gone.id, revision=2, region_code="12.75", withdrawn_at=datetime.now(UTC)
    )
    twice = record(seeker(region_code="12.75", registered_at=march))
    # The correction before the snapshot it corrects, the withdrawal before its record, and
    # one event delivered twice: all in one batch.
    await consumer.apply(
        [record(corrected), record(withdrawal), twice, record(moved), record(gone), twice]
    )
    got = await values(sessions, *cells)
    assert got == {
        ("job_seekers_registered", "12.75", "2026-03"): 1,
        ("job_seekers_registered", "12.75", "2026-05"): 1,
    }
