"""Training indicators from hand-built enrolment events, as exact values.

Enrolments, completions, certifications and the certification rate, per regency (the
program's), province and nation, including corrections and stale snapshots.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from aggregation.projections.tables import enrollments, programs
from aiokafka.structs import ConsumerRecord
from shared.events.training import EnrollmentState, ProgramState
from shared.inbox import IdempotentConsumer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

EnrollmentFactory = Callable[..., EnrollmentState]
ProgramFactory = Callable[..., ProgramState]
RecordFactory = Callable[..., ConsumerRecord[bytes, bytes]]
Values = dict[tuple[str, str, str], int | float | None]
ValuesReader = Callable[[list[str], list[str], list[str]], Awaitable[Values]]

TRAINING = [
    "training_enrollments",
    "training_completions",
    "training_certifications",
    "certification_rate",
]
# Bekasi and Bandung are in West Java (32); Batang is in Central Java (33).
REGIONS = ["32.16", "32.73", "32", "33.25", "ID"]


def completed(on: date, *, certified: bool) -> dict[str, Any]:
    return {"status": "completed", "completed_at": on, "certified": certified}


def expect(period: str, table: dict[str, tuple[int | float | None, ...]]) -> Values:
    """Expected values of ``period``: per indicator, one value per region of ``REGIONS``."""
    return {
        (indicator, region, period): value
        for indicator, row in table.items()
        for region, value in zip(REGIONS, row, strict=True)
    }


async def test_training_indicators_for_a_regency_its_province_and_the_nation(
    consumer: IdempotentConsumer,
    enrollment: EnrollmentFactory,
    record: RecordFactory,
    indicator_values: ValuesReader,
) -> None:
    march = date(2026, 3, 10)
    in_bekasi = [
        enrollment(region_code="32.16", enrolled_at=date(2026, 3, 2)),
        enrollment(
            region_code="32.16",
            enrolled_at=date(2026, 1, 10),
            **completed(date(2026, 3, 20), certified=True),
        ),
        enrollment(
            region_code="32.16",
            enrolled_at=date(2026, 1, 10),
            **completed(date(2026, 3, 25), certified=False),
        ),
        # Completed on the first of April: April's completion, not March's.
        enrollment(
            region_code="32.16",
            enrolled_at=date(2026, 2, 1),
            **completed(date(2026, 4, 1), certified=True),
        ),
    ]
    in_bandung = [
        enrollment(
            region_code="32.73",
            enrolled_at=date(2026, 3, 5),
            **completed(date(2026, 3, 31), certified=True),
        ),
        enrollment(region_code="32.73", enrolled_at=march),
    ]
    in_batang = [
        enrollment(region_code="33.25", enrolled_at=date(2026, 3, 31), status="dropped_out"),
    ]
    await consumer.apply([record(e) for e in (*in_bekasi, *in_bandung, *in_batang)])

    got = await indicator_values(TRAINING, REGIONS, ["2026-03", "2026-04"])
    # Regions:                     32.16 32.73 32 33.25 ID
    assert got == expect(
        "2026-03",
        {
            "training_enrollments": (1, 2, 3, 1, 4),
            "training_completions": (2, 1, 3, 0, 3),
            "training_certifications": (1, 1, 2, 0, 2),
            "certification_rate": (1 / 2, 1 / 1, 2 / 3, None, 2 / 3),
        },
    ) | expect(
        "2026-04",
        {
            "training_enrollments": (0, 0, 0, 0, 0),
            "training_completions": (1, 0, 1, 0, 1),
            "training_certifications": (1, 0, 1, 0, 1),
            "certification_rate": (1.0, None, 1.0, None, 1.0),
        },
    )


async def test_corrections_move_training_counts_and_stale_snapshots_do_not(
    consumer: IdempotentConsumer,
    sessions: async_sessionmaker[AsyncSession],
    program: ProgramFactory,
    enrollment: EnrollmentFactory,
    record: RecordFactory,
    indicator_values: ValuesReader,
) -> None:
    welding = program(region_code="32.16")
    graduate = enrollment(
        program_id=str(welding.id),
        region_code="32.16",
        enrolled_at=date(2026, 3, 2),
        **completed(date(2026, 3, 20), certified=True),
    )
    quitter = enrollment(
        program_id=str(welding.id),
        region_code="32.16",
        enrolled_at=date(2026, 3, 3),
        **completed(date(2026, 3, 27), certified=False),
    )
    await consumer.apply([record(welding), record(graduate), record(quitter)])
    before = await indicator_values(TRAINING, REGIONS, ["2026-03"])
    assert before == expect(
        "2026-03",
        {
            "training_enrollments": (2, 0, 2, 0, 2),
            "training_completions": (2, 0, 2, 0, 2),
            "training_certifications": (1, 0, 1, 0, 1),
            "certification_rate": (0.5, None, 0.5, None, 0.5),
        },
    )

    # The program really ran in Batang: the training service republishes the program and
    # every enrolment with the new region. The second participant is corrected to a drop-out.
    moved = {"region_code": "33.25", "revision": 2}
    await consumer.apply(
        [
            record(program(**(welding.model_dump() | moved))),
            record(enrollment(**(graduate.model_dump() | moved))),
            record(
                enrollment(
                    **(
                        quitter.model_dump()
                        | moved
                        | {"status": "dropped_out", "completed_at": None, "certified": False}
                    )
                )
            ),
        ]
    )
    # A stale snapshot (revision 1) delivered late changes nothing.
    await consumer.apply(
        [record(enrollment(**(graduate.model_dump() | {"enrolled_at": date(2026, 5, 1)})))]
    )

    after = await indicator_values(TRAINING, REGIONS, ["2026-03"])
    assert after == expect(
        "2026-03",
        {
            "training_enrollments": (0, 0, 0, 2, 2),
            "training_completions": (0, 0, 0, 1, 1),
            "training_certifications": (0, 0, 0, 1, 1),
            "certification_rate": (None, None, None, 1.0, 1.0),
        },
    )
    async with sessions() as session:
        assert await session.scalar(sa.select(programs.c.region_code)) == "33.25"
        revisions = dict(
            (await session.execute(sa.select(enrollments.c.id, enrollments.c.revision))).all()
        )
    assert revisions == {graduate.id: 2, quitter.id: 2}


@pytest.mark.parametrize(
    ("status", "completed_at", "certified", "completions", "certifications"),
    [
        ("completed", date(2026, 3, 20), True, 1, 1),
        ("completed", date(2026, 3, 20), False, 1, 0),
        ("registered", None, False, 0, 0),
        ("dropped_out", None, False, 0, 0),
    ],
)
async def test_only_completed_enrolments_count_as_completions(
    consumer: IdempotentConsumer,
    enrollment: EnrollmentFactory,
    record: RecordFactory,
    indicator_values: ValuesReader,
    status: str,
    completed_at: date | None,
    certified: bool,
    completions: int,
    certifications: int,
) -> None:
    await consumer.apply(
        [record(enrollment(status=status, completed_at=completed_at, certified=certified))]
    )
    got = await indicator_values(
        ["training_enrollments", "training_completions", "training_certifications"],
        ["32.16"],
        ["2026-03"],
    )
    assert got == {
        ("training_enrollments", "32.16", "2026-03"): 1,
        ("training_completions", "32.16", "2026-03"): completions,
        ("training_certifications", "32.16", "2026-03"): certifications,
    }
