"""Beneficiary rules: the program must be the caller's, joined within it, one record per person
and program; upsert by external_id; publish the snapshot via the outbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from shared.auth import Principal
from shared.events.job_market import ProgramBeneficiaryRecordedV1, ProgramBeneficiaryUpdatedV1
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

from job_market.db import outbox
from job_market.employment_programs.models import EmploymentProgram
from job_market.program_beneficiaries.models import (
    Beneficiary,
    BeneficiaryCreate,
    BeneficiaryPublic,
)


@dataclass(frozen=True)
class BeneficiaryChecks:
    """What the rules established about a beneficiary sent for writing."""

    program: EmploymentProgram
    person: Person


async def check_beneficiary(rules: Rules) -> BeneficiaryChecks | None:
    """The caller's program (in the caller's regions, joined within it) and the NIK."""
    program = await _program(rules)
    person = rules.person()
    if program is None or person is None:
        return None
    joined = rules.date("joined_at")
    if joined is not None and not program.start_date <= joined <= program.end_date:
        rules.add(
            "joined_at",
            f"the program runs from {program.start_date} to {program.end_date}",
        )
        return None
    return BeneficiaryChecks(program=program, person=person)


async def upsert_beneficiary(
    session: AsyncSession,
    *,
    principal: Principal,
    data: BeneficiaryCreate,
    checks: BeneficiaryChecks,
) -> WriteResult:
    """Record or correct a beneficiary; the row and its event (the caller commits)."""
    program, ref = checks.program, checks.person.person_ref
    await ensure_once(
        session,
        Beneficiary,
        within=sa.inspect(Beneficiary).columns.program_id == program.id,
        person_ref=ref,
        principal=principal,
        external_id=data.external_id,
        detail="this person is already a beneficiary of the program as {other!r}",
    )
    values = data.model_dump(exclude={"external_id", "nik", "program_external_id"})
    values.update(
        program_id=program.id,
        region_code=program.region_code,
        program_kind=program.kind,
        nik=checks.person.nik,
        person_ref=ref,
    )
    row, change = await upsert_record(
        session, Beneficiary, principal=principal, external_id=data.external_id, values=values
    )
    if change is not Change.UNCHANGED:
        cls = (
            ProgramBeneficiaryRecordedV1
            if change is Change.CREATED
            else ProgramBeneficiaryUpdatedV1
        )
        await enqueue(session, outbox, _event(cls, row))
    return WriteResult(id=row.id, external_id=row.external_id, revision=row.revision, change=change)


async def follow_program(
    session: AsyncSession, *, program_id: uuid.UUID, region_code: str, kind: str
) -> None:
    """Move a program's beneficiaries to its (corrected) region and kind, each a new revision
    (no commit)."""
    columns = sa.inspect(Beneficiary).columns
    rows = await session.scalars(
        sa.select(Beneficiary)
        .where(
            columns.program_id == program_id,
            sa.or_(columns.region_code != region_code, columns.program_kind != kind),
        )
        .order_by(columns.id)
        .with_for_update()
    )
    for row in list(rows):
        row.region_code, row.program_kind = region_code, kind
        row.revision += 1
        row.updated_at = utcnow()
        await enqueue(session, outbox, _event(ProgramBeneficiaryUpdatedV1, row))
    await session.flush()


async def _program(rules: Rules) -> EmploymentProgram | None:
    # Locked until commit: a concurrent correction of the program then waits and moves this
    # beneficiary too.
    return await rules.own(EmploymentProgram, "program_external_id", what="program", lock=True)


def _event(
    cls: type[ProgramBeneficiaryRecordedV1] | type[ProgramBeneficiaryUpdatedV1], row: Beneficiary
) -> ProgramBeneficiaryRecordedV1 | ProgramBeneficiaryUpdatedV1:
    return cls(
        id=row.id,
        revision=row.revision,
        program_id=str(row.program_id),
        region_code=row.region_code,
        program_kind=row.program_kind,
        person_ref=row.person_ref,
        sex=row.sex,
        birth_year=row.birth_date.year,
        joined_at=row.joined_at,
    )


def to_public(row: Beneficiary) -> BeneficiaryPublic:
    """The read model of a beneficiary (no part of the NIK)."""
    return BeneficiaryPublic.model_validate(row)


async def get_beneficiary(
    session: AsyncSession, *, principal: Principal, beneficiary_id: uuid.UUID
) -> Beneficiary | None:
    """A beneficiary of the caller's regions, or None."""
    return await get_visible(session, Beneficiary, principal=principal, record_id=beneficiary_id)


async def list_beneficiaries(
    session: AsyncSession,
    *,
    principal: Principal,
    listing: Listing,
    program_id: uuid.UUID | None,
    joined_from: date | None,
    joined_to: date | None,
    person_ref: str | None = None,
) -> Page[BeneficiaryPublic]:
    """Beneficiaries of the caller's regions, in the sync order."""
    columns = sa.inspect(Beneficiary).columns
    return await page(
        session,
        Beneficiary,
        listing=listing,
        principal=principal,
        where=[
            *matching(Beneficiary, program_id=program_id, person_ref=person_ref),
            *between(columns.joined_at, joined_from, joined_to),
        ],
        convert=to_public,
    )
