"""Inspection and K3 accident indicators from hand-built events, as exact values.

Inspections with their findings and accidents with their victims: counts per regency, province
and nation; a newer snapshot replaces the findings or victims as a whole, a stale one changes
nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

import sqlalchemy as sa
from aggregation.projections.tables import accident_victims, inspection_findings
from aiokafka.structs import ConsumerRecord
from shared.events.inspection import AccidentState, InspectionState
from shared.inbox import IdempotentConsumer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

InspectionFactory = Callable[..., InspectionState]
AccidentFactory = Callable[..., AccidentState]
RecordFactory = Callable[..., ConsumerRecord[bytes, bytes]]
Values = dict[tuple[str, str, str], int | float | None]
ValuesReader = Callable[[list[str], list[str], list[str]], Awaitable[Values]]
Sessions = async_sessionmaker[AsyncSession]

INSPECTION = ["inspections_conducted", "violations_found", "violations_resolved"]
ACCIDENTS = ["workplace_accidents", "accident_deaths"]
# Bekasi, Bandung and Subang are in West Java (32); Batang is in Central Java (33).
REGIONS = ["32.16", "32.73", "32.13", "32", "33.25", "ID"]


def expect(period: str, table: dict[str, tuple[int, ...]]) -> Values:
    """Expected values of ``period``: per indicator, one value per region of ``REGIONS``."""
    return {
        (indicator, region, period): value
        for indicator, row in table.items()
        for region, value in zip(REGIONS, row, strict=True)
    }


async def count_rows(sessions: Sessions, table: sa.Table) -> int:
    async with sessions() as session:
        return int(await session.scalar(sa.select(sa.func.count()).select_from(table)) or 0)


async def test_inspections_and_their_findings_per_regency_province_and_nation(
    consumer: IdempotentConsumer,
    sessions: Sessions,
    inspection: InspectionFactory,
    record: RecordFactory,
    indicator_values: ValuesReader,
) -> None:
    wages_and_k3 = inspection(
        region_code="32.16",
        inspected_at=date(2026, 3, 3),
        findings=[("wages", "open"), ("k3", "resolved")],
    )
    clean = inspection(region_code="32.16", inspected_at=date(2026, 3, 10), findings=[])
    bandung = inspection(
        region_code="32.73",
        inspected_at=date(2026, 3, 31),
        type="special",
        findings=[("k3", "notice_1"), ("child_labour", "resolved"), ("other", "prosecuted")],
    )
    batang = inspection(
        region_code="33.25", inspected_at=date(2026, 3, 15), findings=[("wages", "resolved")]
    )
    april = inspection(
        region_code="32.16", inspected_at=date(2026, 4, 1), findings=[("wages", "open")]
    )
    await consumer.apply([record(i) for i in (wages_and_k3, clean, bandung, batang, april)])

    got = await indicator_values(INSPECTION, REGIONS, ["2026-03", "2026-04"])
    # Regions:                      32.16 32.73 32.13 32 33.25 ID
    assert got == expect(
        "2026-03",
        {
            "inspections_conducted": (2, 1, 0, 3, 1, 4),
            "violations_found": (2, 3, 0, 5, 1, 6),
            "violations_resolved": (1, 1, 0, 2, 1, 3),
        },
    ) | expect(
        "2026-04",
        {
            "inspections_conducted": (1, 0, 0, 1, 0, 1),
            "violations_found": (1, 0, 0, 1, 0, 1),
            "violations_resolved": (0, 0, 0, 0, 0, 0),
        },
    )

    # The wages finding is resolved later: the month of the inspection gains a resolution.
    # The Bandung inspection is corrected: it was in Subang, and the "other" finding was an
    # error. Then a stale snapshot (revision 1) of the Bekasi inspection arrives, late.
    await consumer.apply(
        [
            record(
                inspection(
                    **(
                        wages_and_k3.model_dump()
                        | {"revision": 2, "findings": [("wages", "resolved"), ("k3", "resolved")]}
                    )
                )
            ),
            record(
                inspection(
                    **(
                        bandung.model_dump()
                        | {
                            "revision": 2,
                            "region_code": "32.13",
                            "findings": [("k3", "resolved"), ("child_labour", "resolved")],
                        }
                    )
                )
            ),
        ]
    )
    await consumer.apply(
        [record(inspection(**(wages_and_k3.model_dump() | {"inspected_at": date(2026, 5, 5)})))]
    )

    got = await indicator_values(INSPECTION, REGIONS, ["2026-03"])
    # Regions:                      32.16 32.73 32.13 32 33.25 ID
    assert got == expect(
        "2026-03",
        {
            "inspections_conducted": (2, 0, 1, 3, 1, 4),
            "violations_found": (2, 0, 2, 4, 1, 5),
            "violations_resolved": (2, 0, 2, 4, 1, 5),
        },
    )
    # The corrected snapshot's findings replaced the old ones; none were added beside them.
    assert await count_rows(sessions, inspection_findings) == 2 + 0 + 2 + 1 + 1


async def test_accidents_and_deaths_per_regency_province_and_nation(
    consumer: IdempotentConsumer,
    sessions: Sessions,
    accident: AccidentFactory,
    record: RecordFactory,
    indicator_values: ValuesReader,
) -> None:
    fatal = accident(
        region_code="32.16", occurred_at=date(2026, 3, 5), outcome="death", victims=["a", "b"]
    )
    fall = accident(
        region_code="32.16", occurred_at=date(2026, 3, 20), outcome="recovered", victims=["c"]
    )
    burn = accident(
        region_code="32.73", occurred_at=date(2026, 3, 8), outcome="disability", victims=["d"]
    )
    batang = accident(
        region_code="33.25", occurred_at=date(2026, 3, 31), outcome="death", victims=["e"]
    )
    february = accident(
        region_code="32.16", occurred_at=date(2026, 2, 28), outcome="death", victims=["f"]
    )
    await consumer.apply([record(a) for a in (fatal, fall, burn, batang, february)])

    got = await indicator_values(ACCIDENTS, REGIONS, ["2026-02", "2026-03"])
    # Regions:                      32.16 32.73 32.13 32 33.25 ID
    assert got == expect(
        "2026-03",
        {
            "workplace_accidents": (2, 1, 0, 3, 1, 4),
            "accident_deaths": (2, 0, 0, 2, 1, 3),
        },
    ) | expect(
        "2026-02",
        {
            "workplace_accidents": (1, 0, 0, 1, 0, 1),
            "accident_deaths": (1, 0, 0, 1, 0, 1),
        },
    )

    # The fall turned fatal and a second victim was found; the burn happened in April. A stale
    # snapshot of the fall (revision 1, other victims) arrives after the correction.
    await consumer.apply(
        [
            record(
                accident(
                    **(
                        fall.model_dump()
                        | {"revision": 2, "outcome": "death", "victims": ["c", "g"]}
                    )
                )
            ),
            record(
                accident(**(burn.model_dump() | {"revision": 2, "occurred_at": date(2026, 4, 2)}))
            ),
        ]
    )
    await consumer.apply([record(accident(**(fall.model_dump() | {"victims": ["x", "y", "z"]})))])

    got = await indicator_values(ACCIDENTS, REGIONS, ["2026-03", "2026-04"])
    # Regions:                      32.16 32.73 32.13 32 33.25 ID
    assert got == expect(
        "2026-03",
        {
            "workplace_accidents": (2, 0, 0, 2, 1, 3),
            "accident_deaths": (4, 0, 0, 4, 1, 5),
        },
    ) | expect(
        "2026-04",
        {
            "workplace_accidents": (0, 1, 0, 1, 0, 1),
            "accident_deaths": (0, 0, 0, 0, 0, 0),
        },
    )
    async with sessions() as session:
        victims = (
            await session.scalars(
                sa.select(accident_victims.c.person_ref)
                .where(accident_victims.c.accident_id == fall.id)
                .order_by(accident_victims.c.position)
            )
        ).all()
    assert victims == ["c", "g"]
    assert await count_rows(sessions, accident_victims) == 2 + 2 + 1 + 1 + 1
