"""Placement rules: the worker must be a registered job seeker; upsert; publish."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from shared.auth import Principal
from shared.errors import invalid
from shared.events.job_market import PlacementRecordedV1, PlacementUpdatedV1
from shared.identifiers import NikMismatch, compact_nik, person_ref
from shared.outbox import enqueue
from shared.records import (
    Change,
    Page,
    WriteResult,
    get_visible,
    matching,
    page,
    region_for_write,
    upsert_record,
    visible,
)
from shared.regions import registry
from sqlalchemy.ext.asyncio import AsyncSession

from job_market.db import outbox
from job_market.job_seekers.models import JobSeeker
from job_market.placements.models import Placement, PlacementCreate, PlacementPublic
from job_market.vacancies.models import Vacancy


async def upsert_placement(
    session: AsyncSession, *, principal: Principal, data: PlacementCreate, secret: str
) -> WriteResult:
    """Record or correct a placement; commit the row and its event together."""
    region = region_for_write(principal, data.region_code)
    try:
        ref = person_ref(compact_nik(data.nik, regions=registry()), secret=secret)
    except NikMismatch as exc:
        raise invalid("nik", str(exc)) from exc
    job_seeker = await _job_seeker(session, ref=ref, region=region)
    vacancy_id = None
    if data.vacancy_external_id is not None:
        vacancy_id = await session.scalar(
            sa.select(sa.inspect(Vacancy).columns.id).where(
                sa.inspect(Vacancy).columns.source_client == principal.client_id,
                sa.inspect(Vacancy).columns.external_id == data.vacancy_external_id,
            )
        )
        if vacancy_id is None:
            raise invalid("vacancy_external_id", "no vacancy with this external_id")
    values = data.model_dump(exclude={"external_id", "nik", "vacancy_external_id"})
    values.update(
        region_code=region, job_seeker_id=job_seeker.id, vacancy_id=vacancy_id, person_ref=ref
    )
    row, change = await upsert_record(
        session, Placement, principal=principal, external_id=data.external_id, values=values
    )
    if change is not Change.UNCHANGED:
        cls = PlacementRecordedV1 if change is Change.CREATED else PlacementUpdatedV1
        event = cls(
            id=row.id,
            revision=row.revision,
            region_code=row.region_code,
            person_ref=row.person_ref,
            job_seeker_id=str(row.job_seeker_id),
            vacancy_id=str(row.vacancy_id) if row.vacancy_id else None,
            employer_nib=row.employer_nib,
            placed_at=row.placed_at,
            mechanism=row.mechanism,
        )
        await enqueue(session, outbox, event)
    await session.commit()
    return WriteResult(id=row.id, external_id=row.external_id, revision=row.revision, change=change)


async def _job_seeker(session: AsyncSession, *, ref: str, region: str) -> JobSeeker:
    # A worker placed between regions (AKAD) may be registered elsewhere: prefer the
    # registration in the placement's region, else the most recent one.
    columns = sa.inspect(JobSeeker).columns
    row = await session.scalar(
        sa.select(JobSeeker)
        .where(columns.person_ref == ref)
        .order_by((columns.region_code == region).desc(), columns.registered_at.desc())
        .limit(1)
    )
    if row is None:
        raise invalid("nik", "no job seeker is registered with this NIK")
    return row


def to_public(row: Placement) -> PlacementPublic:
    """The read model of a placement."""
    return PlacementPublic.model_validate(row)


async def get_placement(
    session: AsyncSession, *, principal: Principal, placement_id: uuid.UUID
) -> Placement | None:
    """A placement of the caller's regions, or None."""
    return await get_visible(session, Placement, principal=principal, record_id=placement_id)


async def list_placements(
    session: AsyncSession,
    *,
    principal: Principal,
    region_code: str | None,
    mechanism: str | None,
    limit: int,
    offset: int,
) -> Page[PlacementPublic]:
    """Placements of the caller's regions, newest first."""
    columns = sa.inspect(Placement).columns
    return await page(
        session,
        Placement,
        where=[
            *visible(Placement, principal),
            *matching(Placement, region_code=region_code, mechanism=mechanism),
        ],
        order_by=[columns.placed_at.desc(), columns.id],
        limit=limit,
        offset=offset,
        convert=to_public,
    )
