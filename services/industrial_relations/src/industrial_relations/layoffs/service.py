"""Layoff rules: the caller's regency, each worker's NIK; upsert; publish without NIKs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from shared.auth import Principal
from shared.events.industrial_relations import LaidOffWorker as WorkerEvent
from shared.events.industrial_relations import LayoffRecordedV1, LayoffUpdatedV1
from shared.listing import Listing
from shared.outbox import enqueue
from shared.persons import checked_people, listed_people, people_of, upsert_with_people
from shared.records import (
    Change,
    Page,
    WriteResult,
    between,
    get_visible,
    listed_rows,
    matching,
)
from shared.rules import Rules
from sqlalchemy.ext.asyncio import AsyncSession

from industrial_relations.db import outbox
from industrial_relations.layoffs.models import (
    MAX_WORKERS,
    LaidOffWorker,
    Layoff,
    LayoffCreate,
    LayoffPublic,
    WorkerPublic,
)


@dataclass(frozen=True)
class LayoffChecks:
    """What the rules established about a layoff report sent for writing."""

    region: str
    workers: list[dict[str, Any]]
    """Each worker's position, checked NIK and ``person_ref``."""


async def check_layoff(rules: Rules) -> LayoffChecks | None:
    """The regency (the caller's) and every worker's NIK (each named when bad)."""
    region = rules.region()
    workers = checked_people(rules, "workers", limit=MAX_WORKERS)
    if region is None or workers is None:
        return None
    return LayoffChecks(region=region, workers=workers)


async def upsert_layoff(
    session: AsyncSession, *, principal: Principal, data: LayoffCreate, checks: LayoffChecks
) -> WriteResult:
    """Record or correct a layoff report and its workers; rows and event (the caller commits)."""
    workers = listed_people(checks.workers, data.workers)
    values = data.model_dump(exclude={"external_id", "workers"}) | {"region_code": checks.region}
    row, change = await upsert_with_people(
        session,
        Layoff,
        people_model=LaidOffWorker,
        parent="layoff_id",
        principal=principal,
        external_id=data.external_id,
        values=values,
        people=workers,
    )
    if change is not Change.UNCHANGED:
        cls = LayoffRecordedV1 if change is Change.CREATED else LayoffUpdatedV1
        event = cls(
            id=row.id,
            revision=row.revision,
            employer_nib=row.employer_nib,
            region_code=row.region_code,
            reported_at=row.reported_at,
            effective_at=row.effective_at,
            reason=row.reason,
            severance_total_idr=row.severance_total_idr,
            workers=[
                WorkerEvent(
                    person_ref=w["person_ref"], sex=w["sex"], birth_year=w["birth_date"].year
                )
                for w in workers
            ],
        )
        await enqueue(session, outbox, event)
    return WriteResult(id=row.id, external_id=row.external_id, revision=row.revision, change=change)


async def get_layoff(
    session: AsyncSession, *, principal: Principal, layoff_id: uuid.UUID
) -> LayoffPublic | None:
    """A layoff report of the caller's regions, or None."""
    row = await get_visible(session, Layoff, principal=principal, record_id=layoff_id)
    if row is None:
        return None
    workers = await people_of(
        session, LaidOffWorker, WorkerPublic, parent="layoff_id", parent_ids=[row.id]
    )
    return LayoffPublic.model_validate(row, update={"workers": workers[row.id]})


async def list_layoffs(
    session: AsyncSession,
    *,
    principal: Principal,
    listing: Listing,
    employer_nib: str | None,
    reason: str | None,
    effective_from: date | None,
    effective_to: date | None,
    person_ref: str | None = None,
) -> Page[LayoffPublic]:
    """Layoff reports of the caller's regions, in the sync order."""
    columns = sa.inspect(Layoff).columns
    where = [
        *matching(Layoff, employer_nib=employer_nib, reason=reason),
        *between(columns.effective_at, effective_from, effective_to),
    ]
    if person_ref is not None:
        worker = sa.inspect(LaidOffWorker).columns
        where.append(
            columns.id.in_(sa.select(worker.layoff_id).where(worker.person_ref == person_ref))
        )
    rows, link, total = await listed_rows(
        session, Layoff, listing=listing, where=where, principal=principal
    )
    # The workers of the whole page in one query, not one per report.
    workers = await people_of(
        session, LaidOffWorker, WorkerPublic, parent="layoff_id", parent_ids=[r.id for r in rows]
    )
    items = [LayoffPublic.model_validate(r, update={"workers": workers[r.id]}) for r in rows]
    return Page(items=items, limit=listing.limit, next=link, total=total)
