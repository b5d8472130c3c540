"""Accident rules: a registered company, checked victims; upsert; publish without NIKs."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from shared.auth import Principal
from shared.errors import invalid
from shared.events.inspection import AccidentReportedV1, AccidentUpdatedV1, AccidentVictim
from shared.identifiers import person_ref
from shared.outbox import enqueue
from shared.persons import mask_nik, valid_nik
from shared.records import (
    Change,
    Page,
    WriteResult,
    between,
    get_visible,
    matching,
    region_for_write,
    rows_and_total,
    upsert_record,
    utcnow,
    visible,
)
from sqlalchemy.ext.asyncio import AsyncSession

from inspection.accidents.models import (
    Accident,
    AccidentCreate,
    AccidentPublic,
    Victim,
    VictimCreate,
    VictimPublic,
)
from inspection.companies.service import company_for
from inspection.db import outbox


async def upsert_accident(
    session: AsyncSession, *, principal: Principal, data: AccidentCreate, secret: str
) -> WriteResult:
    """Report or correct an accident and its victims; commit rows and event together."""
    region = region_for_write(principal, data.region_code)
    company = await company_for(session, nib=data.company_nib, region=region)
    victims = _checked_victims(data.victims, secret=secret)
    values = data.model_dump(exclude={"external_id", "victims"})
    values.update(
        region_code=region, company_id=company.id, kbli_code=data.kbli_code or company.kbli_code
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
    await session.commit()
    return WriteResult(id=row.id, external_id=row.external_id, revision=row.revision, change=change)


def _checked_victims(victims: Sequence[VictimCreate], *, secret: str) -> list[dict[str, Any]]:
    """The victims' stored columns, each NIK checked (a 422 names e.g. ``victims.1.nik``)."""
    checked: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for index, victim in enumerate(victims):
        field = f"victims.{index}.nik"
        nik = valid_nik(victim.nik, birth_date=victim.birth_date, sex=victim.sex, field=field)
        if nik in seen:
            raise invalid(field, f"the same person is already victims.{seen[nik]}")
        seen[nik] = index
        checked.append(
            {
                "position": index,
                "nik": nik,
                "full_name": victim.full_name,
                "birth_date": victim.birth_date,
                "sex": victim.sex,
                "person_ref": person_ref(nik, secret=secret),
            }
        )
    return checked


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
                nik_masked=mask_nik(v.nik),
                full_name=v.full_name,
                birth_date=v.birth_date,
                sex=v.sex,
            )
        )
    return found


async def get_accident(
    session: AsyncSession, *, principal: Principal, accident_id: uuid.UUID
) -> AccidentPublic | None:
    """An accident of the caller's regions with its victims (NIKs masked), or None."""
    row = await get_visible(session, Accident, principal=principal, record_id=accident_id)
    if row is None:
        return None
    victims = await _victims_of(session, [row.id])
    return AccidentPublic.model_validate(row, update={"victims": victims[row.id]})


async def list_accidents(
    session: AsyncSession,
    *,
    principal: Principal,
    region_code: str | None,
    company_nib: str | None,
    outcome: str | None,
    occurred_from: date | None,
    occurred_to: date | None,
    external_id: str | None,
    limit: int,
    offset: int,
) -> Page[AccidentPublic]:
    """Accidents of the caller's regions, newest first."""
    columns = sa.inspect(Accident).columns
    where = [
        *visible(Accident, principal),
        *matching(
            Accident,
            region_code=region_code,
            company_nib=company_nib,
            outcome=outcome,
            external_id=external_id,
        ),
        *between(columns.occurred_at, occurred_from, occurred_to),
    ]
    rows, total = await rows_and_total(
        session,
        Accident,
        where=where,
        order_by=[columns.occurred_at.desc(), columns.id],
        limit=limit,
        offset=offset,
    )
    # The victims of the whole page in one query, not one per accident.
    victims = await _victims_of(session, [r.id for r in rows])
    items = [AccidentPublic.model_validate(r, update={"victims": victims[r.id]}) for r in rows]
    return Page(items=items, total=total, limit=limit, offset=offset)
