"""Event routing: which handler projects which event type (an explicit map, no name matching).

Registered and updated events of one entity carry the same whole-state snapshot, so both go to
the same projection; a correction is simply a newer revision replacing the row.
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.events import CloudEvent
from shared.events.job_market import (
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
from shared.inbox import Handler
from sqlalchemy.ext.asyncio import AsyncSession

from aggregation.projections.service import upsert_snapshot
from aggregation.projections.tables import job_seekers, placements, vacancies


async def project_job_seeker(session: AsyncSession, event: CloudEvent) -> None:
    """Keep the newest snapshot of a job seeker."""
    snapshot = JobSeekerState.model_validate(event.data)
    await upsert_snapshot(session, table=job_seekers, snapshot=snapshot)


async def project_vacancy(session: AsyncSession, event: CloudEvent) -> None:
    """Keep the newest snapshot of a vacancy."""
    snapshot = VacancyState.model_validate(event.data)
    await upsert_snapshot(session, table=vacancies, snapshot=snapshot)


async def project_placement(session: AsyncSession, event: CloudEvent) -> None:
    """Keep the newest snapshot of a placement."""
    snapshot = PlacementState.model_validate(event.data)
    await upsert_snapshot(session, table=placements, snapshot=snapshot)


HANDLERS: Mapping[str, Handler] = {
    JobSeekerRegisteredV1.event_type: project_job_seeker,
    JobSeekerUpdatedV1.event_type: project_job_seeker,
    VacancyPostedV1.event_type: project_vacancy,
    VacancyUpdatedV1.event_type: project_vacancy,
    PlacementRecordedV1.event_type: project_placement,
    PlacementUpdatedV1.event_type: project_placement,
}
