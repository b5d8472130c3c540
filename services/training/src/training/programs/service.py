"""Program rules: upsert by external_id, publish the snapshot, keep enrolments in its region."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from shared.auth import Principal
from shared.events.training import ProgramCreatedV1, ProgramUpdatedV1
from shared.listing import Listing
from shared.records import (
    Change,
    Page,
    WriteResult,
    between,
    get_visible,
    matching,
    page,
    write_record,
)
from sqlalchemy.ext.asyncio import AsyncSession

from training.db import outbox
from training.enrollments.service import follow_program
from training.programs.models import Program, ProgramCreate, ProgramPublic


def program_values(data: ProgramCreate, checks: str) -> dict[str, Any]:
    """The row values of a program in the checked regency ``checks`` (without ``external_id``)."""
    return data.model_dump(exclude={"external_id"}) | {"region_code": checks}


def program_event(row: Any, change: Change) -> ProgramCreatedV1 | ProgramUpdatedV1:
    """The event of a written program."""
    cls = ProgramCreatedV1 if change is Change.CREATED else ProgramUpdatedV1
    return cls(
        id=row.id,
        revision=row.revision,
        region_code=row.region_code,
        provider_type=row.provider_type,
        vocational_field=row.vocational_field,
        start_date=row.start_date,
        end_date=row.end_date,
        capacity=row.capacity,
    )


async def upsert_program(
    session: AsyncSession, *, principal: Principal, data: ProgramCreate, checks: str
) -> WriteResult:
    """Register or correct a program in the checked regency ``checks``: the row, its event and
    its enrolments' (the caller commits)."""
    row, change = await write_record(
        session,
        Program,
        principal=principal,
        external_id=data.external_id,
        values=program_values(data, checks),
        outbox=outbox,
        event=program_event,
    )
    if change is Change.UPDATED:
        # An enrolment's region is its program's: a corrected program region moves them all.
        await follow_program(session, program_id=row.id, region_code=row.region_code)
    return WriteResult(id=row.id, external_id=row.external_id, revision=row.revision, change=change)


async def get_program(
    session: AsyncSession, *, principal: Principal, program_id: uuid.UUID
) -> Program | None:
    """A program of the caller's regions, or None."""
    return await get_visible(session, Program, principal=principal, record_id=program_id)


async def list_programs(
    session: AsyncSession,
    *,
    principal: Principal,
    listing: Listing,
    provider_type: str | None,
    vocational_field: str | None,
    starts_from: date | None,
    starts_to: date | None,
) -> Page[ProgramPublic]:
    """Programs of the caller's regions, in the sync order."""
    columns = sa.inspect(Program).columns
    where = [
        *matching(
            Program,
            provider_type=provider_type,
            vocational_field=vocational_field,
        ),
        *between(columns.start_date, starts_from, starts_to),
    ]
    return await page(
        session,
        Program,
        listing=listing,
        principal=principal,
        where=where,
        convert=ProgramPublic.model_validate,
    )
