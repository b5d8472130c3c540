"""Agreement rules: the caller's regency; upsert; publish the snapshot."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import sqlalchemy as sa
from shared.auth import Principal
from shared.events.industrial_relations import AgreementRecordedV1, AgreementUpdatedV1
from shared.listing import Listing
from shared.records import (
    Change,
    Page,
    WriteResult,
    get_visible,
    matching,
    page,
    write_record,
)
from sqlalchemy.ext.asyncio import AsyncSession

from industrial_relations.agreements.models import Agreement, AgreementCreate, AgreementPublic
from industrial_relations.db import outbox


def agreement_values(data: AgreementCreate, checks: str) -> dict[str, Any]:
    """The row values of an agreement in the checked regency ``checks`` (without the key)."""
    return data.model_dump(exclude={"external_id"}) | {"region_code": checks}


def agreement_event(row: Any, change: Change) -> AgreementRecordedV1 | AgreementUpdatedV1:
    """The event of a written agreement."""
    cls = AgreementRecordedV1 if change is Change.CREATED else AgreementUpdatedV1
    return cls(
        id=row.id,
        revision=row.revision,
        employer_nib=row.employer_nib,
        region_code=row.region_code,
        kind=row.kind,
        registered_at=row.registered_at,
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        workers_covered=row.workers_covered,
    )


async def upsert_agreement(
    session: AsyncSession, *, principal: Principal, data: AgreementCreate, checks: str
) -> WriteResult:
    """Register or correct a PKB or PP in the checked regency ``checks`` (the caller commits)."""
    row, change = await write_record(
        session,
        Agreement,
        principal=principal,
        external_id=data.external_id,
        values=agreement_values(data, checks),
        outbox=outbox,
        event=agreement_event,
    )
    return WriteResult(id=row.id, external_id=row.external_id, revision=row.revision, change=change)


async def get_agreement(
    session: AsyncSession, *, principal: Principal, agreement_id: uuid.UUID
) -> Agreement | None:
    """An agreement of the caller's regions, or None."""
    return await get_visible(session, Agreement, principal=principal, record_id=agreement_id)


async def list_agreements(
    session: AsyncSession,
    *,
    principal: Principal,
    listing: Listing,
    employer_nib: str | None,
    kind: str | None,
    in_force_on: date | None,
) -> Page[AgreementPublic]:
    """Agreements of the caller's regions, in the sync order."""
    columns = sa.inspect(Agreement).columns
    where = matching(Agreement, employer_nib=employer_nib, kind=kind)
    if in_force_on is not None:
        where += [columns.valid_from <= in_force_on, columns.valid_until >= in_force_on]
    return await page(
        session,
        Agreement,
        listing=listing,
        principal=principal,
        where=where,
        convert=AgreementPublic.model_validate,
    )
