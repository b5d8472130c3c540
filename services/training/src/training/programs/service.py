"""Program rules: upsert by external_id, publish the snapshot, keep enrolments in its region."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from shared.auth import Principal
from shared.events.training import ProgramCreatedV1, ProgramUpdatedV1
from shared.outbox import enqueue
from shared.records import Change, Page, WriteResult, region_for_write, upsert_record, visible
from sqlalchemy.ext.asyncio import AsyncSession

from training.db import outbox
from training.enrollments.service import follow_program
from training.programs.models import Program, ProgramCreate, ProgramPublic


async def upsert_program(
    session: AsyncSession, *, principal: Principal, data: ProgramCreate
) -> WriteResult:
    """Register or correct a program; commit the row, its event and its enrolments together."""
    region = region_for_write(principal, data.region_code)
    values = data.model_dump(exclude={"external_id"})
    values["region_code"] = region
    row, change = await upsert_record(
        session, Program, principal=principal, external_id=data.external_id, values=values
    )
    if change is not Change.UNCHANGED:
        cls = ProgramCreatedV1 if change is Change.CREATED else ProgramUpdatedV1
        event = cls(
            id=row.id,
            revision=row.revision,
            region_code=row.region_code,
            provider_type=row.provider_type,
            vocational_field=row.vocational_field,
            start_date=row.start_date,
            end_date=row.end_date,
            capacity=row.capacity,
        )
        await enqueue(session, outbox, event)
    if change is Change.UPDATED:
        # An enrolment's region is its program's: a corrected program region moves them all.
        await follow_program(session, program_id=row.id, region_code=row.region_code)
    await session.commit()
    return WriteResult(id=row.id, external_id=row.external_id, revision=row.revision, change=change)


async def get_program(
    session: AsyncSession, *, principal: Principal, program_id: uuid.UUID
) -> Program | None:
    """A program of the caller's regions, or None."""
    row = await session.get(Program, program_id)
    if row is None or not principal.allows_region(row.region_code):
        return None
    return row


async def list_programs(
    session: AsyncSession,
    *,
    principal: Principal,
    region_code: str | None,
    provider_type: str | None,
    vocational_field: str | None,
    starts_from: date | None,
    starts_to: date | None,
    external_id: str | None,
    limit: int,
    offset: int,
) -> Page[ProgramPublic]:
    """Programs of the caller's regions, latest start first."""
    columns = sa.inspect(Program).columns
    where = visible(Program, principal)
    if region_code is not None:
        where.append(columns.region_code == region_code)
    if provider_type is not None:
        where.append(columns.provider_type == provider_type)
    if vocational_field is not None:
        where.append(columns.vocational_field == vocational_field)
    if starts_from is not None:
        where.append(columns.start_date >= starts_from)
    if starts_to is not None:
        where.append(columns.start_date <= starts_to)
    if external_id is not None:
        where.append(columns.external_id == external_id)
    total = await session.scalar(sa.select(sa.func.count()).select_from(Program).where(*where))
    rows = await session.scalars(
        sa.select(Program)
        .where(*where)
        .order_by(columns.start_date.desc(), columns.id)
        .limit(limit)
        .offset(offset)
    )
    items = [ProgramPublic.model_validate(r) for r in rows]
    return Page(items=items, total=total or 0, limit=limit, offset=offset)
