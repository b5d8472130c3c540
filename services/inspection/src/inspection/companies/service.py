"""Company rules: upsert by NIB, publish the snapshot via the outbox, find a company by NIB."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa
from shared.auth import Principal
from shared.events.inspection import CompanyRegisteredV1, CompanyUpdatedV1
from shared.listing import Listing
from shared.records import (
    Change,
    Page,
    WriteResult,
    current,
    get_visible,
    matching,
    page,
    visible,
    write_record,
)
from shared.rules import Rules
from sqlalchemy.ext.asyncio import AsyncSession

from inspection.companies.models import Company, CompanyCreate, CompanyPublic
from inspection.db import outbox


def company_values(data: CompanyCreate, checks: str) -> dict[str, Any]:
    """The row values of a company in the checked regency ``checks``."""
    return data.model_dump() | {"region_code": checks}


def company_event(row: Any, change: Change) -> CompanyRegisteredV1 | CompanyUpdatedV1:
    """The event of a written company."""
    cls = CompanyRegisteredV1 if change is Change.CREATED else CompanyUpdatedV1
    return cls(
        id=row.id,
        revision=row.revision,
        nib=row.nib,
        region_code=row.region_code,
        kbli_code=row.kbli_code,
        workers_male=row.workers_male,
        workers_female=row.workers_female,
    )


async def upsert_company(
    session: AsyncSession, *, principal: Principal, data: CompanyCreate, checks: str
) -> WriteResult:
    """Register or correct a company (keyed by NIB) in the checked regency ``checks``: the row
    and its event (the caller commits)."""
    row, change = await write_record(
        session,
        Company,
        principal=principal,
        external_id=data.nib,
        values=company_values(data, checks),
        outbox=outbox,
        event=company_event,
    )
    return WriteResult(id=row.id, external_id=row.external_id, revision=row.revision, change=change)


async def check_company(
    rules: Rules, *, region: str | None, field: str = "company_nib"
) -> Company | None:
    """The company a record at ``region`` names by NIB, among the caller's regions' companies.

    Only the company records of the caller's regions count, the one of ``region`` first: a
    region registering a NIB never changes what another region's records link to, and the
    answer never tells whether the NIB is registered in a region the caller cannot see.
    """
    nib = rules.text(field)
    if nib is None or region is None:
        return None
    columns = sa.inspect(Company).columns
    row: Company | None = await rules.session.scalar(
        sa.select(Company)
        .where(columns.nib == nib, *visible(Company, rules.principal), *current(Company))
        .order_by((columns.region_code == region).desc(), columns.updated_at.desc())
        .limit(1)
    )
    if row is None:
        rules.add(field, f"no company with NIB {nib} is registered in this client's regions")
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
    listing: Listing,
    nib: str | None,
    kbli_code: str | None,
) -> Page[CompanyPublic]:
    """Companies of the caller's regions, in the sync order."""
    return await page(
        session,
        Company,
        listing=listing,
        principal=principal,
        where=[
            *matching(Company, nib=nib, kbli_code=kbli_code),
        ],
        convert=CompanyPublic.model_validate,
    )
