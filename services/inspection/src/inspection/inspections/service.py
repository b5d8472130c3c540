"""Inspection rules: the company must be registered; upsert; publish the snapshot."""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from shared.auth import Principal
from shared.events.inspection import Finding, InspectionRecordedV1, InspectionUpdatedV1
from shared.outbox import enqueue
from shared.records import Change, Page, WriteResult, region_for_write, upsert_record, visible
from sqlalchemy.ext.asyncio import AsyncSession

from inspection.companies.service import company_for
from inspection.db import outbox
from inspection.inspections.models import Inspection, InspectionCreate, InspectionPublic


async def upsert_inspection(
    session: AsyncSession, *, principal: Principal, data: InspectionCreate
) -> WriteResult:
    """Record or correct an inspection; commit the row and its event together."""
    region = region_for_write(principal, data.region_code)
    company = await company_for(session, nib=data.company_nib, region=region)
    values = data.model_dump(exclude={"external_id"})
    values.update(region_code=region, company_id=company.id)
    row, change = await upsert_record(
        session, Inspection, principal=principal, external_id=data.external_id, values=values
    )
    if change is not Change.UNCHANGED:
        cls = InspectionRecordedV1 if change is Change.CREATED else InspectionUpdatedV1
        event = cls(
            id=row.id,
            revision=row.revision,
            company_nib=row.company_nib,
            region_code=row.region_code,
            inspected_at=row.inspected_at,
            type=row.type,
            findings=[Finding.model_validate(f) for f in row.findings],
        )
        await enqueue(session, outbox, event)
    await session.commit()
    return WriteResult(id=row.id, external_id=row.external_id, revision=row.revision, change=change)


def to_public(row: Inspection) -> InspectionPublic:
    """The read model of an inspection."""
    return InspectionPublic.model_validate(row)


async def get_inspection(
    session: AsyncSession, *, principal: Principal, inspection_id: uuid.UUID
) -> Inspection | None:
    """An inspection of the caller's regions, or None."""
    row = await session.get(Inspection, inspection_id)
    if row is None or not principal.allows_region(row.region_code):
        return None
    return row


async def list_inspections(
    session: AsyncSession,
    *,
    principal: Principal,
    region_code: str | None,
    company_nib: str | None,
    inspection_type: str | None,
    finding_status: str | None,
    inspected_from: date | None,
    inspected_to: date | None,
    external_id: str | None,
    limit: int,
    offset: int,
) -> Page[InspectionPublic]:
    """Inspections of the caller's regions, newest first."""
    columns = sa.inspect(Inspection).columns
    where = visible(Inspection, principal)
    if region_code is not None:
        where.append(columns.region_code == region_code)
    if company_nib is not None:
        where.append(columns.company_nib == company_nib)
    if inspection_type is not None:
        where.append(columns.type == inspection_type)
    if finding_status is not None:
        where.append(columns.findings.contains([{"status": finding_status}]))
    if inspected_from is not None:
        where.append(columns.inspected_at >= inspected_from)
    if inspected_to is not None:
        where.append(columns.inspected_at <= inspected_to)
    if external_id is not None:
        where.append(columns.external_id == external_id)
    total = await session.scalar(sa.select(sa.func.count()).select_from(Inspection).where(*where))
    rows = await session.scalars(
        sa.select(Inspection)
        .where(*where)
        .order_by(columns.inspected_at.desc(), columns.id)
        .limit(limit)
        .offset(offset)
    )
    return Page(items=[to_public(r) for r in rows], total=total or 0, limit=limit, offset=offset)
