"""Accident rules: a registered company, checked victims; upsert; publish without NIKs."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from shared.auth import Principal
from shared.events.inspection import AccidentReportedV1, AccidentUpdatedV1, AccidentVictim
from shared.listing import Listing
from shared.outbox import enqueue
from shared.records import (
    Change,
    Page,
    WriteResult,
    between,
    get_visible,
    listed_rows,
    matching,
    upsert_record,
    utcnow,
)
from shared.rules import Rules
from sqlalchemy.ext.asyncio import AsyncSession

from inspection.accidents.models import (
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
    victims = _checked_victims(rules)
    if region is None or company is None or victims is None:
        return None
    return AccidentChecks(region=region, company=company, victims=victims)


async def upsert_accident(
    session: AsyncSession, *, principal: Principal, data: AccidentCreate, checks: AccidentChecks
) -> WriteResult:
    """Report or correct an accident and its victims; rows and event (the caller commits)."""
    victims = [
        victim | {"full_name": sent.full_name, "birth_date": sent.birth_date, "sex": sent.sex}
        for victim, sent in zip(checks.victims, data.victims, strict=True)
    ]
    values = data.model_dump(exclude={"external_id", "victims"})
    values.update(
        region_code=checks.region,
        company_id=checks.company.id,
        kbli_code=data.kbli_code or checks.company.kbli_code,
    )
    row, change = await upsert_record(
        session, Accident, principal=principal, external_id=data.external_id, values=values
    )
    if await _replace_victims(session, accident_id=row.id, victims=victims):
        if change is Change.UNCHANGED:
            # Only the victims changed: still a new revision of the accident.
            row.revision += 1
            row.updated_at = utcnow()
            change = Change.UPDATED
        await session.flush()
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


def _checked_victims(rules: Rules) -> list[dict[str, Any]] | None:
    """Position, NIK and ``person_ref`` of each victim; each bad NIK named (``victims.1.nik``)."""
    sent = rules.raw("victims")
    if not isinstance(sent, list):
        return None
    checked: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for index in range(len(sent)):
        field = f"victims.{index}.nik"
        person = rules.person(field)
        if person is None:
            continue
        if person.nik in seen:
            rules.add(field, f"the same person is already victims.{seen[person.nik]}")
            continue
        seen[person.nik] = index
        checked.append({"position": index, "nik": person.nik, "person_ref": person.person_ref})
    return checked if len(checked) == len(sent) else None


_VICTIM_COLUMNS = ("position", "nik", "full_name", "birth_date", "sex", "person_ref")


async def _replace_victims(
    session: AsyncSession, *, accident_id: uuid.UUID, victims: list[dict[str, Any]]
) -> bool:
    """Store ``victims`` as the accident's victims; False when they were already so."""
    columns = sa.inspect(Victim).columns
    stored = await session.scalars(
        sa.select(Victim).where(columns.accident_id == accident_id).order_by(columns.position)
    )
    current = [{name: getattr(v, name) for name in _VICTIM_COLUMNS} for v in stored]
    if current == victims:
        return False
    await session.execute(sa.delete(Victim).where(columns.accident_id == accident_id))
    await session.execute(
        sa.insert(Victim), [{"accident_id": accident_id, **victim} for victim in victims]
    )
    return True


async def _victims_of(
    session: AsyncSession, accident_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[VictimPublic]]:
    columns = sa.inspect(Victim).columns
    rows = await session.scalars(
        sa.select(Victim)
        .where(columns.accident_id.in_(accident_ids))
        .order_by(columns.accident_id, columns.position)
    )
    found: dict[uuid.UUID, list[VictimPublic]] = defaultdict(list)
    for v in rows:
        found[v.accident_id].append(
            VictimPublic(
                full_name=v.full_name,
                birth_date=v.birth_date,
                sex=v.sex,
            )
        )
    return found


async def get_accident(
    session: AsyncSession, *, principal: Principal, accident_id: uuid.UUID
) -> AccidentPublic | None:
    """An accident of the caller's regions, or None."""
    row = await get_visible(session, Accident, principal=principal, record_id=accident_id)
    if row is None:
        return None
    victims = await _victims_of(session, [row.id])
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
    victims = await _victims_of(session, [r.id for r in rows])
    items = [AccidentPublic.model_validate(r, update={"victims": victims[r.id]}) for r in rows]
    return Page(items=items, limit=listing.limit, next=link, total=total)
