"""Membership rules: validate, upsert by external_id, publish the snapshot via the outbox."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from shared.auth import Principal
from shared.events.social_security import MembershipRegisteredV1, MembershipUpdatedV1
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
from shared.rules import Person, Rules
from sqlalchemy.ext.asyncio import AsyncSession

from social_security.claims.service import follow_membership
from social_security.db import outbox
from social_security.memberships.models import Membership, MembershipCreate, MembershipPublic


@dataclass(frozen=True)
class MembershipChecks:
    """What the rules established about a membership sent for writing."""

    region: str
    person: Person


async def check_membership(rules: Rules) -> MembershipChecks | None:
    """The regency (the caller's), the NIK, and an end date for an inactive membership."""
    region, person = rules.region(), rules.person()
    # Here, not in the model: pydantic skips field validators when ended_at is left out.
    if rules.raw("status") == "inactive" and rules.raw("ended_at") is None:
        rules.add("ended_at", "an inactive membership needs ended_at (its first day not covered)")
    if region is None or person is None:
        return None
    return MembershipChecks(region=region, person=person)


def membership_values(data: MembershipCreate, checks: MembershipChecks) -> dict[str, Any]:
    """The row values of a checked membership (without ``external_id``)."""
    values = data.model_dump(exclude={"external_id", "nik"})
    values.update(
        region_code=checks.region, nik=checks.person.nik, person_ref=checks.person.person_ref
    )
    return values


def membership_event(row: Any, change: Change) -> MembershipRegisteredV1 | MembershipUpdatedV1:
    """The event of a written membership."""
    cls = MembershipRegisteredV1 if change is Change.CREATED else MembershipUpdatedV1
    return _event(cls, row)


async def upsert_membership(
    session: AsyncSession, *, principal: Principal, data: MembershipCreate, checks: MembershipChecks
) -> WriteResult:
    """Register or correct a membership: the row, its event and its claims' (the caller commits)."""
    row, change = await write_record(
        session,
        Membership,
        principal=principal,
        external_id=data.external_id,
        values=membership_values(data, checks),
        outbox=outbox,
        event=membership_event,
    )
    if change is Change.UPDATED:
        await follow_membership(session, membership=row)
    return WriteResult(id=row.id, external_id=row.external_id, revision=row.revision, change=change)


def _event(
    cls: type[MembershipRegisteredV1] | type[MembershipUpdatedV1], row: Any
) -> MembershipRegisteredV1 | MembershipUpdatedV1:
    return cls(
        id=row.id,
        revision=row.revision,
        person_ref=row.person_ref,
        employer_nib=row.employer_nib,
        region_code=row.region_code,
        sex=row.sex,
        birth_year=row.birth_date.year,
        programs=sorted(row.programs),
        status=row.status,
        started_at=row.started_at,
        ended_at=row.ended_at,
    )


def to_public(row: Membership) -> MembershipPublic:
    """The read model of a membership, NIK masked."""
    return MembershipPublic.model_validate(row)


async def get_membership(
    session: AsyncSession, *, principal: Principal, membership_id: uuid.UUID
) -> Membership | None:
    """A membership of the caller's regions, or None."""
    return await get_visible(session, Membership, principal=principal, record_id=membership_id)


async def list_memberships(
    session: AsyncSession,
    *,
    principal: Principal,
    listing: Listing,
    status: str | None,
    program: str | None,
    employer_nib: str | None,
    started_from: date | None,
    started_to: date | None,
    person_ref: str | None = None,
) -> Page[MembershipPublic]:
    """Memberships of the caller's regions, in the sync order."""
    columns = sa.inspect(Membership).columns
    where = [
        *matching(
            Membership,
            status=status,
            employer_nib=employer_nib,
            person_ref=person_ref,
        ),
        *between(columns.started_at, started_from, started_to),
    ]
    if program is not None:
        where.append(columns.programs.contains([program]))
    return await page(
        session,
        Membership,
        listing=listing,
        principal=principal,
        where=where,
        convert=to_public,
    )
