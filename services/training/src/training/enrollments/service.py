"""Enrolment rules: the program must be the caller's, one enrolment per person and program,
upsert by external_id, publish the snapshot via the outbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from shared.auth import Principal
from shared.events.training import EnrollmentRecordedV1, EnrollmentUpdatedV1
from shared.listing import Listing
from shared.outbox import enqueue
from shared.records import (
    Change,
    Page,
    WriteResult,
    between,
    ensure_once,
    get_visible,
    matching,
    page,
    upsert_record,
    utcnow,
)
from shared.rules import Person, Rules
from sqlalchemy.ext.asyncio import AsyncSession

from training.db import outbox
from training.enrollments.models import Enrollment, EnrollmentCreate, EnrollmentPublic
from training.programs.models import Program


@dataclass(frozen=True)
class EnrollmentChecks:
    """What the rules established about an enrolment sent for writing."""

    program: Program
    person: Person


async def check_enrollment(rules: Rules) -> EnrollmentChecks | None:
    """The caller's program (in the caller's regions) and the NIK (agreeing with the person)."""
    program = await _program(rules)
    person = rules.person()
    if program is None or person is None:
        return None
    return EnrollmentChecks(program=program, person=person)


async def upsert_enrollment(
    session: AsyncSession, *, principal: Principal, data: EnrollmentCreate, checks: EnrollmentChecks
) -> WriteResult:
    """Record or correct an enrolment; the row and its event (the caller commits)."""
    program, ref = checks.program, checks.person.person_ref
    # A second enrolment of one person in one program (a re-sent record under a new id)
    # would count the person twice in every training indicator.
    await ensure_once(
        session,
        Enrollment,
        within=sa.inspect(Enrollment).columns.program_id == program.id,
        person_ref=ref,
        principal=principal,
        external_id=data.external_id,
        detail="this person is already enrolled in the program as {other!r}",
    )
    values = data.model_dump(exclude={"external_id", "nik", "program_external_id"})
    values.update(
        program_id=program.id,
        region_code=program.region_code,
        nik=checks.person.nik,
        person_ref=ref,
    )
    row, change = await upsert_record(
        session, Enrollment, principal=principal, external_id=data.external_id, values=values
    )
    if change is not Change.UNCHANGED:
        cls = EnrollmentRecordedV1 if change is Change.CREATED else EnrollmentUpdatedV1
        await enqueue(session, outbox, _event(cls, row))
    return WriteResult(id=row.id, external_id=row.external_id, revision=row.revision, change=change)


async def follow_program(session: AsyncSession, *, program_id: uuid.UUID, region_code: str) -> None:
    """Move a program's enrolments to its (corrected) region, each a new revision (no commit)."""
    columns = sa.inspect(Enrollment).columns
    rows = await session.scalars(
        sa.select(Enrollment)
        .where(columns.program_id == program_id, columns.region_code != region_code)
        .order_by(columns.id)
        .with_for_update()
    )
    for row in list(rows):
        row.region_code = region_code
        row.revision += 1
        row.updated_at = utcnow()
        await enqueue(session, outbox, _event(EnrollmentUpdatedV1, row))
    await session.flush()


async def _program(rules: Rules) -> Program | None:
    # Locked until commit: a concurrent correction of the program's region then waits and
    # moves this enrolment too, and two enrolments of one person cannot both pass the check.
    return await rules.own(Program, "program_external_id", what="program", lock=True)


def _event(
    cls: type[EnrollmentRecordedV1] | type[EnrollmentUpdatedV1], row: Enrollment
) -> EnrollmentRecordedV1 | EnrollmentUpdatedV1:
    return cls(
        id=row.id,
        revision=row.revision,
        program_id=str(row.program_id),
        region_code=row.region_code,
        person_ref=row.person_ref,
        sex=row.sex,
        birth_year=row.birth_date.year,
        enrolled_at=row.enrolled_at,
        status=row.status,
        completed_at=row.completed_at,
        certified=row.certified,
    )


def to_public(row: Enrollment) -> EnrollmentPublic:
    """The read model of an enrolment (no part of the NIK)."""
    return EnrollmentPublic.model_validate(row)


async def get_enrollment(
    session: AsyncSession, *, principal: Principal, enrollment_id: uuid.UUID
) -> Enrollment | None:
    """An enrolment of the caller's regions, or None."""
    return await get_visible(session, Enrollment, principal=principal, record_id=enrollment_id)


async def list_enrollments(
    session: AsyncSession,
    *,
    principal: Principal,
    listing: Listing,
    program_id: uuid.UUID | None,
    status: str | None,
    certified: bool | None,
    enrolled_from: date | None,
    enrolled_to: date | None,
    person_ref: str | None = None,
) -> Page[EnrollmentPublic]:
    """Enrolments of the caller's regions, in the sync order."""
    columns = sa.inspect(Enrollment).columns
    where = [
        *matching(
            Enrollment,
            program_id=program_id,
            status=status,
            certified=certified,
            person_ref=person_ref,
        ),
        *between(columns.enrolled_at, enrolled_from, enrolled_to),
    ]
    return await page(
        session,
        Enrollment,
        listing=listing,
        principal=principal,
        where=where,
        convert=to_public,
    )
