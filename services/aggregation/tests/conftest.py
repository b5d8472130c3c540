"""Fixtures of the aggregation tests: hand-built job-market events and a migrated database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from typing import Any

import pytest
from aiokafka.structs import ConsumerRecord
from shared.db import create_engine, session_factory
from shared.events import CloudEvent, IntegrationEvent
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
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

SeekerFactory = Callable[..., JobSeekerState]
VacancyFactory = Callable[..., VacancyState]
PlacementFactory = Callable[..., PlacementState]
RecordFactory = Callable[..., ConsumerRecord[bytes, bytes]]


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
def record() -> RecordFactory:
    """Wrap an event (or a ready CloudEvent) in a Kafka record as the consumer receives it."""
    offsets = iter(range(1_000_000))

    def build(event: IntegrationEvent | CloudEvent) -> ConsumerRecord[bytes, bytes]:
        cloudevent = event if isinstance(event, CloudEvent) else event.to_cloudevent()
        key, value = cloudevent.subject.encode(), cloudevent.to_bytes()
        return ConsumerRecord(
            topic=TOPIC,
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
