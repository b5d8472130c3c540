"""Job seeker rules: validate, upsert by external_id, publish the snapshot via the outbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from shared.audit import trail
from shared.auth import Principal
from shared.events.job_market import JobSeekerRegisteredV1, JobSeekerUpdatedV1
from shared.listing import Listing
from shared.outbox import enqueue
from shared.records import (
    Change,
    Page,
    WriteResult,
    between,
    current,
    get_visible,
    matching,
    page,
    utcnow,
    write_record,
)
from shared.rules import Person, Rules
from sqlalchemy.ext.asyncio import AsyncSession

from job_market.db import outbox
from job_market.job_seekers.models import (
    JobSeeker,
    JobSeekerCreate,
    JobSeekerPublic,
    JobSeekerStatus,
)


@dataclass(frozen=True)
class JobSeekerChecks:
    """What the rules established about a job seeker sent for writing."""

    region: str
    person: Person


async def check_job_seeker(rules: Rules) -> JobSeekerChecks | None:
    """The regency (the caller's) and the NIK (agreeing with birth date and sex)."""
    region, person = rules.region(), rules.person()
    if region is None or person is None:
        return None
    return JobSeekerChecks(region=region, person=person)


def job_seeker_values(data: JobSeekerCreate, checks: JobSeekerChecks) -> dict[str, Any]:
    """The row values of a checked job seeker (without ``external_id``)."""
    values = data.model_dump(exclude={"external_id", "nik"})
    values.update(
        region_code=checks.region, nik=checks.person.nik, person_ref=checks.person.person_ref
    )
    return values


def job_seeker_event(row: Any, change: Change) -> JobSeekerRegisteredV1 | JobSeekerUpdatedV1:
    """The event of a written job seeker."""
    return _event(JobSeekerRegisteredV1 if change is Change.CREATED else JobSeekerUpdatedV1, row)


async def upsert_job_seeker(
    session: AsyncSession, *, principal: Principal, data: JobSeekerCreate, checks: JobSeekerChecks
) -> WriteResult:
    """Register or correct a job seeker; the row and its event (the caller commits)."""
    row, change = await write_record(
        session,
        JobSeeker,
        principal=principal,
        external_id=data.external_id,
        values=job_seeker_values(data, checks),
        outbox=outbox,
        event=job_seeker_event,
    )
    return WriteResult(id=row.id, external_id=row.external_id, revision=row.revision, change=change)


async def mark_placed(
    session: AsyncSession, *, principal: Principal, job_seeker_id: uuid.UUID
) -> None:
    """A placement names this job seeker: their status becomes ``placed`` (a new revision and
    its event, the caller commits). A withdrawn or already placed job seeker stays as it is."""
    await set_status(session, principal=principal, job_seeker_id=job_seeker_id, status="placed")


async def set_status(
    session: AsyncSession,
    *,
    principal: Principal,
    job_seeker_id: uuid.UUID,
    status: JobSeekerStatus,
    was: JobSeekerStatus | None = None,
) -> None:
    """Set a current job seeker's ``status`` (only from ``was``, if given): a new revision and
    its event (the caller commits). Placements decide it; the region may correct it."""
    row = await session.scalar(
        sa.select(JobSeeker)
        .where(sa.inspect(JobSeeker).columns.id == job_seeker_id, *current(JobSeeker))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None or row.status == status or (was is not None and row.status != was):
        return
    trail.note_write(session, row, principal=principal, previous_revision=row.revision)
    row.status = status
    row.revision += 1
    row.updated_at = utcnow()
    await session.flush()
    await enqueue(session, outbox, _event(JobSeekerUpdatedV1, row))


def _event(
    cls: type[JobSeekerRegisteredV1] | type[JobSeekerUpdatedV1], row: Any
) -> JobSeekerRegisteredV1 | JobSeekerUpdatedV1:
    return cls(
        id=row.id,
        revision=row.revision,
        region_code=row.region_code,
        person_ref=row.person_ref,
        sex=row.sex,
        birth_year=row.birth_date.year,
        education_level=row.education_level,
        disability=row.disability,
        registered_at=row.registered_at,
        status=row.status,
    )


def to_public(row: JobSeeker) -> JobSeekerPublic:
    """The read model of a job seeker (no part of the NIK)."""
    return JobSeekerPublic.model_validate(row)


async def get_job_seeker(
    session: AsyncSession, *, principal: Principal, job_seeker_id: uuid.UUID
) -> JobSeeker | None:
    """A job seeker of the caller's regions, or None."""
    return await get_visible(session, JobSeeker, principal=principal, record_id=job_seeker_id)


async def list_job_seekers(
    session: AsyncSession,
    *,
    principal: Principal,
    listing: Listing,
    status: str | None,
    registered_from: date | None,
    registered_to: date | None,
    person_ref: str | None = None,
) -> Page[JobSeekerPublic]:
    """Job seekers of the caller's regions, in the sync order."""
    columns = sa.inspect(JobSeeker).columns
    where = [
        *matching(
            JobSeeker,
            status=status,
            person_ref=person_ref,
        ),
        *between(columns.registered_at, registered_from, registered_to),
    ]
    return await page(
        session,
        JobSeeker,
        listing=listing,
        principal=principal,
        where=where,
        convert=to_public,
    )
