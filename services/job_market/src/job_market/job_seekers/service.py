"""Job seeker rules: validate, upsert by external_id, publish the snapshot via the outbox."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from shared.auth import Principal
from shared.events.job_market import JobSeekerRegisteredV1, JobSeekerUpdatedV1
from shared.identifiers import person_ref
from shared.outbox import enqueue
from shared.persons import mask_nik, valid_nik
from shared.records import (
    Change,
    Page,
    WriteResult,
    between,
    get_visible,
    matching,
    page,
    region_for_write,
    upsert_record,
    visible,
)
from sqlalchemy.ext.asyncio import AsyncSession

from job_market.db import outbox
from job_market.job_seekers.models import JobSeeker, JobSeekerCreate, JobSeekerPublic


async def upsert_job_seeker(
    session: AsyncSession, *, principal: Principal, data: JobSeekerCreate, secret: str
) -> WriteResult:
    """Register or correct a job seeker; commit the row and its event together."""
    region = region_for_write(principal, data.region_code)
    nik = valid_nik(data.nik, birth_date=data.birth_date, sex=data.sex)
    values = data.model_dump(exclude={"external_id", "nik"})
    values.update(region_code=region, nik=nik, person_ref=person_ref(nik, secret=secret))
    row, change = await upsert_record(
        session, JobSeeker, principal=principal, external_id=data.external_id, values=values
    )
    if change is not Change.UNCHANGED:
        event_cls = JobSeekerRegisteredV1 if change is Change.CREATED else JobSeekerUpdatedV1
        await enqueue(session, outbox, _event(event_cls, row))
    await session.commit()
    return WriteResult(id=row.id, external_id=row.external_id, revision=row.revision, change=change)


def _event(
    cls: type[JobSeekerRegisteredV1] | type[JobSeekerUpdatedV1], row: JobSeeker
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
    """The read model of a job seeker, NIK masked."""
    return JobSeekerPublic.model_validate(row, update={"nik_masked": mask_nik(row.nik)})


async def get_job_seeker(
    session: AsyncSession, *, principal: Principal, job_seeker_id: uuid.UUID
) -> JobSeeker | None:
    """A job seeker of the caller's regions, or None."""
    return await get_visible(session, JobSeeker, principal=principal, record_id=job_seeker_id)


async def list_job_seekers(
    session: AsyncSession,
    *,
    principal: Principal,
    region_code: str | None,
    status: str | None,
    registered_from: date | None,
    registered_to: date | None,
    external_id: str | None,
    limit: int,
    offset: int,
) -> Page[JobSeekerPublic]:
    """Job seekers of the caller's regions, newest registrations first."""
    columns = sa.inspect(JobSeeker).columns
    where = [
        *visible(JobSeeker, principal),
        *matching(JobSeeker, region_code=region_code, status=status, external_id=external_id),
        *between(columns.registered_at, registered_from, registered_to),
    ]
    return await page(
        session,
        JobSeeker,
        where=where,
        order_by=[columns.registered_at.desc(), columns.id],
        limit=limit,
        offset=offset,
        convert=to_public,
    )
