"""Indicators linking one person's records across domains by ``person_ref``, as exact values.

They are computed when read, so each test applies events step by step (late arrivals and
corrections included) and checks the exact values after every step.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from aiokafka.structs import ConsumerRecord
from shared.events.inspection import AccidentState
from shared.events.job_market import PlacementState
from shared.events.social_security import MembershipState
from shared.events.training import EnrollmentState
from shared.inbox import IdempotentConsumer

PlacementFactory = Callable[..., PlacementState]
EnrollmentFactory = Callable[..., EnrollmentState]
AccidentFactory = Callable[..., AccidentState]
MembershipFactory = Callable[..., MembershipState]
RecordFactory = Callable[..., ConsumerRecord[bytes, bytes]]
Values = dict[tuple[str, str, str], int | float | None]
ValuesReader = Callable[[list[str], list[str], list[str]], Awaitable[Values]]

# Bekasi and Bandung are in West Java (32); Batang is in Central Java (33); Binjai is in
# North Sumatra (12).
REGIONS = ["32.16", "32.73", "32", "33.25", "12.75", "ID"]


def row(indicator: str, period: str, *values: int | float | None) -> Values:
    """Expected values of one indicator and month, one per region of ``REGIONS``."""
    return {
        (indicator, region, period): value for region, value in zip(REGIONS, values, strict=True)
    }


async def test_placements_with_social_security_within_30_days(
    consumer: IdempotentConsumer,
    placement: PlacementFactory,
    membership: MembershipFactory,
    record: RecordFactory,
    indicator_values: ValuesReader,
) -> None:
    code = "placements_with_social_security_rate"
    placed = [
        # Covered since before the placement (JHT only: any program counts).
        placement(person_ref="ana", region_code="32.16", placed_at=date(2026, 3, 10)),
        # Cover starting on day 30 after the placement: inside the window.
        placement(person_ref="budi", region_code="32.16", placed_at=date(2026, 3, 15)),
        # Cover starting on day 31: outside.
        placement(person_ref="citra", region_code="32.16", placed_at=date(2026, 3, 15)),
        # Cover whose first uncovered day is the placement day: it covers nothing of the window.
        placement(person_ref="dewi", region_code="32.73", placed_at=date(2026, 3, 20)),
        # Cover ending (first uncovered day) the day after the placement: it covers that day.
        placement(person_ref="eko", region_code="32.73", placed_at=date(2026, 3, 20)),
        # No membership yet.
        placement(person_ref="fitri", region_code="33.25", placed_at=date(2026, 3, 5)),
    ]
    memberships = [
        membership(person_ref="ana", started_at=date(2026, 3, 1), programs=["JHT"]),
        membership(person_ref="budi", started_at=date(2026, 4, 14)),
        membership(person_ref="citra", started_at=date(2026, 4, 15)),
        membership(person_ref="dewi", started_at=date(2025, 1, 1), ended_at=date(2026, 3, 20)),
        membership(person_ref="eko", started_at=date(2025, 1, 1), ended_at=date(2026, 3, 21)),
    ]
    await consumer.apply([record(e) for e in (*placed, *memberships)])

    periods = ["2026-03", "2026-04"]
    # Regions:                         32.16  32.73  32   33.25  12.75  ID
    assert await indicator_values([code], REGIONS, periods) == row(
        code, "2026-03", 2 / 3, 1 / 2, 3 / 5, 0.0, None, 3 / 6
    ) | row(code, "2026-04", None, None, None, None, None, None)

    # Fitri's membership arrives late, registered in Binjai: any region counts, and the rate
    # of her placement's month and region rises.
    await consumer.apply(
        [record(membership(person_ref="fitri", region_code="12.75", started_at=date(2026, 3, 25)))]
    )
    assert await indicator_values([code], REGIONS, ["2026-03"]) == row(
        code, "2026-03", 2 / 3, 1 / 2, 3 / 5, 1.0, None, 4 / 6
    )

    # Corrections: Dewi's membership really ran until May; Ana's placement was recorded by
    # Binjai. The placement takes its coverage with it to its new region.
    dewi = memberships[3]
    await consumer.apply(
        [
            record(
                membership(**(dewi.model_dump() | {"revision": 2, "ended_at": date(2026, 5, 1)}))
            ),
            record(placement(**(placed[0].model_dump() | {"revision": 2, "region_code": "12.75"}))),
        ]
    )
    assert await indicator_values([code], REGIONS, ["2026-03"]) == row(
        code, "2026-03", 1 / 2, 2 / 2, 3 / 4, 1.0, 1.0, 5 / 6
    )


async def test_graduates_placed_within_six_months_of_completion(
    consumer: IdempotentConsumer,
    enrollment: EnrollmentFactory,
    placement: PlacementFactory,
    record: RecordFactory,
    indicator_values: ValuesReader,
) -> None:
    code = "graduates_placed_within_6_months_rate"

    def graduate(person: str, region: str, completed_at: date) -> EnrollmentState:
        return enrollment(
            person_ref=person,
            region_code=region,
            enrolled_at=date(2026, 1, 5),
            status="completed",
            completed_at=completed_at,
            certified=True,
        )

    graduates = [
        graduate("ana", "32.16", date(2026, 3, 15)),
        graduate("budi", "32.16", date(2026, 3, 15)),
        graduate("gita", "32.16", date(2026, 3, 20)),
        graduate("citra", "32.73", date(2026, 3, 31)),
        graduate("dewi", "32.73", date(2026, 3, 10)),
        graduate("eko", "33.25", date(2026, 3, 5)),
        # Still in training: not a completion, whatever placement follows.
        enrollment(person_ref="hadi", region_code="32.16", enrolled_at=date(2026, 3, 1)),
    ]
    await consumer.apply([record(g) for g in graduates])
    # Regions:                                32.16  32.73  32   33.25  12.75  ID
    assert await indicator_values([code], REGIONS, ["2026-03"]) == row(
        code, "2026-03", 0.0, 0.0, 0.0, 0.0, None, 0.0
    )

    placements = [
        # Exactly 6 calendar months after completion, in another province: counts.
        placement(person_ref="ana", region_code="33.25", placed_at=date(2026, 9, 15)),
        # One day too late.
        placement(person_ref="budi", region_code="32.16", placed_at=date(2026, 9, 16)),
        # Seven months later.
        placement(person_ref="gita", region_code="32.16", placed_at=date(2026, 10, 20)),
        # 31 March + 6 months is 30 September (no 31st): counts.
        placement(person_ref="citra", region_code="32.73", placed_at=date(2026, 9, 30)),
        # Placed before completing: not a graduate's placement.
        placement(person_ref="dewi", region_code="32.73", placed_at=date(2026, 3, 1)),
        placement(person_ref="hadi", region_code="32.16", placed_at=date(2026, 4, 1)),
    ]
    await consumer.apply([record(p) for p in placements])
    assert await indicator_values([code], REGIONS, ["2026-03"]) == row(
        code, "2026-03", 1 / 3, 1 / 2, 2 / 5, 0.0, None, 2 / 6
    )

    # Eko's placement arrives five months after his completion: March's rate rises.
    await consumer.apply(
        [record(placement(person_ref="eko", region_code="33.25", placed_at=date(2026, 8, 5)))]
    )
    assert await indicator_values([code], REGIONS, ["2026-03"]) == row(
        code, "2026-03", 1 / 3, 1 / 2, 2 / 5, 1.0, None, 3 / 6
    )

    # Corrections: Budi was placed on 10 September (inside the window); Gita completed on
    # 20 April, so her completion leaves March and her placement of 20 October is exactly six
    # months after it.
    budi_placement, gita = placements[1], graduates[2]
    await consumer.apply(
        [
            record(
                placement(
                    **(
                        budi_placement.model_dump()
                        | {"revision": 2, "placed_at": date(2026, 9, 10)}
                    )
                )
            ),
            record(
                enrollment(
                    **(gita.model_dump() | {"revision": 2, "completed_at": date(2026, 4, 20)})
                )
            ),
        ]
    )
    assert await indicator_values([code], REGIONS, ["2026-03", "2026-04"]) == row(
        code, "2026-03", 2 / 2, 1 / 2, 3 / 4, 1.0, None, 4 / 5
    ) | row(code, "2026-04", 1.0, None, 1.0, None, None, 1.0)


async def test_accident_victims_without_jkk_cover_on_the_accident_date(
    consumer: IdempotentConsumer,
    accident: AccidentFactory,
    membership: MembershipFactory,
    record: RecordFactory,
    indicator_values: ValuesReader,
) -> None:
    code = "accident_victims_without_jkk"
    crane = accident(
        region_code="32.16",
        occurred_at=date(2026, 3, 10),
        outcome="disability",
        victims=["ana", "budi", "citra", "dewi"],
    )
    fire = accident(region_code="32.73", occurred_at=date(2026, 3, 31), victims=["eko"])
    fall = accident(region_code="33.25", occurred_at=date(2026, 3, 5), victims=["fitri"])
    budi = membership(
        person_ref="budi",
        programs=["JHT", "JKK", "JKM"],
        started_at=date(2025, 6, 1),
        # The day before the accident was his last covered day.
        ended_at=date(2026, 3, 10),
    )
    citra = membership(person_ref="citra", programs=["JHT", "JP"], started_at=date(2025, 1, 1))
    memberships = [
        membership(person_ref="ana", programs=["JKK", "JKM"], started_at=date(2025, 1, 1)),
        budi,
        # Covered in every program but JKK.
        citra,
        # Cover starting the day after the fire.
        membership(person_ref="eko", region_code="32.73", started_at=date(2026, 4, 1)),
        # Covered through a membership registered in another province.
        membership(person_ref="fitri", region_code="12.75", started_at=date(2026, 1, 1)),
    ]
    await consumer.apply([record(e) for e in (crane, fire, fall, *memberships)])
    # Without cover: Budi, Citra and Dewi (no membership at all) in Bekasi; Eko in Bandung.
    # Regions:                                32.16  32.73  32   33.25  12.75  ID
    assert await indicator_values([code], REGIONS, ["2026-03"]) == row(
        code, "2026-03", 3, 1, 4, 0, 0, 4
    )

    # Dewi's JKK membership, starting on the accident day, arrives late.
    await consumer.apply(
        [record(membership(person_ref="dewi", programs=["JKK"], started_at=date(2026, 3, 10)))]
    )
    assert await indicator_values([code], REGIONS, ["2026-03"]) == row(
        code, "2026-03", 2, 1, 3, 0, 0, 3
    )

    # Corrections: Budi's cover really ended a day later (it covers the accident day); the
    # fire happened on 2 April, when Eko was covered.
    await consumer.apply(
        [
            record(
                membership(**(budi.model_dump() | {"revision": 2, "ended_at": date(2026, 3, 11)}))
            ),
            record(
                accident(**(fire.model_dump() | {"revision": 2, "occurred_at": date(2026, 4, 2)}))
            ),
        ]
    )
    assert await indicator_values([code], REGIONS, ["2026-03", "2026-04"]) == row(
        code, "2026-03", 1, 0, 1, 0, 0, 1
    ) | row(code, "2026-04", 0, 0, 0, 0, 0, 0)

    # Citra's membership is corrected to include JKK: no victim is left without cover.
    await consumer.apply(
        [
            record(
                membership(
                    **(citra.model_dump() | {"revision": 2, "programs": ["JHT", "JKK", "JP"]})
                )
            )
        ]
    )
    assert await indicator_values([code], REGIONS, ["2026-03"]) == row(
        code, "2026-03", 0, 0, 0, 0, 0, 0
    )
