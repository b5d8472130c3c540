"""HTTP routes of claims."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from shared.auth import Principal, RequireScope
from shared.db import SessionDep
from shared.entities import Entity
from shared.errors import PROBLEM_RESPONSES, ProblemError
from shared.events.social_security import ClaimWithdrawnV1
from shared.listing import Listing, QueryDate
from shared.records import UPSERT_RESPONSES, Page, WriteResult
from shared.rules import Checked, checked_by
from shared.service import answer_write

from social_security.claims import service
from social_security.claims.models import Claim, ClaimCreate, ClaimPublic
from social_security.memberships.models import Membership

router = APIRouter(prefix="/api/v1/social-security/claims", tags=["social-security: claims"])
reader, writer = RequireScope("social-security:read"), RequireScope("social-security:write")
Reader = Annotated[Principal, Depends(reader)]
Writer = Annotated[Principal, Depends(writer)]
Checks = Annotated[Checked[Membership], checked_by(service.check_claim, caller=Depends(writer))]


ENTITY = Entity(
    domain="social-security",
    collection="claims",
    model=ClaimCreate,
    table=Claim,
    check=service.check_claim,
    upsert=service.upsert_claim,
    withdrawn=ClaimWithdrawnV1,
    example={
        "external_id": "KLM-2026-000451",
        "membership_external_id": "KPJ-26031234567",
        "program": "JKK",
        "claimed_at": "2026-06-12",
        "amount_idr": 2500000,
    },
)


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    responses=UPSERT_RESPONSES,
    summary="Record or correct a claim (upsert by external_id)",
)
async def put_claim(
    data: ClaimCreate,
    checks: Checks,
    principal: Writer,
    session: SessionDep,
    request: Request,
    response: Response,
) -> WriteResult:
    result = await service.upsert_claim(
        session, principal=principal, data=data, checks=checks.value
    )
    return await answer_write(result, session=session, request=request, response=response)


@router.get("/{claim_id:uuid}", response_model=ClaimPublic, responses=PROBLEM_RESPONSES)
async def get_claim(claim_id: uuid.UUID, principal: Reader, session: SessionDep) -> ClaimPublic:
    row = await service.get_claim(session, principal=principal, claim_id=claim_id)
    if row is None:
        raise ProblemError(404, f"no claim {claim_id} in this client's regions")
    return service.to_public(row)


@router.get("", response_model=Page[ClaimPublic], responses=PROBLEM_RESPONSES)
async def list_claims(
    principal: Reader,
    session: SessionDep,
    listing: Annotated[Listing, Depends()],
    status: Annotated[str | None, Query(pattern="^(submitted|approved|paid|rejected)$")] = None,
    program: Annotated[str | None, Query(pattern="^(JKK|JKM|JHT|JP|JKP)$")] = None,
    membership_id: uuid.UUID | None = None,
    claimed_from: QueryDate = None,
    claimed_to: QueryDate = None,
) -> Page[ClaimPublic]:
    return await service.list_claims(
        session,
        principal=principal,
        listing=listing,
        status=status,
        program=program,
        membership_id=membership_id,
        claimed_from=claimed_from,
        claimed_to=claimed_to,
    )
