"""Fixtures of the aggregation tests: hand-built domain events, a migrated database, the consumer
that applies records to it and a reader of exact indicator values."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from typing import Any

import pytest
from aggregation.consumer import build_consumer
from aggregation.indicators.query import parse_values_query
from aggregation.indicators.service import compute_values
from aiokafka.structs import ConsumerRecord
from shared.db import create_engine, session_factory
from shared.dlq import DLQ_PARTITIONS, dlq_topic
from shared.events import TOPICS, CloudEvent, IntegrationEvent
from shared.events.inspection import (
    AccidentReportedV1,
    AccidentState,
    AccidentUpdatedV1,
    InspectionRecordedV1,
    InspectionState,
    InspectionUpdatedV1,
)
from shared.events.job_market import (
    TOPIC,
    JobSeekerRegisteredV1,
    JobSeekerState,
    JobSeekerUpdatedV1,
    PlacementRecordedV1,
    PlacementState,
    PlacementUpdatedV1,
    VacancyPostedV1,
    VacancyState,
    VacancyUpdatedV1,
)
from shared.events.social_security import (
    ClaimState,
    ClaimSubmittedV1,
    ClaimUpdatedV1,
    MembershipRegisteredV1,
    MembershipState,
    MembershipUpdatedV1,
)
from shared.events.training import (
    EnrollmentRecordedV1,
    EnrollmentState,
    EnrollmentUpdatedV1,
    ProgramCreatedV1,
    ProgramState,
    ProgramUpdatedV1,
)
from shared.inbox import IdempotentConsumer
from shared.regions import registry
from sinergi_local.access import AGGREGATION_USER
from sinergi_local.kafka import KafkaBroker, ensure_topics
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

SeekerFactory = Callable[..., JobSeekerState]
VacancyFactory = Callable[..., VacancyState]
PlacementFactory = Callable[..., PlacementState]
ProgramFactory = Callable[..., ProgramState]
EnrollmentFactory = Callable[..., EnrollmentState]
InspectionFactory = Callable[..., InspectionState]
AccidentFactory = Callable[..., AccidentState]
MembershipFactory = Callable[..., MembershipState]
ClaimFactory = Callable[..., ClaimState]
RecordFactory = Callable[..., ConsumerRecord[bytes, bytes]]
Values = dict[tuple[str, str, str], int | float | None]
ValuesReader = Callable[[list[str], list[str], list[str]], Awaitable[Values]]


@pytest.fixture
def seeker() -> SeekerFactory:
    """Build a job-seeker snapshot: revision 1 is 'registered', later ones 'updated'."""

    def build(**fields: Any) -> JobSeekerState:
        state: dict[str, Any] = {
            "id": uuid.uuid4(),
            "revision": 1,
            "region_code": "32.16",
            "person_ref": uuid.uuid4().hex,
            "sex": "F",
            "birth_year": 1999,
            "education_level": "SMA",
            "disability": False,
            "registered_at": date(2026, 3, 2),
            "status": "active",
        } | fields
        cls = JobSeekerRegisteredV1 if state["revision"] == 1 else JobSeekerUpdatedV1
        return cls(**state)

    return build


@pytest.fixture
def vacancy() -> VacancyFactory:
    """Build a vacancy snapshot: revision 1 is 'posted', later ones 'updated'."""

    def build(**fields: Any) -> VacancyState:
        state: dict[str, Any] = {
            "id": uuid.uuid4(),
            "revision": 1,
            "region_code": "32.16",
            "employer_nib": "1234567890123",
            "kbli_code": "10110",
            "occupation_code": "7512",
            "positions": 1,
            "posted_at": date(2026, 3, 3),
            "closes_at": None,
            "min_education": "SMA",
            "status": "open",
        } | fields
        cls = VacancyPostedV1 if state["revision"] == 1 else VacancyUpdatedV1
        return cls(**state)

    return build


@pytest.fixture
def placement() -> PlacementFactory:
    """Build a placement snapshot: revision 1 is 'recorded', later ones 'updated'."""

    def build(**fields: Any) -> PlacementState:
        state: dict[str, Any] = {
            "id": uuid.uuid4(),
            "revision": 1,
            "region_code": "32.16",
            "person_ref": uuid.uuid4().hex,
            "job_seeker_id": str(uuid.uuid4()),
            "vacancy_id": None,
            "employer_nib": "1234567890123",
            "placed_at": date(2026, 3, 20),
            "mechanism": "AKL",
        } | fields
        cls = PlacementRecordedV1 if state["revision"] == 1 else PlacementUpdatedV1
        return cls(**state)

    return build


@pytest.fixture
def program() -> ProgramFactory:
    """Build a training-program snapshot: revision 1 is 'created', later ones 'updated'."""

    def build(**fields: Any) -> ProgramState:
        state: dict[str, Any] = {
            "id": uuid.uuid4(),
            "revision": 1,
            "region_code": "32.16",
            "provider_type": "BLK",
            "vocational_field": "Teknik Las",
            "start_date": date(2026, 1, 5),
            "end_date": date(2026, 3, 27),
            "capacity": 16,
        } | fields
        cls = ProgramCreatedV1 if state["revision"] == 1 else ProgramUpdatedV1
        return cls(**state)

    return build


@pytest.fixture
def enrollment() -> EnrollmentFactory:
    """Build an enrolment snapshot (default: registered in March 2026 in 32.16).

    Revision 1 is 'recorded', later ones 'updated'.
    """

    def build(**fields: Any) -> EnrollmentState:
        state: dict[str, Any] = {
            "id": uuid.uuid4(),
            "revision": 1,
            "program_id": str(uuid.uuid4()),
            "region_code": "32.16",
            "person_ref": uuid.uuid4().hex,
            "sex": "M",
            "birth_year": 2001,
            "enrolled_at": date(2026, 3, 2),
            "status": "registered",
            "completed_at": None,
            "certified": False,
        } | fields
        cls = EnrollmentRecordedV1 if state["revision"] == 1 else EnrollmentUpdatedV1
        return cls(**state)

    return build


@pytest.fixture
def inspection() -> InspectionFactory:
    """Build an inspection snapshot; ``findings`` as (norm, status) pairs or dicts."""

    def build(**fields: Any) -> InspectionState:
        state: dict[str, Any] = {
            "id": uuid.uuid4(),
            "revision": 1,
            "company_nib": "1234567890123",
            "region_code": "32.16",
            "inspected_at": date(2026, 3, 4),
            "type": "routine",
            "findings": [],
        } | fields
        state["findings"] = [
            f if isinstance(f, dict) else {"norm": f[0], "status": f[1]} for f in state["findings"]
        ]
        cls = InspectionRecordedV1 if state["revision"] == 1 else InspectionUpdatedV1
        return cls(**state)

    return build


@pytest.fixture
def accident() -> AccidentFactory:
    """Build an accident snapshot; ``victims`` as person_refs or dicts."""

    def build(**fields: Any) -> AccidentState:
        state: dict[str, Any] = {
            "id": uuid.uuid4(),
            "revision": 1,
            "company_nib": "1234567890123",
            "region_code": "32.16",
            "occurred_at": date(2026, 3, 6),
            "outcome": "recovered",
            "victims": [uuid.uuid4().hex],
        } | fields
        state["victims"] = [
            v if isinstance(v, dict) else {"person_ref": v, "sex": "M", "birth_year": 1990}
            for v in state["victims"]
        ]
        cls = AccidentReportedV1 if state["revision"] == 1 else AccidentUpdatedV1
        return cls(**state)

    return build


@pytest.fixture
def membership() -> MembershipFactory:
    """Build a membership snapshot (default: JKK and JKM, open since January 2026, in 32.16)."""

    def build(**fields: Any) -> MembershipState:
        state: dict[str, Any] = {
            "id": uuid.uuid4(),
            "revision": 1,
            "person_ref": uuid.uuid4().hex,
            "employer_nib": "1234567890123",
            "region_code": "32.16",
            "sex": "F",
            "birth_year": 1995,
            "programs": ["JKK", "JKM"],
            "status": "active",
            "started_at": date(2026, 1, 1),
            "ended_at": None,
        } | fields
        if state["ended_at"] is not None and "status" not in fields:
            state["status"] = "inactive"
        cls = MembershipRegisteredV1 if state["revision"] == 1 else MembershipUpdatedV1
        return cls(**state)

    return build


@pytest.fixture
def claim() -> ClaimFactory:
    """Build a claim snapshot: revision 1 is 'submitted', later ones 'updated'."""

    def build(**fields: Any) -> ClaimState:
        state: dict[str, Any] = {
            "id": uuid.uuid4(),
            "revision": 1,
            "membership_id": str(uuid.uuid4()),
            "person_ref": uuid.uuid4().hex,
            "region_code": "32.16",
            "program": "JHT",
            "claimed_at": date(2026, 3, 9),
            "amount_idr": 1_000_000,
            "status": "submitted",
        } | fields
        cls = ClaimSubmittedV1 if state["revision"] == 1 else ClaimUpdatedV1
        return cls(**state)

    return build


@pytest.fixture
def record() -> RecordFactory:
    """Wrap an event (or a ready CloudEvent) in a Kafka record as the consumer receives it.

    The record's topic is the event's domain topic (the job-market one for a bare CloudEvent).
    """
    offsets = iter(range(1_000_000))

    def build(event: IntegrationEvent | CloudEvent) -> ConsumerRecord[bytes, bytes]:
        cloudevent = event if isinstance(event, CloudEvent) else event.to_cloudevent()
        topic = TOPIC if isinstance(event, CloudEvent) else event.topic
        key, value = cloudevent.subject.encode(), cloudevent.to_bytes()
        return ConsumerRecord(
            topic=topic,
            partition=0,
            offset=next(offsets),
            timestamp=0,
            timestamp_type=0,
            key=key,
            value=value,
            checksum=None,
            serialized_key_size=len(key),
            serialized_value_size=len(value),
            headers=[],
        )

    return build


@pytest.fixture
async def aggregation_db(migrated_db: Callable[[str], Awaitable[str]]) -> str:
    """A fresh aggregation database, migrated; its URL."""
    return await migrated_db("aggregation")


@pytest.fixture
async def sessions(aggregation_db: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the fresh aggregation database."""
    engine = create_engine(aggregation_db, pool_size=2)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture(scope="session")
async def dead_letter_topics(kafka: KafkaBroker) -> list[str]:
    """The domain topics' dead-letter topics on the session's broker."""
    topics = [dlq_topic(topic) for topic in TOPICS]
    await ensure_topics(kafka.admin, topics, partitions=DLQ_PARTITIONS)
    return topics


@pytest.fixture
async def consumer(
    sessions: async_sessionmaker[AsyncSession], kafka: KafkaBroker, dead_letter_topics: list[str]
) -> AsyncIterator[IdempotentConsumer]:
    """The service's consumer on the test database, as the aggregation's Kafka principal;
    tests call its ``apply`` with records (Kafka is only used for dead letters)."""
    consumer = build_consumer(sessions=sessions, kafka=kafka.access(AGGREGATION_USER))
    yield consumer
    await consumer.stop()  # closes the dead-letter producer, if one was started


@pytest.fixture
def indicator_values(sessions: async_sessionmaker[AsyncSession]) -> ValuesReader:
    """Read indicator values as the API computes them: {(indicator, region, period): value}."""

    async def read(indicators: list[str], regions: list[str], periods: list[str]) -> Values:
        query = parse_values_query(
            indicator=indicators, region=regions, period=periods, regions=registry()
        )
        async with sessions() as session:
            # Every region as if it reported: these tests check the arithmetic; "not reported"
            # apart from zero has tests of its own (test_reporting).
            found = await compute_values(
                session, query=query, regions=registry(), completeness=False
            )
        return {(v.indicator, v.region_code, v.period): v.value for v in found.values}

    return read
