"""Inspection rules: the company must be registered; upsert; publish the snapshot."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from shared.auth import Principal
from shared.events.inspection import Finding, InspectionRecordedV1, InspectionUpdatedV1
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
from shared.rules import Rules
from sqlalchemy.ext.asyncio import AsyncSession

from inspection.companies.models import Company
from inspection.companies.service import check_company
from inspection.db import outbox
from inspection.inspections.models import Inspection, InspectionCreate, InspectionPublic


@dataclass(frozen=True)
class InspectionChecks:
    """What the rules established about an inspection sent for writing."""

    region: str
    company: Company


async def check_inspection(rules: Rules) -> InspectionChecks | None:
    """The regency (the caller's) and the inspected company (among the caller's regions)."""
    region = rules.region()
    company = await check_company(rules, region=region)
    if region is None or company is None:
        return None
    return InspectionChecks(region=region, company=company)


async def upsert_inspection(
    session: AsyncSession, *, principal: Principal, data: InspectionCreate, checks: InspectionChecks
) -> WriteResult:
    """Record or correct an inspection; the row and its event (the caller commits)."""
    values = data.model_dump(exclude={"external_id"})
    values.update(region_code=checks.region, company_id=checks.company.id)
    row, change = await write_record(
        session,
        Inspection,
        principal=principal,
        external_id=data.external_id,
        values=values,
        outbox=outbox,
        event=inspection_event,
    )
    return WriteResult(id=row.id, external_id=row.external_id, revision=row.revision, change=change)


def inspection_event(row: Inspection, change: Change) -> InspectionRecordedV1 | InspectionUpdatedV1:
    """The event of a written inspection."""
    cls = InspectionRecordedV1 if change is Change.CREATED else InspectionUpdatedV1
    return cls(
        id=row.id,
        revision=row.revision,
        company_nib=row.company_nib,
        region_code=row.region_code,
        inspected_at=row.inspected_at,
        type=row.type,
        findings=[Finding.model_validate(f) for f in row.findings],
    )


def to_public(row: Inspection) -> InspectionPublic:
    """The read model of an inspection."""
    return InspectionPublic.model_validate(row)


async def get_inspection(
    session: AsyncSession, *, principal: Principal, inspection_id: uuid.UUID
) -> Inspection | None:
    """An inspection of the caller's regions, or None."""
    return await get_visible(session, Inspection, principal=principal, record_id=inspection_id)


async def list_inspections(
    session: AsyncSession,
    *,
    principal: Principal,
    listing: Listing,
    company_nib: str | None,
    inspection_type: str | None,
    finding_status: str | None,
    inspected_from: date | None,
    inspected_to: date | None,
) -> Page[InspectionPublic]:
    """Inspections of the caller's regions, in the sync order."""
    columns = sa.inspect(Inspection).columns
    where = [
        *matching(
            Inspection,
            company_nib=company_nib,
            type=inspection_type,
        ),
        *between(columns.inspected_at, inspected_from, inspected_to),
    ]
    if finding_status is not None:
        where.append(columns.findings.contains([{"status": finding_status}]))
    return await page(
        session,
        Inspection,
        listing=listing,
        principal=principal,
        where=where,
        convert=to_public,
    )
