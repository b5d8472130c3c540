"""HTTP routes of claims."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from shared.auth import Principal, RequireScope
from shared.errors import PROBLEM_RESPONSES, ProblemError
from shared.listing import Listing, region_filter
from shared.records import UPSERT_RESPONSES, Page, WriteResult
from shared.service import SessionDep, answer_write

from social_security.claims import service
from social_security.claims.models import ClaimCreate, ClaimPublic

router = APIRouter(prefix="/api/v1/social-security/claims", tags=["social-security: claims"])
Reader = Annotated[Principal, Depends(RequireScope("social-security:read"))]
Writer = Annotated[Principal, Depends(RequireScope("social-security:write"))]


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    responses=UPSERT_RESPONSES,
    summary="Record or correct a claim (upsert by external_id)",
)
async def put_claim(
    data: ClaimCreate,
    principal: Writer,
    session: SessionDep,
    request: Request,
    response: Response,
) -> WriteResult:
    result = await service.upsert_claim(session, principal=principal, data=data)
    return answer_write(result, request=request, response=response)


@router.get("/{claim_id}", response_model=ClaimPublic, responses=PROBLEM_RESPONSES)
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
    claimed_from: date | None = None,
    claimed_to: date | None = None,
    external_id: str | None = None,
) -> Page[ClaimPublic]:
    return await service.list_claims(
        session,
        principal=principal,
        region_code=region_filter(listing.region_code),
        status=status,
        program=program,
        membership_id=membership_id,
        claimed_from=claimed_from,
        claimed_to=claimed_to,
        external_id=external_id,
        limit=listing.limit,
        offset=listing.offset,
    )
