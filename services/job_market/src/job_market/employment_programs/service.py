"""Employment-program rules: upsert by external_id, publish the snapshot, keep the
beneficiaries in the program's region and kind."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from shared.auth import Principal
from shared.events.job_market import EmploymentProgramRecordedV1, EmploymentProgramUpdatedV1
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

from job_market.db import outbox
from job_market.employment_programs.models import (
    EmploymentProgram,
    EmploymentProgramCreate,
    EmploymentProgramPublic,
)
from job_market.program_beneficiaries.service import follow_program


def program_values(data: EmploymentProgramCreate, checks: str) -> dict[str, Any]:
    """The row values of a program in the checked regency ``checks`` (without the key)."""
    return data.model_dump(exclude={"external_id"}) | {"region_code": checks}


def program_event(
    row: Any, change: Change
) -> EmploymentProgramRecordedV1 | EmploymentProgramUpdatedV1:
    """The event of a written program."""
    cls = EmploymentProgramRecordedV1 if change is Change.CREATED else EmploymentProgramUpdatedV1
    return cls(
        id=row.id,
        revision=row.revision,
        region_code=row.region_code,
        kind=row.kind,
        start_date=row.start_date,
        end_date=row.end_date,
        budget_idr=row.budget_idr,
    )


async def upsert_program(
    session: AsyncSession, *, principal: Principal, data: EmploymentProgramCreate, checks: str
) -> WriteResult:
    """Record or correct a program in the checked regency ``checks``: the row, its event and
    its beneficiaries' (the caller commits)."""
    row, change = await write_record(
        session,
        EmploymentProgram,
        principal=principal,
        external_id=data.external_id,
        values=program_values(data, checks),
        outbox=outbox,
        event=program_event,
    )
    if change is Change.UPDATED:
        # A beneficiary's region and kind are its program's: a correction moves them all.
        await follow_program(session, program_id=row.id, region_code=row.region_code, kind=row.kind)
    return WriteResult(id=row.id, external_id=row.external_id, revision=row.revision, change=change)


async def get_program(
    session: AsyncSession, *, principal: Principal, program_id: uuid.UUID
) -> EmploymentProgram | None:
    """A program of the caller's regions, or None."""
    return await get_visible(session, EmploymentProgram, principal=principal, record_id=program_id)


async def list_programs(
    session: AsyncSession,
    *,
    principal: Principal,
    listing: Listing,
    kind: str | None,
    started_from: date | None,
    started_to: date | None,
) -> Page[EmploymentProgramPublic]:
    """Programs of the caller's regions, in the sync order."""
    columns = sa.inspect(EmploymentProgram).columns
    return await page(
        session,
        EmploymentProgram,
        listing=listing,
        principal=principal,
        where=[
            *matching(EmploymentProgram, kind=kind),
            *between(columns.start_date, started_from, started_to),
        ],
        convert=EmploymentProgramPublic.model_validate,
    )
