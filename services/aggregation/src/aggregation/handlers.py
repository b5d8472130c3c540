"""Event routing: which handler projects which event type (an explicit map, no name matching).

Registered and updated events of one entity carry the same whole-state snapshot, so both go to
the same projection; a correction is simply a newer revision replacing the row (and, for an
inspection or an accident, its findings or victims as a whole).
"""

from __future__ import annotations

from collections.abc import Mapping

from shared.events import CloudEvent
from shared.events.inspection import (
    AccidentReportedV1,
    AccidentState,
    AccidentUpdatedV1,
    CompanyRegisteredV1,
    CompanyState,
    CompanyUpdatedV1,
    InspectionRecordedV1,
    InspectionState,
    InspectionUpdatedV1,
)
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
from shared.inbox import Handler
from sqlalchemy.ext.asyncio import AsyncSession

from aggregation.projections.service import upsert_snapshot, upsert_snapshot_with_children
from aggregation.projections.tables import (
    accident_victims,
    accidents,
    claims,
    companies,
    enrollments,
    inspection_findings,
    inspections,
    job_seekers,
    memberships,
    placements,
    programs,
    vacancies,
)


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


async def project_program(session: AsyncSession, event: CloudEvent) -> None:
    """Keep the newest snapshot of a training program."""
    snapshot = ProgramState.model_validate(event.data)
    await upsert_snapshot(session, table=programs, snapshot=snapshot)


async def project_enrollment(session: AsyncSession, event: CloudEvent) -> None:
    """Keep the newest snapshot of a training enrolment."""
    snapshot = EnrollmentState.model_validate(event.data)
    await upsert_snapshot(session, table=enrollments, snapshot=snapshot)


async def project_company(session: AsyncSession, event: CloudEvent) -> None:
    """Keep the newest snapshot of a company (workplace)."""
    snapshot = CompanyState.model_validate(event.data)
    await upsert_snapshot(session, table=companies, snapshot=snapshot)


async def project_inspection(session: AsyncSession, event: CloudEvent) -> None:
    """Keep the newest snapshot of an inspection with its findings."""
    snapshot = InspectionState.model_validate(event.data)
    await upsert_snapshot_with_children(
        session,
        table=inspections,
        snapshot=snapshot,
        children=inspection_findings,
        parent_column="inspection_id",
        rows=[{"norm": f.norm, "status": f.status} for f in snapshot.findings],
    )


async def project_accident(session: AsyncSession, event: CloudEvent) -> None:
    """Keep the newest snapshot of a workplace accident with its victims."""
    snapshot = AccidentState.model_validate(event.data)
    await upsert_snapshot_with_children(
        session,
        table=accidents,
        snapshot=snapshot,
        children=accident_victims,
        parent_column="accident_id",
        rows=[
            {"person_ref": v.person_ref, "sex": v.sex, "birth_year": v.birth_year}
            for v in snapshot.victims
        ],
    )


async def project_membership(session: AsyncSession, event: CloudEvent) -> None:
    """Keep the newest snapshot of a social-security membership."""
    snapshot = MembershipState.model_validate(event.data)
    await upsert_snapshot(session, table=memberships, snapshot=snapshot)


async def project_claim(session: AsyncSession, event: CloudEvent) -> None:
    """Keep the newest snapshot of a social-security claim."""
    snapshot = ClaimState.model_validate(event.data)
    await upsert_snapshot(session, table=claims, snapshot=snapshot)


HANDLERS: Mapping[str, Handler] = {
    # Job market
    JobSeekerRegisteredV1.event_type: project_job_seeker,
    JobSeekerUpdatedV1.event_type: project_job_seeker,
    VacancyPostedV1.event_type: project_vacancy,
    VacancyUpdatedV1.event_type: project_vacancy,
    PlacementRecordedV1.event_type: project_placement,
    PlacementUpdatedV1.event_type: project_placement,
    # Training
    ProgramCreatedV1.event_type: project_program,
    ProgramUpdatedV1.event_type: project_program,
    EnrollmentRecordedV1.event_type: project_enrollment,
    EnrollmentUpdatedV1.event_type: project_enrollment,
    # Inspection
    CompanyRegisteredV1.event_type: project_company,
    CompanyUpdatedV1.event_type: project_company,
    InspectionRecordedV1.event_type: project_inspection,
    InspectionUpdatedV1.event_type: project_inspection,
    AccidentReportedV1.event_type: project_accident,
    AccidentUpdatedV1.event_type: project_accident,
    # Social security
    MembershipRegisteredV1.event_type: project_membership,
    MembershipUpdatedV1.event_type: project_membership,
    ClaimSubmittedV1.event_type: project_claim,
    ClaimUpdatedV1.event_type: project_claim,
}
