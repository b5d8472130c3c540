"""Indicators of industrial relations and employment programs, as exact values: layoffs and
what happened to the laid-off workers next (linked by ``person_ref`` to job seekers, JKP
claims, placements and memberships), disputes, agreements and unions (summed stocks), and
program beneficiaries. Events are applied step by step, late ones included."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import pytest
from aiokafka.structs import ConsumerRecord
from shared.events import IntegrationEvent
from shared.events.industrial_relations import (
    AgreementRecordedV1,
    DisputeRecordedV1,
    DisputeUpdatedV1,
    LayoffRecordedV1,
    LayoffUpdatedV1,
    UnionRecordedV1,
    UnionUpdatedV1,
)
from shared.events.job_market import JobSeekerWithdrawnV1, ProgramBeneficiaryRecordedV1
from shared.inbox import IdempotentConsumer

RecordFactory = Callable[..., ConsumerRecord[bytes, bytes]]
Values = dict[tuple[str, str, str], int | float | None]
ValuesReader = Callable[[list[str], list[str], list[str]], Awaitable[Values]]
Factory = Callable[..., Any]

EMPLOYER, OTHER_EMPLOYER = "9120001234567", "9120007654321"
# Bekasi and Bandung are in West Java (32); Binjai is in North Sumatra (12).
REGIONS = ["32.16", "32.73", "32", "12.75", "ID"]


def row(indicator: str, period: str, *values: int | float | None) -> Values:
    """Expected values of one indicator and month, one per region of ``REGIONS``."""
    return {
        (indicator, region, period): value for region, value in zip(REGIONS, values, strict=True)
    }


@pytest.fixture
def layoff() -> Factory:
    """Build a layoff snapshot whose ``workers`` are given as person_refs."""

    def build(*workers: str, **fields: Any) -> IntegrationEvent:
        state: dict[str, Any] = {
            "id": uuid.uuid4(),
            "revision": 1,
            "employer_nib": EMPLOYER,
            "region_code": "32.16",
            "reported_at": date(2026, 3, 12),
            "effective_at": date(2026, 3, 10),
            "reason": "efficiency",
            "severance_total_idr": None,
            "workers": [{"person_ref": w, "sex": "M", "birth_year": 1990} for w in workers],
        } | fields
        cls = LayoffRecordedV1 if state["revision"] == 1 else LayoffUpdatedV1
        return cls(**state)

    return build


async def test_what_happens_to_laid_off_workers_moves_the_linked_rates(
    consumer: IdempotentConsumer,
    record: RecordFactory,
    indicator_values: ValuesReader,
    layoff: Factory,
    seeker: Factory,
    claim: Factory,
    placement: Factory,
    membership: Factory,
) -> None:
    codes = [
        "workers_laid_off",
        "laid_off_registered_within_3_months_rate",
        "laid_off_jkp_claim_rate",
        "laid_off_reemployed_within_6_months_rate",
    ]
    bekasi = layoff("ana", "budi", "citra", "dewi")  # effective 10 March 2026
    bandung = layoff("eko", region_code="32.73", effective_at=date(2026, 3, 31))
    await consumer.apply([record(bekasi), record(bandung)])
    values = await indicator_values(codes, REGIONS, ["2026-03"])
    assert values == (
        row("workers_laid_off", "2026-03", 4, 1, 5, 0, 5)
        | row("laid_off_registered_within_3_months_rate", "2026-03", 0.0, 0.0, 0.0, None, 0.0)
        | row("laid_off_jkp_claim_rate", "2026-03", 0.0, 0.0, 0.0, None, 0.0)
        | row("laid_off_reemployed_within_6_months_rate", "2026-03", 0.0, 0.0, 0.0, None, 0.0)
    )

    registered = seeker(person_ref="ana", registered_at=date(2026, 6, 10))  # last day of 3 months
    await consumer.apply(
        [
            record(registered),
            # Three months and a day: too late.
            record(seeker(person_ref="budi", registered_at=date(2026, 6, 11))),
            # Registered before the layoff: not a registration after it.
            record(seeker(person_ref="citra", registered_at=date(2026, 3, 9))),
            # JKP claims: Budi's within 6 months (any status), Citra's is JHT.
            record(claim(person_ref="budi", program="JKP", claimed_at=date(2026, 9, 10))),
            record(claim(person_ref="citra", program="JHT", claimed_at=date(2026, 4, 1))),
            # Re-employment: Dewi placed in Binjai; Eko back with the employer that laid him off.
            record(placement(person_ref="dewi", region_code="12.75", placed_at=date(2026, 9, 1))),
            record(
                membership(person_ref="eko", employer_nib=EMPLOYER, started_at=date(2026, 5, 1))
            ),
        ]
    )
    values = await indicator_values(codes[1:], REGIONS, ["2026-03"])
    assert values == (
        row("laid_off_registered_within_3_months_rate", "2026-03", 1 / 4, 0.0, 1 / 5, None, 1 / 5)
        | row("laid_off_jkp_claim_rate", "2026-03", 1 / 4, 0.0, 1 / 5, None, 1 / 5)
        | row("laid_off_reemployed_within_6_months_rate", "2026-03", 1 / 4, 0.0, 1 / 5, None, 1 / 5)
    )

    # Late: Eko starts with another employer; Ana's registration is withdrawn by its sender.
    await consumer.apply(
        [
            record(
                membership(
                    person_ref="eko", employer_nib=OTHER_EMPLOYER, started_at=date(2026, 9, 30)
                )
            ),
            record(
                JobSeekerWithdrawnV1(
                    id=registered.id,
                    revision=2,
                    region_code="32.16",
                    withdrawn_at="2026-07-01T00:00:00Z",
                )
            ),
        ]
    )
    values = await indicator_values(codes[1:], REGIONS, ["2026-03"])
    assert values == (
        row("laid_off_registered_within_3_months_rate", "2026-03", 0.0, 0.0, 0.0, None, 0.0)
        | row("laid_off_jkp_claim_rate", "2026-03", 1 / 4, 0.0, 1 / 5, None, 1 / 5)
        | row("laid_off_reemployed_within_6_months_rate", "2026-03", 1 / 4, 1.0, 2 / 5, None, 2 / 5)
    )

    # A corrected layoff date moves its workers and re-reads their links: effective 1 July,
    # Budi's JKP claim (10 September) is still within 6 months, Dewi's placement too.
    await consumer.apply(
        [record(layoff("ana", "budi", "citra", "dewi", id=bekasi.id, revision=2,
                       effective_at=date(2026, 7, 1)))]
    )  # fmt: skip
    values = await indicator_values(["workers_laid_off", "laid_off_jkp_claim_rate"], REGIONS,
                                    ["2026-03", "2026-07"])  # fmt: skip
    assert values == (
        row("workers_laid_off", "2026-03", 0, 1, 1, 0, 1)
        | row("workers_laid_off", "2026-07", 4, 0, 4, 0, 4)
        | row("laid_off_jkp_claim_rate", "2026-03", None, 0.0, 0.0, None, 0.0)
        | row("laid_off_jkp_claim_rate", "2026-07", 1 / 4, None, 1 / 4, None, 1 / 4)
    )


async def test_disputes_agreements_and_unions(
    consumer: IdempotentConsumer, record: RecordFactory, indicator_values: ValuesReader
) -> None:
    def dispute(**fields: Any) -> IntegrationEvent:
        state: dict[str, Any] = {
            "id": uuid.uuid4(),
            "revision": 1,
            "employer_nib": EMPLOYER,
            "region_code": "32.16",
            "registered_at": date(2026, 2, 3),
            "type": "rights",
            "stage": "bipartite",
            "status": "open",
            "settled_at": None,
            "settlement": None,
            "workers_involved": 12,
        } | fields
        return (DisputeRecordedV1 if state["revision"] == 1 else DisputeUpdatedV1)(**state)

    open_one = dispute()
    await consumer.apply(
        [
            record(open_one),
            record(dispute(status="settled", settled_at=date(2026, 3, 5),
                           settlement="joint_agreement")),
            record(dispute(region_code="32.73", status="decided", stage="court",
                           settled_at=date(2026, 3, 20), settlement="court_decision")),
            # A recommendation not yet accepted is not a settlement.
            record(dispute(status="recommendation_issued", stage="mediation",
                           settled_at=None)),
        ]
    )  # fmt: skip
    codes = ["disputes_registered", "disputes_settled", "disputes_settled_by_joint_agreement_rate"]
    assert await indicator_values(codes, REGIONS, ["2026-02", "2026-03"]) == (
        row("disputes_registered", "2026-02", 3, 1, 4, 0, 4)
        | row("disputes_registered", "2026-03", 0, 0, 0, 0, 0)
        | row("disputes_settled", "2026-02", 0, 0, 0, 0, 0)
        | row("disputes_settled", "2026-03", 1, 1, 2, 0, 2)
        | row("disputes_settled_by_joint_agreement_rate", "2026-02", None, None, None, None, None)
        | row("disputes_settled_by_joint_agreement_rate", "2026-03", 1.0, 0.0, 1 / 2, None, 1 / 2)
    )
    # The open dispute settles by joint agreement in March: a newer snapshot moves it.
    await consumer.apply(
        [record(dispute(id=open_one.id, revision=2, status="settled", stage="mediation",
                        settled_at=date(2026, 3, 30), settlement="joint_agreement"))]
    )  # fmt: skip
    values = await indicator_values(codes[2:], REGIONS, ["2026-03", "2026-Q1"])
    assert values[("disputes_settled_by_joint_agreement_rate", "32", "2026-03")] == 2 / 3
    assert values[("disputes_settled_by_joint_agreement_rate", "ID", "2026-Q1")] == 2 / 3

    agreement = AgreementRecordedV1(
        id=uuid.uuid4(),
        revision=1,
        employer_nib=EMPLOYER,
        region_code="32.16",
        kind="pkb",
        registered_at=date(2026, 1, 20),
        valid_from=date(2026, 2, 1),
        valid_until=date(2026, 3, 31),  # in force on 31 March, not on 30 April
        workers_covered=250,
    )
    union = UnionRecordedV1(
        id=uuid.uuid4(),
        revision=1,
        region_code="32.73",
        registered_at=date(2026, 3, 2),
        members=80,
        employer_nib=None,
        federation="KSPSI",
    )
    await consumer.apply([record(agreement), record(union)])
    stocks = ["agreement_workers_covered", "union_members"]
    months = ["2026-01", "2026-03", "2026-04"]
    assert await indicator_values(stocks, REGIONS, months) == (
        row("agreement_workers_covered", "2026-01", 0, 0, 0, 0, 0)
        | row("agreement_workers_covered", "2026-03", 250, 0, 250, 0, 250)
        | row("agreement_workers_covered", "2026-04", 0, 0, 0, 0, 0)
        | row("union_members", "2026-01", 0, 0, 0, 0, 0)
        | row("union_members", "2026-03", 0, 80, 80, 0, 80)
        | row("union_members", "2026-04", 0, 80, 80, 0, 80)
    )
    # The union's count is corrected: the stock follows from then on; a quarter is its last month.
    await consumer.apply(
        [record(UnionUpdatedV1(**{**union.model_dump(), "revision": 2, "members": 95}))]
    )
    values = await indicator_values(stocks, ["ID"], ["2026-Q1", "2026-Q2"])
    assert values == {
        ("agreement_workers_covered", "ID", "2026-Q1"): 250,
        ("agreement_workers_covered", "ID", "2026-Q2"): 0,
        ("union_members", "ID", "2026-Q1"): 95,
        ("union_members", "ID", "2026-Q2"): 95,
    }


async def test_program_beneficiaries_registered_as_job_seekers(
    consumer: IdempotentConsumer,
    record: RecordFactory,
    indicator_values: ValuesReader,
    seeker: Factory,
) -> None:
    def beneficiary(person: str, **fields: Any) -> IntegrationEvent:
        return ProgramBeneficiaryRecordedV1(
            **{
                "id": uuid.uuid4(),
                "revision": 1,
                "program_id": str(uuid.uuid4()),
                "region_code": "32.16",
                "program_kind": "labour_intensive",
                "person_ref": person,
                "sex": "F",
                "birth_year": 1998,
                "joined_at": date(2026, 4, 6),
            }
            | fields
        )

    await consumer.apply(
        [
            record(beneficiary("fajar")),
            record(beneficiary("gita")),
            record(beneficiary("hana", region_code="12.75", program_kind="self_employment")),
            # Fajar registered (in Bandung) the day he joined; Gita only afterwards.
            record(seeker(person_ref="fajar", region_code="32.73", registered_at=date(2026, 4, 6))),
            record(seeker(person_ref="gita", registered_at=date(2026, 4, 7))),
        ]
    )
    codes = ["program_beneficiaries", "beneficiaries_registered_job_seekers_rate"]
    assert await indicator_values(codes, REGIONS, ["2026-04"]) == (
        row("program_beneficiaries", "2026-04", 2, 0, 2, 1, 3)
        | row("beneficiaries_registered_job_seekers_rate", "2026-04", 1 / 2, None, 1 / 2, 0.0,
              1 / 3)
    )  # fmt: skip
