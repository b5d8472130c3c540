"""Social-security indicators from hand-built membership and claim events, as exact values.

The month-end stock of active members counts distinct persons per area; new memberships,
claims and the amount of approved or paid claims are monthly flows.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from aiokafka.structs import ConsumerRecord
from shared.events.social_security import ClaimState, MembershipState
from shared.inbox import IdempotentConsumer

MembershipFactory = Callable[..., MembershipState]
ClaimFactory = Callable[..., ClaimState]
RecordFactory = Callable[..., ConsumerRecord[bytes, bytes]]
Values = dict[tuple[str, str, str], int | float | None]
ValuesReader = Callable[[list[str], list[str], list[str]], Awaitable[Values]]

# Bekasi and Bandung are in West Java (32); Batang is in Central Java (33).
REGIONS = ["32.16", "32.73", "32", "33.25", "ID"]


def expect(indicator: str, table: dict[str, tuple[int, ...]]) -> Values:
    """Expected values of ``indicator``: per period, one value per region of ``REGIONS``."""
    return {
        (indicator, region, period): value
        for period, row in table.items()
        for region, value in zip(REGIONS, row, strict=True)
    }


async def test_active_members_are_distinct_persons_covered_on_the_last_day_of_the_month(
    consumer: IdempotentConsumer,
    membership: MembershipFactory,
    record: RecordFactory,
    indicator_values: ValuesReader,
) -> None:
    # Ana works for two employers, in Bekasi and in Bandung.
    ana_bekasi = membership(person_ref="ana", region_code="32.16", started_at=date(2026, 1, 1))
    ana_bandung = membership(person_ref="ana", region_code="32.73", started_at=date(2026, 2, 1))
    # Budi's cover starts on the last day of March.
    budi = membership(person_ref="budi", region_code="32.16", started_at=date(2026, 3, 31))
    # Citra's ends with 30 March: 31 March (ended_at) is the first day not covered.
    citra = membership(
        person_ref="citra",
        region_code="32.16",
        started_at=date(2026, 1, 1),
        ended_at=date(2026, 3, 31),
    )
    # Dewi's covers 31 March; 1 April is her first day without cover.
    dewi = membership(
        person_ref="dewi",
        region_code="32.16",
        started_at=date(2026, 2, 1),
        ended_at=date(2026, 4, 1),
    )
    # Eko starts in April in Batang.
    eko = membership(person_ref="eko", region_code="33.25", started_at=date(2026, 4, 1))
    # Fitri has two memberships in Bekasi (two employers), started in March; and only JHT in
    # one of them: any program counts.
    fitri = [
        membership(person_ref="fitri", region_code="32.16", started_at=date(2026, 3, 10)),
        membership(
            person_ref="fitri",
            region_code="32.16",
            started_at=date(2026, 3, 20),
            programs=["JHT"],
        ),
    ]
    await consumer.apply(
        [record(m) for m in (ana_bekasi, ana_bandung, budi, citra, dewi, eko, *fitri)]
    )

    periods = ["2026-02", "2026-03", "2026-04"]
    got = await indicator_values(["ss_active_members", "ss_new_members"], REGIONS, periods)
    # Regions:     32.16 32.73 32 33.25 ID
    assert got == expect(
        "ss_active_members",
        {
            # 28 February: Ana (both), Citra, Dewi.
            "2026-02": (3, 1, 3, 0, 3),
            # 31 March: Ana (both: once in West Java, once nationally), Budi, Dewi, Fitri.
            "2026-03": (4, 1, 4, 0, 4),
            # 30 April: Ana, Budi, Fitri; Eko in Batang.
            "2026-04": (3, 1, 3, 1, 4),
        },
    ) | expect(
        "ss_new_members",
        {
            "2026-02": (1, 1, 2, 0, 2),
            # Budi and Fitri's two memberships: memberships, not persons.
            "2026-03": (3, 0, 3, 0, 3),
            "2026-04": (0, 0, 0, 1, 1),
        },
    )

    # Corrections: Dewi's membership really ended with 30 March; Ana's Bandung membership was
    # in Batang. Ana now counts in Bekasi and in Batang, still once nationally.
    await consumer.apply(
        [
            record(
                membership(**(dewi.model_dump() | {"revision": 2, "ended_at": date(2026, 3, 31)}))
            ),
            record(
                membership(**(ana_bandung.model_dump() | {"revision": 2, "region_code": "33.25"}))
            ),
        ]
    )
    got = await indicator_values(["ss_active_members", "ss_new_members"], REGIONS, periods)
    assert got == expect(
        "ss_active_members",
        {
            "2026-02": (3, 0, 3, 1, 3),
            "2026-03": (3, 0, 3, 1, 3),
            "2026-04": (3, 0, 3, 2, 4),
        },
    ) | expect(
        "ss_new_members",
        {
            "2026-02": (1, 0, 1, 1, 2),
            "2026-03": (3, 0, 3, 0, 3),
            "2026-04": (0, 0, 0, 1, 1),
        },
    )


async def test_claims_count_every_status_and_the_amount_only_approved_or_paid(
    consumer: IdempotentConsumer,
    claim: ClaimFactory,
    record: RecordFactory,
    indicator_values: ValuesReader,
) -> None:
    submitted = claim(
        region_code="32.16", claimed_at=date(2026, 3, 3), amount_idr=1_000_000, status="submitted"
    )
    approved = claim(
        region_code="32.16", claimed_at=date(2026, 3, 10), amount_idr=2_500_000, status="approved"
    )
    paid = claim(
        region_code="32.73", claimed_at=date(2026, 3, 15), amount_idr=4_000_000, status="paid"
    )
    # Amounts beyond 32 bits add up exactly.
    large = claim(
        region_code="33.25",
        claimed_at=date(2026, 3, 31),
        amount_idr=3_000_000_000,
        status="paid",
        program="JKM",
    )
    rejected = claim(
        region_code="33.25", claimed_at=date(2026, 3, 20), amount_idr=7_000_000, status="rejected"
    )
    april = claim(
        region_code="32.16", claimed_at=date(2026, 4, 1), amount_idr=9_000_000, status="paid"
    )
    await consumer.apply([record(c) for c in (submitted, approved, paid, large, rejected, april)])

    indicators = ["ss_claims", "ss_claims_amount_idr"]
    got = await indicator_values(indicators, REGIONS, ["2026-03", "2026-04"])
    # Regions:     32.16 32.73 32 33.25 ID
    assert got == expect(
        "ss_claims", {"2026-03": (2, 1, 3, 2, 5), "2026-04": (1, 0, 1, 0, 1)}
    ) | expect(
        "ss_claims_amount_idr",
        {
            "2026-03": (2_500_000, 4_000_000, 6_500_000, 3_000_000_000, 3_006_500_000),
            "2026-04": (9_000_000, 0, 9_000_000, 0, 9_000_000),
        },
    )

    # The submitted claim is approved at a corrected amount; the paid one in Bandung turns
    # out rejected. Claims keep their count; the amount follows the current status.
    await consumer.apply(
        [
            record(
                claim(
                    **(
                        submitted.model_dump()
                        | {"revision": 2, "status": "approved", "amount_idr": 1_200_000}
                    )
                )
            ),
            record(claim(**(paid.model_dump() | {"revision": 2, "status": "rejected"}))),
        ]
    )
    got = await indicator_values(indicators, REGIONS, ["2026-03"])
    assert got == expect("ss_claims", {"2026-03": (2, 1, 3, 2, 5)}) | expect(
        "ss_claims_amount_idr",
        {"2026-03": (3_700_000, 0, 3_700_000, 3_000_000_000, 3_003_700_000)},
    )
