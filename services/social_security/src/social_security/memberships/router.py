"""HTTP routes of memberships: parse, call the service, map results to status codes."""

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

from social_security.memberships import service
from social_security.memberships.models import MembershipCreate, MembershipPublic

router = APIRouter(
    prefix="/api/v1/social-security/memberships", tags=["social-security: memberships"]
)
Reader = Annotated[Principal, Depends(RequireScope("social-security:read"))]
Writer = Annotated[Principal, Depends(RequireScope("social-security:write"))]


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    responses=UPSERT_RESPONSES,
    summary="Register or correct a membership (upsert by external_id)",
)
async def put_membership(
    data: MembershipCreate,
    principal: Writer,
    session: SessionDep,
    request: Request,
    response: Response,
) -> WriteResult:
    result = await service.upsert_membership(
        session,
        principal=principal,
        data=data,
        secret=request.app.state.settings.person_ref_secret,
    )
    return answer_write(result, request=request, response=response)


@router.get("/{membership_id}", response_model=MembershipPublic, responses=PROBLEM_RESPONSES)
async def get_membership(
    membership_id: uuid.UUID, principal: Reader, session: SessionDep
) -> MembershipPublic:
    row = await service.get_membership(session, principal=principal, membership_id=membership_id)
    if row is None:
        raise ProblemError(404, f"no membership {membership_id} in this client's regions")
    return service.to_public(row)


@router.get("", response_model=Page[MembershipPublic], responses=PROBLEM_RESPONSES)
async def list_memberships(
    principal: Reader,
    session: SessionDep,
    listing: Annotated[Listing, Depends()],
    status: Annotated[str | None, Query(pattern="^(active|inactive)$")] = None,
    program: Annotated[str | None, Query(pattern="^(JKK|JKM|JHT|JP|JKP)$")] = None,
    employer_nib: Annotated[str | None, Query(pattern=r"^\d{13}$")] = None,
    started_from: date | None = None,
    started_to: date | None = None,
    external_id: str | None = None,
) -> Page[MembershipPublic]:
    return await service.list_memberships(
        session,
        principal=principal,
        region_code=region_filter(listing.region_code),
        status=status,
        program=program,
        employer_nib=employer_nib,
        started_from=started_from,
        started_to=started_to,
        external_id=external_id,
        limit=listing.limit,
        offset=listing.offset,
    )
