"""Claim rules: on a program of the client's own membership; upsert; publish.

A claim carries its membership's region and person, and follows them when the membership is
corrected, so regional figures and cross-domain links stay right.
"""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from shared.auth import Principal
from shared.events.social_security import ClaimSubmittedV1, ClaimUpdatedV1
from shared.listing import Listing
from shared.outbox import enqueue
from shared.records import (
    Change,
    Page,
    WriteResult,
    between,
    get_visible,
    matching,
    page,
    upsert_record,
    utcnow,
)
from shared.rules import Rules
from sqlalchemy.ext.asyncio import AsyncSession

from social_security.claims.models import Claim, ClaimCreate, ClaimPublic
from social_security.db import outbox
from social_security.memberships.models import Membership


async def check_claim(rules: Rules) -> Membership | None:
    """The caller's membership the claim is on (in the caller's regions), covering its
    program since before the claim."""
    membership = await rules.own(Membership, "membership_external_id", what="membership")
    if membership is None:
        return None
    program, claimed_at = rules.text("program"), rules.date("claimed_at")
    if program is not None and program not in membership.programs:
        rules.add(
            "program",
            f"membership {membership.external_id} does not cover {program} "
            f"(it covers {', '.join(membership.programs)})",
        )
    if claimed_at is not None and claimed_at < membership.started_at:
        rules.add(
            "claimed_at",
            f"claimed_at is before the membership started ({membership.started_at.isoformat()})",
        )
    return membership


async def upsert_claim(
    session: AsyncSession, *, principal: Principal, data: ClaimCreate, checks: Membership
) -> WriteResult:
    """Record or correct a claim on the checked membership ``checks``: the row and its event
    (the caller commits)."""
    values = data.model_dump(exclude={"external_id", "membership_external_id"})
    values.update(
        region_code=checks.region_code, membership_id=checks.id, person_ref=checks.person_ref
    )
    row, change = await upsert_record(
        session, Claim, principal=principal, external_id=data.external_id, values=values
    )
    if change is not Change.UNCHANGED:
        cls = ClaimSubmittedV1 if change is Change.CREATED else ClaimUpdatedV1
        await enqueue(session, outbox, _event(cls, row))
    return WriteResult(id=row.id, external_id=row.external_id, revision=row.revision, change=change)


async def follow_membership(session: AsyncSession, *, membership: Membership) -> None:
    """Move a membership's claims to its current region and person; publish each change."""
    columns = sa.inspect(Claim).columns
    result = await session.scalars(
        sa.select(Claim)
        .where(
            columns.membership_id == membership.id,
            sa.or_(
                columns.region_code != membership.region_code,
                columns.person_ref != membership.person_ref,
            ),
        )
        .order_by(columns.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    for claim in result.all():
        claim.region_code = membership.region_code
        claim.person_ref = membership.person_ref
        claim.revision += 1
        claim.updated_at = utcnow()
        await enqueue(session, outbox, _event(ClaimUpdatedV1, claim))
    await session.flush()


def _event(
    cls: type[ClaimSubmittedV1] | type[ClaimUpdatedV1], row: Claim
) -> ClaimSubmittedV1 | ClaimUpdatedV1:
    return cls(
        id=row.id,
        revision=row.revision,
        membership_id=str(row.membership_id),
        person_ref=row.person_ref,
        region_code=row.region_code,
        program=row.program,
        claimed_at=row.claimed_at,
        amount_idr=row.amount_idr,
        status=row.status,
    )


def to_public(row: Claim) -> ClaimPublic:
    """The read model of a claim."""
    return ClaimPublic.model_validate(row)


async def get_claim(
    session: AsyncSession, *, principal: Principal, claim_id: uuid.UUID
) -> Claim | None:
    """A claim of the caller's regions, or None."""
    return await get_visible(session, Claim, principal=principal, record_id=claim_id)


async def list_claims(
    session: AsyncSession,
    *,
    principal: Principal,
    listing: Listing,
    status: str | None,
    program: str | None,
    membership_id: uuid.UUID | None,
    claimed_from: date | None,
    claimed_to: date | None,
) -> Page[ClaimPublic]:
    """Claims of the caller's regions, in the sync order."""
    columns = sa.inspect(Claim).columns
    where = [
        *matching(
            Claim,
            status=status,
            program=program,
            membership_id=membership_id,
        ),
        *between(columns.claimed_at, claimed_from, claimed_to),
    ]
    return await page(
        session,
        Claim,
        listing=listing,
        principal=principal,
        where=where,
        convert=to_public,
    )
