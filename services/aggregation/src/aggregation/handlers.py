"""Event routing: which handler projects which event type (an explicit map, no name matching).

Registered and updated events of one entity carry the same whole-state snapshot, so both go to
the same projection; a correction is simply a newer revision replacing the row (and, for an
inspection or an accident, its findings or victims as a whole). A withdrawal removes the row.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import sqlalchemy as sa
from shared.events import DOMAINS, CloudEvent, IntegrationEvent
from shared.events.base import RecordWithdrawn, ReportingPeriodState
from shared.events.industrial_relations import (
    AgreementRecordedV1,
    AgreementState,
    AgreementUpdatedV1,
    AgreementWithdrawnV1,
    DisputeRecordedV1,
    DisputeState,
    DisputeUpdatedV1,
    DisputeWithdrawnV1,
    LayoffRecordedV1,
    LayoffState,
    LayoffUpdatedV1,
    LayoffWithdrawnV1,
    UnionRecordedV1,
    UnionState,
    UnionUpdatedV1,
    UnionWithdrawnV1,
)
from shared.events.inspection import (
    AccidentReportedV1,
    AccidentState,
    AccidentUpdatedV1,
    AccidentWithdrawnV1,
    CompanyRegisteredV1,
    CompanyState,
    CompanyUpdatedV1,
    CompanyWithdrawnV1,
    InspectionRecordedV1,
    InspectionState,
    InspectionUpdatedV1,
    InspectionWithdrawnV1,
)
from shared.events.job_market import (
    EmploymentProgramRecordedV1,
    EmploymentProgramState,
    EmploymentProgramUpdatedV1,
    EmploymentProgramWithdrawnV1,
    JobSeekerRegisteredV1,
    JobSeekerState,
    JobSeekerUpdatedV1,
    JobSeekerWithdrawnV1,
    PlacementRecordedV1,
    PlacementRecordedV2,
    PlacementState,
    PlacementStateV2,
    PlacementUpdatedV1,
    PlacementUpdatedV2,
    PlacementWithdrawnV1,
    ProgramBeneficiaryRecordedV1,
    ProgramBeneficiaryState,
    ProgramBeneficiaryUpdatedV1,
    ProgramBeneficiaryWithdrawnV1,
    VacancyPostedV1,
    VacancyState,
    VacancyUpdatedV1,
    VacancyWithdrawnV1,
)
from shared.events.social_security import (
    ClaimState,
    ClaimSubmittedV1,
    ClaimUpdatedV1,
    ClaimWithdrawnV1,
    MembershipRegisteredV1,
    MembershipState,
    MembershipUpdatedV1,
    MembershipWithdrawnV1,
)
from shared.events.training import (
    EnrollmentRecordedV1,
    EnrollmentState,
    EnrollmentUpdatedV1,
    EnrollmentWithdrawnV1,
    ProgramCreatedV1,
    ProgramState,
    ProgramUpdatedV1,
    ProgramWithdrawnV1,
)
from shared.inbox import Batched, Handler
from shared.services import DOMAIN_SERVICES
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from aggregation.indicators.periods import Span
from aggregation.projections.service import (
    canonical_region,
    upsert_snapshot_with_children,
    upsert_snapshots,
    withdraw_snapshots,
)
from aggregation.projections.tables import (
    accident_victims,
    accidents,
    agreements,
    claims,
    companies,
    disputes,
    employment_programs,
    enrollments,
    inspection_findings,
    inspections,
    job_seekers,
    layoff_workers,
    layoffs,
    memberships,
    placements,
    program_beneficiaries,
    programs,
    reporting_periods,
    unions,
    vacancies,
)


def _withdraw(table: sa.Table) -> Batched:
    """A handler removing withdrawn entities of one kind from ``table``."""

    async def withdraw(session: AsyncSession, events: Sequence[CloudEvent]) -> None:
        withdrawn = [RecordWithdrawn.model_validate(e.data) for e in events]
        await withdraw_snapshots(session, table=table, events=withdrawn)

    return Batched(withdraw)


def _reporting(domain: str) -> Batched:
    """A handler keeping the newest state of each reporting period of ``domain``."""

    async def project(session: AsyncSession, events: Sequence[CloudEvent]) -> None:
        newest: dict[object, ReportingPeriodState] = {}
        for event in events:
            state = ReportingPeriodState.model_validate(event.data)
            kept = newest.get(state.id)
            if kept is None or kept.revision < state.revision:
                newest[state.id] = state
        if not newest:
            return
        rows = [
            {
                "id": s.id,
                "revision": s.revision,
                "domain": domain,
                "region_code": canonical_region(s.region_code),
                "month": Span.parse(s.period).months[0].start,
                "completed_at": s.completed_at,
            }
            for s in newest.values()
        ]
        stmt = insert(reporting_periods)
        await session.execute(
            stmt.on_conflict_do_update(
                index_elements=[reporting_periods.c.id],
                set_={
                    "revision": stmt.excluded.revision,
                    "completed_at": stmt.excluded.completed_at,
                    "updated_at": sa.func.now(),
                },
                where=reporting_periods.c.revision < stmt.excluded.revision,
            ),
            rows,
        )

    return Batched(project)


def _project(state: type[IntegrationEvent], table: sa.Table) -> Batched:
    """A handler keeping the newest snapshot of each entity of one kind in ``table``."""

    async def project(session: AsyncSession, events: Sequence[CloudEvent]) -> None:
        snapshots = [state.model_validate(e.data) for e in events]
        await upsert_snapshots(session, table=table, snapshots=snapshots)

    return Batched(project)


project_job_seeker = _project(JobSeekerState, job_seekers)
project_vacancy = _project(VacancyState, vacancies)
project_placement = _project(PlacementState, placements)
project_placement_v2 = _project(PlacementStateV2, placements)
project_program = _project(ProgramState, programs)
project_enrollment = _project(EnrollmentState, enrollments)
project_company = _project(CompanyState, companies)
project_membership = _project(MembershipState, memberships)
project_claim = _project(ClaimState, claims)
project_dispute = _project(DisputeState, disputes)
project_agreement = _project(AgreementState, agreements)
project_union = _project(UnionState, unions)
project_employment_program = _project(EmploymentProgramState, employment_programs)
project_beneficiary = _project(ProgramBeneficiaryState, program_beneficiaries)


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


async def project_layoff(session: AsyncSession, event: CloudEvent) -> None:
    """Keep the newest snapshot of a layoff report with its workers."""
    snapshot = LayoffState.model_validate(event.data)
    await upsert_snapshot_with_children(
        session,
        table=layoffs,
        snapshot=snapshot,
        children=layoff_workers,
        parent_column="layoff_id",
        rows=[
            {"person_ref": w.person_ref, "sex": w.sex, "birth_year": w.birth_year}
            for w in snapshot.workers
        ],
    )


def _entity(
    table: sa.Table,
    project: Handler | Batched,
    *written: type[IntegrationEvent],
    withdrawn: type[RecordWithdrawn],
) -> tuple[sa.Table, Mapping[str, Handler | Batched]]:
    """The handlers of one entity: its snapshots' types projected, its withdrawal."""
    return table, {
        **{event.event_type: project for event in written},
        withdrawn.event_type: _withdraw(table),
    }


_BY_TABLE: tuple[tuple[sa.Table, Mapping[str, Handler | Batched]], ...] = (
    # Job market
    (
        job_seekers,
        {
            JobSeekerRegisteredV1.event_type: project_job_seeker,
            JobSeekerUpdatedV1.event_type: project_job_seeker,
            JobSeekerWithdrawnV1.event_type: _withdraw(job_seekers),
        },
    ),
    (
        vacancies,
        {
            VacancyPostedV1.event_type: project_vacancy,
            VacancyUpdatedV1.event_type: project_vacancy,
            VacancyWithdrawnV1.event_type: _withdraw(vacancies),
        },
    ),
    (
        placements,
        {
            PlacementRecordedV1.event_type: project_placement,
            PlacementUpdatedV1.event_type: project_placement,
            PlacementRecordedV2.event_type: project_placement_v2,
            PlacementUpdatedV2.event_type: project_placement_v2,
            PlacementWithdrawnV1.event_type: _withdraw(placements),
        },
    ),
    # Training
    (
        programs,
        {
            ProgramCreatedV1.event_type: project_program,
            ProgramUpdatedV1.event_type: project_program,
            ProgramWithdrawnV1.event_type: _withdraw(programs),
        },
    ),
    (
        enrollments,
        {
            EnrollmentRecordedV1.event_type: project_enrollment,
            EnrollmentUpdatedV1.event_type: project_enrollment,
            EnrollmentWithdrawnV1.event_type: _withdraw(enrollments),
        },
    ),
    # Inspection
    (
        companies,
        {
            CompanyRegisteredV1.event_type: project_company,
            CompanyUpdatedV1.event_type: project_company,
            CompanyWithdrawnV1.event_type: _withdraw(companies),
        },
    ),
    (
        inspections,
        {
            InspectionRecordedV1.event_type: project_inspection,
            InspectionUpdatedV1.event_type: project_inspection,
            InspectionWithdrawnV1.event_type: _withdraw(inspections),
        },
    ),
    (
        accidents,
        {
            AccidentReportedV1.event_type: project_accident,
            AccidentUpdatedV1.event_type: project_accident,
            AccidentWithdrawnV1.event_type: _withdraw(accidents),
        },
    ),
    # Social security
    (
        memberships,
        {
            MembershipRegisteredV1.event_type: project_membership,
            MembershipUpdatedV1.event_type: project_membership,
            MembershipWithdrawnV1.event_type: _withdraw(memberships),
        },
    ),
    (
        claims,
        {
            ClaimSubmittedV1.event_type: project_claim,
            ClaimUpdatedV1.event_type: project_claim,
            ClaimWithdrawnV1.event_type: _withdraw(claims),
        },
    ),
    # Employment-expansion programs (job market)
    _entity(
        employment_programs,
        project_employment_program,
        EmploymentProgramRecordedV1,
        EmploymentProgramUpdatedV1,
        withdrawn=EmploymentProgramWithdrawnV1,
    ),
    _entity(
        program_beneficiaries,
        project_beneficiary,
        ProgramBeneficiaryRecordedV1,
        ProgramBeneficiaryUpdatedV1,
        withdrawn=ProgramBeneficiaryWithdrawnV1,
    ),
    # Industrial relations
    _entity(
        layoffs, project_layoff, LayoffRecordedV1, LayoffUpdatedV1, withdrawn=LayoffWithdrawnV1
    ),
    _entity(
        disputes,
        project_dispute,
        DisputeRecordedV1,
        DisputeUpdatedV1,
        withdrawn=DisputeWithdrawnV1,
    ),
    _entity(
        agreements,
        project_agreement,
        AgreementRecordedV1,
        AgreementUpdatedV1,
        withdrawn=AgreementWithdrawnV1,
    ),
    _entity(unions, project_union, UnionRecordedV1, UnionUpdatedV1, withdrawn=UnionWithdrawnV1),
)

_REPORTING: tuple[tuple[sa.Table, Mapping[str, Handler | Batched]], ...] = (
    (
        reporting_periods,
        {
            # Every domain service's closures, under the service's name.
            module.ReportingPeriodUpdatedV1.event_type: _reporting(service.name)
            for service, module in zip(DOMAIN_SERVICES, DOMAINS, strict=True)
        },
    ),
)

HANDLERS: Mapping[str, Handler | Batched] = {
    event_type: handler
    for _, handlers in (*_BY_TABLE, *_REPORTING)
    for event_type, handler in handlers.items()
}
"""The handler of each event type."""

TABLE_OF: Mapping[str, sa.Table] = {
    event_type: table for table, handlers in (*_BY_TABLE, *_REPORTING) for event_type in handlers
}
"""The projection each event type changes (the row its ``id`` names)."""
