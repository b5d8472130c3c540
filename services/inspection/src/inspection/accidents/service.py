"""Accident rules: a registered company, checked victims; upsert; publish without NIKs."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from shared.auth import Principal
from shared.events.inspection import AccidentReportedV1, AccidentUpdatedV1, AccidentVictim
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

from inspection.accidents.models import (
    MAX_VICTIMS,
    Accident,
    AccidentCreate,
    AccidentPublic,
    Victim,
    VictimPublic,
)
from inspection.companies.models import Company
from inspection.companies.service import check_company
from inspection.db import outbox


@dataclass(frozen=True)
class AccidentChecks:
    """What the rules established about an accident sent for writing."""

    region: str
    company: Company
    victims: list[dict[str, Any]]
    """Each victim's stored columns, NIK checked, with its ``person_ref``."""


async def check_accident(rules: Rules) -> AccidentChecks | None:
    """The regency, the company (among the caller's regions) and every victim's NIK."""
    region = rules.region()
    company = await check_company(rules, region=region)
    victims = checked_people(rules, "victims", limit=MAX_VICTIMS)
    if region is None or company is None or victims is None:
        return None
    return AccidentChecks(region=region, company=company, victims=victims)


async def upsert_accident(
    session: AsyncSession, *, principal: Principal, data: AccidentCreate, checks: AccidentChecks
) -> WriteResult:
    """Report or correct an accident and its victims; rows and event (the caller commits)."""
    victims = listed_people(checks.victims, data.victims)
    values = data.model_dump(exclude={"external_id", "victims"})
    values.update(
        region_code=checks.region,
        company_id=checks.company.id,
        kbli_code=data.kbli_code or checks.company.kbli_code,
    )
    row, change = await upsert_with_people(
        session,
        Accident,
        people_model=Victim,
        parent="accident_id",
        principal=principal,
        external_id=data.external_id,
        values=values,
        people=victims,
    )
    if change is not Change.UNCHANGED:
        cls = AccidentReportedV1 if change is Change.CREATED else AccidentUpdatedV1
        event = cls(
            id=row.id,
            revision=row.revision,
            company_nib=row.company_nib,
            region_code=row.region_code,
            occurred_at=row.occurred_at,
            outcome=row.outcome,
            victims=[
                AccidentVictim(
                    person_ref=v["person_ref"], sex=v["sex"], birth_year=v["birth_date"].year
                )
                for v in victims
            ],
        )
        await enqueue(session, outbox, event)
    return WriteResult(id=row.id, external_id=row.external_id, revision=row.revision, change=change)


async def get_accident(
    session: AsyncSession, *, principal: Principal, accident_id: uuid.UUID
) -> AccidentPublic | None:
    """An accident of the caller's regions, or None."""
    row = await get_visible(session, Accident, principal=principal, record_id=accident_id)
    if row is None:
        return None
    victims = await people_of(
        session, Victim, VictimPublic, parent="accident_id", parent_ids=[row.id]
    )
    return AccidentPublic.model_validate(row, update={"victims": victims[row.id]})


async def list_accidents(
    session: AsyncSession,
    *,
    principal: Principal,
    listing: Listing,
    company_nib: str | None,
    outcome: str | None,
    occurred_from: date | None,
    occurred_to: date | None,
    person_ref: str | None = None,
) -> Page[AccidentPublic]:
    """Accidents of the caller's regions, in the sync order."""
    columns = sa.inspect(Accident).columns
    where = [
        *matching(
            Accident,
            company_nib=company_nib,
            outcome=outcome,
        ),
        *between(columns.occurred_at, occurred_from, occurred_to),
    ]
    if person_ref is not None:
        victim = sa.inspect(Victim).columns
        where.append(
            columns.id.in_(sa.select(victim.accident_id).where(victim.person_ref == person_ref))
        )
    rows, link, total = await listed_rows(
        session, Accident, listing=listing, where=where, principal=principal
    )
    # The victims of the whole page in one query, not one per accident.
    victims = await people_of(
        session, Victim, VictimPublic, parent="accident_id", parent_ids=[r.id for r in rows]
    )
    items = [AccidentPublic.model_validate(r, update={"victims": victims[r.id]}) for r in rows]
    return Page(items=items, limit=listing.limit, next=link, total=total)
