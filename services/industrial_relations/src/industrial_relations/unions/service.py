"""Union rules: the caller's regency; upsert; publish the snapshot."""

from __future__ import annotations

import uuid
from typing import Any

from shared.auth import Principal
from shared.events.industrial_relations import UnionRecordedV1, UnionUpdatedV1
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

from industrial_relations.db import outbox
from industrial_relations.unions.models import Union, UnionCreate, UnionPublic


def union_values(data: UnionCreate, checks: str) -> dict[str, Any]:
    """The row values of a union in the checked regency ``checks`` (without the key)."""
    return data.model_dump(exclude={"external_id"}) | {"region_code": checks}


def union_event(row: Any, change: Change) -> UnionRecordedV1 | UnionUpdatedV1:
    """The event of a written union record."""
    cls = UnionRecordedV1 if change is Change.CREATED else UnionUpdatedV1
    return cls(
        id=row.id,
        revision=row.revision,
        region_code=row.region_code,
        registered_at=row.registered_at,
        members=row.members,
        employer_nib=row.employer_nib,
        federation=row.federation,
    )


async def upsert_union(
    session: AsyncSession, *, principal: Principal, data: UnionCreate, checks: str
) -> WriteResult:
    """Record or correct a union in the checked regency ``checks`` (the caller commits)."""
    row, change = await write_record(
        session,
        Union,
        principal=principal,
        external_id=data.external_id,
        values=union_values(data, checks),
        outbox=outbox,
        event=union_event,
    )
    return WriteResult(id=row.id, external_id=row.external_id, revision=row.revision, change=change)


async def get_union(
    session: AsyncSession, *, principal: Principal, union_id: uuid.UUID
) -> Union | None:
    """A union of the caller's regions, or None."""
    return await get_visible(session, Union, principal=principal, record_id=union_id)


async def list_unions(
    session: AsyncSession,
    *,
    principal: Principal,
    listing: Listing,
    employer_nib: str | None,
) -> Page[UnionPublic]:
    """Unions of the caller's regions, in the sync order."""
    return await page(
        session,
        Union,
        listing=listing,
        principal=principal,
        where=matching(Union, employer_nib=employer_nib),
        convert=UnionPublic.model_validate,
    )
