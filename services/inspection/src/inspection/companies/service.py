"""Company rules: upsert by NIB, publish the snapshot via the outbox, find a company by NIB."""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from shared.auth import Principal
from shared.errors import invalid
from shared.events.inspection import CompanyRegisteredV1, CompanyUpdatedV1
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
from sqlalchemy.ext.asyncio import AsyncSession

from inspection.companies.models import Company, CompanyCreate, CompanyPublic
from inspection.db import outbox


async def upsert_company(
    session: AsyncSession, *, principal: Principal, data: CompanyCreate
) -> WriteResult:
    """Register or correct a company (keyed by NIB); commit the row and its event together."""
    region = region_for_write(principal, data.region_code)
    values = data.model_dump()
    values["region_code"] = region
    row, change = await upsert_record(
        session, Company, principal=principal, external_id=data.nib, values=values
    )
    if change is not Change.UNCHANGED:
        cls = CompanyRegisteredV1 if change is Change.CREATED else CompanyUpdatedV1
        event = cls(
            id=row.id,
            revision=row.revision,
            nib=row.nib,
            region_code=row.region_code,
            kbli_code=row.kbli_code,
            workers_male=row.workers_male,
            workers_female=row.workers_female,
        )
        await enqueue(session, outbox, event)
    await session.commit()
    return WriteResult(id=row.id, external_id=row.external_id, revision=row.revision, change=change)


async def company_for(
    session: AsyncSession, *, nib: str, region: str, field: str = "company_nib"
) -> Company:
    """The company with this NIB, preferring its record in ``region``; else a 422 on ``field``."""
    # Several clients may have reported the same NIB (a ministry WLKP feed and a region, or
    # workplaces in two regions): the record of the region at hand is the one that applies.
    columns = sa.inspect(Company).columns
    row = await session.scalar(
        sa.select(Company)
        .where(columns.nib == nib)
        .order_by((columns.region_code == region).desc(), columns.updated_at.desc())
        .limit(1)
    )
    if row is None:
        raise invalid(field, f"no company with NIB {nib} is registered")
    return row


async def get_company(
    session: AsyncSession, *, principal: Principal, company_id: uuid.UUID
) -> Company | None:
    """A company of the caller's regions, or None."""
    return await get_visible(session, Company, principal=principal, record_id=company_id)


async def list_companies(
    session: AsyncSession,
    *,
    principal: Principal,
    region_code: str | None,
    nib: str | None,
    kbli_code: str | None,
    limit: int,
    offset: int,
) -> Page[CompanyPublic]:
    """Companies of the caller's regions, by name."""
    columns = sa.inspect(Company).columns
    return await page(
        session,
        Company,
        where=[
            *visible(Company, principal),
            *matching(Company, region_code=region_code, nib=nib, kbli_code=kbli_code),
        ],
        order_by=[columns.name, columns.id],
        limit=limit,
        offset=offset,
        convert=CompanyPublic.model_validate,
    )
