"""Placement rules: the worker and vacancy resolved in the caller's own records; upsert; publish.

References resolve only inside the caller's regions, and the answer never differs between "a
job seeker registered in a region this client cannot see" and "no job seeker": a local
placement (AKL) needs the job seeker in the caller's regions; a placement between regions
(AKAD) or abroad (AKAN) of a worker registered elsewhere is accepted without a job seeker and
links to the person in the aggregation through ``person_ref`` only.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from shared.auth import Principal
from shared.events.job_market import PlacementRecordedV2, PlacementUpdatedV2
from shared.listing import Listing
from shared.outbox import enqueue
from shared.records import (
    Change,
    Page,
    WriteResult,
    current,
    get_visible,
    matching,
    page,
    upsert_record,
    visible,
)
from shared.rules import Person, Rules
from sqlalchemy.ext.asyncio import AsyncSession

from job_market.db import outbox
from job_market.job_seekers.models import JobSeeker
from job_market.job_seekers.service import mark_placed, set_status
from job_market.placements.models import Placement, PlacementCreate, PlacementPublic
from job_market.vacancies.models import Vacancy


@dataclass(frozen=True)
class PlacementChecks:
    """What the rules established about a placement sent for writing."""

    region: str
    person: Person
    job_seeker_id: uuid.UUID | None
    vacancy_id: uuid.UUID | None


async def check_placement(rules: Rules) -> PlacementChecks | None:
    """The regency, the worker's NIK, their job seeker record and the vacancy, if any."""
    region, person = rules.region(), rules.person()
    job_seeker_id = None
    if region is not None and person is not None:
        job_seeker_id = await _job_seeker_id(
            rules.session, principal=rules.principal, ref=person.person_ref, region=region
        )
        if job_seeker_id is None and rules.raw("mechanism") == "AKL":
            rules.add("nik", "no job seeker with this NIK is registered in this client's regions")
    vacancy_id = None
    vacancy = rules.text("vacancy_external_id")
    if vacancy is not None:
        columns = sa.inspect(Vacancy).columns
        vacancy_id = await rules.session.scalar(
            sa.select(columns.id).where(
                columns.source_client == rules.principal.client_id,
                columns.external_id == vacancy,
                *current(Vacancy),
            )
        )
        if vacancy_id is None:
            rules.add("vacancy_external_id", "this client has no vacancy with this external_id")
    if region is None or person is None:
        return None
    return PlacementChecks(
        region=region, person=person, job_seeker_id=job_seeker_id, vacancy_id=vacancy_id
    )


async def _job_seeker_id(
    session: AsyncSession, *, principal: Principal, ref: str, region: str
) -> uuid.UUID | None:
    # Among the caller's regions, the registration in the placement's region first, else the
    # most recent one.
    columns = sa.inspect(JobSeeker).columns
    found: uuid.UUID | None = await session.scalar(
        sa.select(columns.id)
        .where(columns.person_ref == ref, *visible(JobSeeker, principal), *current(JobSeeker))
        .order_by((columns.region_code == region).desc(), columns.registered_at.desc())
        .limit(1)
    )
    return found


async def upsert_placement(
    session: AsyncSession, *, principal: Principal, data: PlacementCreate, checks: PlacementChecks
) -> WriteResult:
    """Record or correct a placement; the row and its event (the caller commits)."""
    values = data.model_dump(exclude={"external_id", "nik", "vacancy_external_id"})
    values.update(
        region_code=checks.region,
        job_seeker_id=checks.job_seeker_id,
        vacancy_id=checks.vacancy_id,
        person_ref=checks.person.person_ref,
    )
    row, change = await upsert_record(
        session, Placement, principal=principal, external_id=data.external_id, values=values
    )
    if change is not Change.UNCHANGED:
        cls = PlacementRecordedV2 if change is Change.CREATED else PlacementUpdatedV2
        event = cls(
            id=row.id,
            revision=row.revision,
            region_code=row.region_code,
            person_ref=row.person_ref,
            job_seeker_id=str(row.job_seeker_id) if row.job_seeker_id else None,
            vacancy_id=str(row.vacancy_id) if row.vacancy_id else None,
            employer_nib=row.employer_nib,
            placed_at=row.placed_at,
            mechanism=row.mechanism,
        )
        await enqueue(session, outbox, event)
        if row.job_seeker_id is not None:
            await mark_placed(session, principal=principal, job_seeker_id=row.job_seeker_id)
    return WriteResult(id=row.id, external_id=row.external_id, revision=row.revision, change=change)


async def after_withdrawal(session: AsyncSession, *, principal: Principal, row: Any) -> None:
    """A withdrawn placement: its job seeker, placed by no other current placement, is
    ``active`` again."""
    if row.job_seeker_id is None:
        return
    columns = sa.inspect(Placement).columns
    others = await session.scalar(
        sa.select(sa.func.count())
        .select_from(Placement)
        .where(columns.job_seeker_id == row.job_seeker_id, *current(Placement))
    )
    if not others:
        await set_status(
            session,
            principal=principal,
            job_seeker_id=row.job_seeker_id,
            status="active",
            was="placed",
        )


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
    listing: Listing,
    mechanism: str | None,
) -> Page[PlacementPublic]:
    """Placements of the caller's regions, in the sync order."""
    return await page(
        session,
        Placement,
        listing=listing,
        principal=principal,
        where=[
            *matching(Placement, mechanism=mechanism),
        ],
        convert=to_public,
    )
