"""Dispute rules: the caller's regency; upsert; publish the snapshot."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from shared.auth import Principal
from shared.events.industrial_relations import DisputeRecordedV1, DisputeUpdatedV1
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

from industrial_relations.db import outbox
from industrial_relations.disputes.models import Dispute, DisputeCreate, DisputePublic


def dispute_values(data: DisputeCreate, checks: str) -> dict[str, Any]:
    """The row values of a dispute in the checked regency ``checks`` (without the key)."""
    return data.model_dump(exclude={"external_id"}) | {"region_code": checks}


def dispute_event(row: Any, change: Change) -> DisputeRecordedV1 | DisputeUpdatedV1:
    """The event of a written dispute."""
    cls = DisputeRecordedV1 if change is Change.CREATED else DisputeUpdatedV1
    return cls(
        id=row.id,
        revision=row.revision,
        employer_nib=row.employer_nib,
        region_code=row.region_code,
        registered_at=row.registered_at,
        type=row.type,
        stage=row.stage,
        status=row.status,
        settled_at=row.settled_at,
        settlement=row.settlement,
        workers_involved=row.workers_involved,
    )


async def upsert_dispute(
    session: AsyncSession, *, principal: Principal, data: DisputeCreate, checks: str
) -> WriteResult:
    """Register or correct a dispute in the checked regency ``checks`` (the caller commits)."""
    row, change = await write_record(
        session,
        Dispute,
        principal=principal,
        external_id=data.external_id,
        values=dispute_values(data, checks),
        outbox=outbox,
        event=dispute_event,
    )
    return WriteResult(id=row.id, external_id=row.external_id, revision=row.revision, change=change)


async def get_dispute(
    session: AsyncSession, *, principal: Principal, dispute_id: uuid.UUID
) -> Dispute | None:
    """A dispute of the caller's regions, or None."""
    return await get_visible(session, Dispute, principal=principal, record_id=dispute_id)


async def list_disputes(
    session: AsyncSession,
    *,
    principal: Principal,
    listing: Listing,
    employer_nib: str | None,
    dispute_type: str | None,
    status: str | None,
    registered_from: date | None,
    registered_to: date | None,
) -> Page[DisputePublic]:
    """Disputes of the caller's regions, in the sync order."""
    return await page(
        session,
        Dispute,
        listing=listing,
        principal=principal,
        where=[
            *matching(Dispute, employer_nib=employer_nib, type=dispute_type, status=status),
            *between(sa.inspect(Dispute).columns.registered_at, registered_from, registered_to),
        ],
        convert=DisputePublic.model_validate,
    )
