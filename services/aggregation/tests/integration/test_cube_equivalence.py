"""The cube equals the read-time reference computation, whatever the event history.

Hypothesis builds random histories over a small world (two persons, three regencies in two
provinces, six months): creates, corrections of region, date and status, withdrawals and
revivals, of every entity the indicators read, linked across domains by the same persons. The
events are delivered duplicated, in random order (late and out of order across entities and
topics) and in random batches, through the service's own consumer. Then every indicator, for
every regency, province and the nation and every month, read from the cube must equal the
reference SQL over the projections (``compute_values(reference=True)``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from aggregation.cube.maintain import rebuild_from_projections
from aggregation.cube.read import all_cells
from aggregation.indicators.catalogue import CATALOGUE
from aggregation.indicators.query import parse_values_query
from aggregation.indicators.service import compute_values
from aggregation.projections.tables import (
    PROJECTIONS,
    cube_state,
    cube_years,
    inbox,
    withdrawals,
)
from aiokafka.structs import ConsumerRecord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from shared.events import IntegrationEvent
from shared.events.industrial_relations import (
    AgreementRecordedV1,
    AgreementUpdatedV1,
    AgreementWithdrawnV1,
    DisputeRecordedV1,
    DisputeUpdatedV1,
    DisputeWithdrawnV1,
    LayoffRecordedV1,
    LayoffUpdatedV1,
    LayoffWithdrawnV1,
    UnionRecordedV1,
    UnionUpdatedV1,
    UnionWithdrawnV1,
)
from shared.events.inspection import (
    AccidentReportedV1,
    AccidentUpdatedV1,
    AccidentWithdrawnV1,
    InspectionRecordedV1,
    InspectionUpdatedV1,
    InspectionWithdrawnV1,
)
from shared.events.job_market import (
    JobSeekerRegisteredV1,
    JobSeekerUpdatedV1,
    JobSeekerWithdrawnV1,
    PlacementRecordedV1,
    PlacementUpdatedV1,
    PlacementWithdrawnV1,
    ProgramBeneficiaryRecordedV1,
    ProgramBeneficiaryUpdatedV1,
    ProgramBeneficiaryWithdrawnV1,
    VacancyPostedV1,
    VacancyUpdatedV1,
    VacancyWithdrawnV1,
)
from shared.events.social_security import (
    ClaimSubmittedV1,
    ClaimUpdatedV1,
    ClaimWithdrawnV1,
    MembershipRegisteredV1,
    MembershipUpdatedV1,
    MembershipWithdrawnV1,
)
from shared.events.training import (
    EnrollmentRecordedV1,
    EnrollmentUpdatedV1,
    EnrollmentWithdrawnV1,
)
from shared.inbox import IdempotentConsumer
from shared.regions import registry
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

RecordFactory = Callable[[IntegrationEvent], ConsumerRecord[bytes, bytes]]

REGENCIES = ("32.16", "32.73", "12.75")
AREAS = ["ID", "32", "12", *REGENCIES]
PERIODS = ["2026-01..2026-06"]
PERSONS = ("p-one", "p-two")

regions = st.sampled_from(REGENCIES)
persons = st.sampled_from(PERSONS)
days = st.dates(min_value=date(2025, 12, 20), max_value=date(2026, 6, 30))
sexes = st.sampled_from(("M", "F"))
births = st.integers(min_value=1960, max_value=2008)
employers = st.sampled_from(("1234567890123", "9876543210987"))


def _job_seeker() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "region_code": regions,
            "person_ref": persons,
            "sex": sexes,
            "birth_year": births,
            "education_level": st.sampled_from(("SD", "SMA", "S1")),
            "disability": st.booleans(),
            "registered_at": days,
            "status": st.sampled_from(("active", "placed")),
        }
    )


def _vacancy() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "region_code": regions,
            "employer_nib": st.just("1234567890123"),
            "kbli_code": st.sampled_from(("10110", "47111", "62019")),
            "occupation_code": st.just("7212"),
            "positions": st.integers(min_value=1, max_value=9),
            "posted_at": days,
            "closes_at": st.none(),
            "min_education": st.none(),
            "status": st.sampled_from(("open", "closed")),
        }
    )


def _placement() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "region_code": regions,
            "person_ref": persons,
            "job_seeker_id": st.just("00000000-0000-4000-8000-000000000001"),
            "vacancy_id": st.none(),
            "employer_nib": st.just("1234567890123"),
            "placed_at": days,
            "mechanism": st.sampled_from(("AKL", "AKAD")),
        }
    )


@st.composite
def _enrollment(draw: st.DrawFn) -> dict[str, Any]:
    status = draw(st.sampled_from(("registered", "completed", "dropped_out")))
    return {
        "program_id": "program-1",
        "region_code": draw(regions),
        "person_ref": draw(persons),
        "sex": draw(sexes),
        "birth_year": draw(births),
        "enrolled_at": draw(days),
        "status": status,
        "completed_at": draw(days) if status == "completed" else None,
        "certified": draw(st.booleans()) if status == "completed" else False,
    }


def _inspection() -> st.SearchStrategy[dict[str, Any]]:
    finding = st.fixed_dictionaries(
        {"norm": st.sampled_from(("wages", "k3")), "status": st.sampled_from(("open", "resolved"))}
    )
    return st.fixed_dictionaries(
        {
            "company_nib": st.just("1234567890123"),
            "region_code": regions,
            "inspected_at": days,
            "type": st.just("routine"),
            "findings": st.lists(finding, max_size=3),
        }
    )


def _accident() -> st.SearchStrategy[dict[str, Any]]:
    victim = st.fixed_dictionaries({"person_ref": persons, "sex": sexes, "birth_year": births})
    return st.fixed_dictionaries(
        {
            "company_nib": st.just("1234567890123"),
            "region_code": regions,
            "occurred_at": days,
            "outcome": st.sampled_from(("recovered", "death")),
            "victims": st.lists(victim, min_size=1, max_size=2),
        }
    )


@st.composite
def _membership(draw: st.DrawFn) -> dict[str, Any]:
    started = draw(days)
    ended = draw(st.one_of(st.none(), days.filter(lambda d: d > started)))
    return {
        "person_ref": draw(persons),
        "employer_nib": draw(employers),
        "region_code": draw(regions),
        "sex": draw(sexes),
        "birth_year": draw(births),
        "programs": draw(st.sampled_from((["JKK", "JKM"], ["JHT"]))),
        "status": "active" if ended is None else "inactive",
        "started_at": started,
        "ended_at": ended,
    }


def _claim() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "membership_id": st.just("membership-1"),
            "person_ref": persons,
            "region_code": regions,
            "program": st.sampled_from(("JHT", "JKK", "JKP")),
            "claimed_at": days,
            "amount_idr": st.integers(min_value=1, max_value=5_000_000),
            "status": st.sampled_from(("submitted", "approved", "paid", "rejected")),
        }
    )


def _layoff() -> st.SearchStrategy[dict[str, Any]]:
    worker = st.fixed_dictionaries({"person_ref": persons, "sex": sexes, "birth_year": births})
    return st.fixed_dictionaries(
        {
            "employer_nib": employers,
            "region_code": regions,
            "reported_at": days,
            "effective_at": days,
            "reason": st.sampled_from(("efficiency", "closure")),
            "severance_total_idr": st.none(),
            "workers": st.lists(worker, min_size=1, max_size=2),
        }
    )


@st.composite
def _dispute(draw: st.DrawFn) -> dict[str, Any]:
    status = draw(st.sampled_from(("open", "settled", "decided", "recommendation_issued")))
    ended = status in ("settled", "decided")
    return {
        "employer_nib": "1234567890123",
        "region_code": draw(regions),
        "registered_at": draw(days),
        "type": draw(st.sampled_from(("rights", "termination"))),
        "stage": "mediation",
        "status": status,
        "settled_at": draw(days) if ended else None,
        "settlement": draw(st.sampled_from(("joint_agreement", "court_decision")))
        if ended
        else None,
        "workers_involved": draw(st.integers(min_value=1, max_value=40)),
    }


@st.composite
def _agreement(draw: st.DrawFn) -> dict[str, Any]:
    start = draw(days)
    return {
        "employer_nib": "1234567890123",
        "region_code": draw(regions),
        "kind": draw(st.sampled_from(("pkb", "pp"))),
        "registered_at": start,
        "valid_from": start,
        "valid_until": draw(days.filter(lambda d: d >= start)),
        "workers_covered": draw(st.integers(min_value=1, max_value=500)),
    }


def _union() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "region_code": regions,
            "registered_at": days,
            "members": st.integers(min_value=0, max_value=300),
            "employer_nib": st.none(),
            "federation": st.none(),
        }
    )


def _beneficiary() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "program_id": st.just("program-1"),
            "region_code": regions,
            "program_kind": st.sampled_from(("labour_intensive", "self_employment")),
            "person_ref": persons,
            "sex": sexes,
            "birth_year": births,
            "joined_at": days,
        }
    )


# entity: (state strategy, first event, update event, withdrawal event)
ENTITIES: dict[str, tuple[Any, type[IntegrationEvent], type[IntegrationEvent], Any]] = {
    "job_seeker": (_job_seeker(), JobSeekerRegisteredV1, JobSeekerUpdatedV1, JobSeekerWithdrawnV1),
    "vacancy": (_vacancy(), VacancyPostedV1, VacancyUpdatedV1, VacancyWithdrawnV1),
    "placement": (_placement(), PlacementRecordedV1, PlacementUpdatedV1, PlacementWithdrawnV1),
    "enrollment": (
        _enrollment(),
        EnrollmentRecordedV1,
        EnrollmentUpdatedV1,
        EnrollmentWithdrawnV1,
    ),
    "inspection": (
        _inspection(),
        InspectionRecordedV1,
        InspectionUpdatedV1,
        InspectionWithdrawnV1,
    ),
    "accident": (_accident(), AccidentReportedV1, AccidentUpdatedV1, AccidentWithdrawnV1),
    "membership": (
        _membership(),
        MembershipRegisteredV1,
        MembershipUpdatedV1,
        MembershipWithdrawnV1,
    ),
    "claim": (_claim(), ClaimSubmittedV1, ClaimUpdatedV1, ClaimWithdrawnV1),
    "layoff": (_layoff(), LayoffRecordedV1, LayoffUpdatedV1, LayoffWithdrawnV1),
    "dispute": (_dispute(), DisputeRecordedV1, DisputeUpdatedV1, DisputeWithdrawnV1),
    "agreement": (_agreement(), AgreementRecordedV1, AgreementUpdatedV1, AgreementWithdrawnV1),
    "union": (_union(), UnionRecordedV1, UnionUpdatedV1, UnionWithdrawnV1),
    "beneficiary": (
        _beneficiary(),
        ProgramBeneficiaryRecordedV1,
        ProgramBeneficiaryUpdatedV1,
        ProgramBeneficiaryWithdrawnV1,
    ),
}


@st.composite
def histories(draw: st.DrawFn) -> list[IntegrationEvent]:
    """Events of a few entities of every kind: each a sequence of revisions, some of them
    withdrawals (a later snapshot revives the record)."""
    events: list[IntegrationEvent] = []
    for entity in draw(st.lists(st.sampled_from(sorted(ENTITIES)), min_size=3, max_size=12)):
        states, first, update, withdrawn = ENTITIES[entity]
        entity_id = uuid.uuid4()
        for revision in range(1, draw(st.integers(min_value=1, max_value=4)) + 1):
            if revision > 1 and draw(st.integers(min_value=0, max_value=3)) == 0:
                events.append(
                    withdrawn(
                        id=entity_id,
                        revision=revision,
                        region_code=draw(regions),
                        withdrawn_at="2026-07-01T00:00:00Z",
                    )
                )
                continue
            cls = first if revision == 1 else update
            events.append(cls(id=entity_id, revision=revision, **draw(states)))
    return events


@st.composite
def deliveries(draw: st.DrawFn) -> list[list[IntegrationEvent]]:
    """A history delivered as Kafka would at least once: duplicated, reordered, in batches."""
    events = draw(histories())
    duplicated = events + draw(st.lists(st.sampled_from(events), max_size=len(events)))
    order = draw(st.permutations(duplicated))
    cuts = sorted(draw(st.sets(st.integers(min_value=1, max_value=len(order)), max_size=5)))
    bounds = [0, *cuts, len(order)]
    return [order[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if order[a:b]]


async def _values(
    sessions: async_sessionmaker[AsyncSession], *, reference: bool
) -> dict[tuple[str, str, str], Any]:
    query = parse_values_query(
        indicator=[
            ",".join(i.code for i in CATALOGUE[:8]),
            ",".join(i.code for i in CATALOGUE[8:]),
        ],
        region=[",".join(AREAS)],
        period=PERIODS,
        regions=registry(),
    )
    async with sessions() as session:
        found = await compute_values(session, query=query, regions=registry(), reference=reference)
    return {(v.indicator, v.region_code, v.period): v.value for v in found.values}


async def _reset(sessions: async_sessionmaker[AsyncSession]) -> None:
    names = ", ".join(t.name for t in (*PROJECTIONS, cube_years, cube_state, inbox, withdrawals))
    async with sessions() as session, session.begin():
        await session.execute(sa.text(f"TRUNCATE {names}"))


@pytest.mark.timeout(900)
@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batches=deliveries())
async def test_the_cube_equals_the_reference_for_every_history(
    batches: list[list[IntegrationEvent]],
    consumer: IdempotentConsumer,
    record: RecordFactory,
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    await _reset(sessions)
    for batch in batches:
        await consumer.apply([record(event) for event in batch])
    cube = await _values(sessions, reference=False)
    assert cube == await _values(sessions, reference=True)


async def test_a_rebuild_from_the_projections_gives_the_same_cube(
    consumer: IdempotentConsumer,
    record: RecordFactory,
    sessions: async_sessionmaker[AsyncSession],
    membership: Any,
    placement: Any,
    accident: Any,
) -> None:
    person = "p-rebuild"
    events = [
        membership(person_ref=person, started_at=date(2026, 2, 10)),
        membership(person_ref=person, region_code="32.73", started_at=date(2026, 1, 5)),
        placement(person_ref=person, placed_at=date(2026, 2, 1)),
        accident(victims=[person], occurred_at=date(2026, 3, 3)),
    ]
    await consumer.apply([record(e) for e in events])
    before = await _cells(sessions)
    async with sessions() as session, session.begin():
        await rebuild_from_projections(session)
    assert await _cells(sessions) == before
    assert before, "the events made cells"


async def _cells(sessions: async_sessionmaker[AsyncSession]) -> dict[tuple[Any, ...], int]:
    async with sessions() as session:
        return await all_cells(session)
