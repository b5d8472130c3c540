"""HTTP routes of memberships: parse, call the service, map results to status codes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from shared.auth import Principal, RequireScope
from shared.db import SessionDep
from shared.entities import EXAMPLE_NIK, Entity, Flat
from shared.errors import PROBLEM_RESPONSES, ProblemError
from shared.events.social_security import MembershipWithdrawnV1
from shared.listing import Listing, QueryDate
from shared.persons import NikSearch, searched_person_ref
from shared.records import UPSERT_RESPONSES, Page, WriteResult
from shared.rules import Checked, checked_by
from shared.service import answer_write

from social_security.memberships import service
from social_security.memberships.models import Membership, MembershipCreate, MembershipPublic

router = APIRouter(
    prefix="/api/v1/social-security/memberships", tags=["social-security: memberships"]
)
reader, writer = RequireScope("social-security:read"), RequireScope("social-security:write")
Reader = Annotated[Principal, Depends(reader)]
Writer = Annotated[Principal, Depends(writer)]
Checks = Annotated[
    Checked[service.MembershipChecks], checked_by(service.check_membership, caller=Depends(writer))
]


ENTITY = Entity(
    domain="social-security",
    collection="memberships",
    model=MembershipCreate,
    table=Membership,
    check=service.check_membership,
    upsert=service.upsert_membership,
    withdrawn=MembershipWithdrawnV1,
    flat=Flat(values=service.membership_values, event=service.membership_event),
    example={
        "external_id": "KPJ-26031234567",
        "nik": EXAMPLE_NIK,
        "full_name": "Agus Setiawan",
        "birth_date": "1992-05-17",
        "sex": "M",
        "employer_nib": "9120001234567",
        "region_code": "32.16",
        "programs": ["JHT", "JKK", "JKM"],
        "status": "active",
        "started_at": "2026-03-01",
    },
)


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    responses=UPSERT_RESPONSES,
    summary="Register or correct a membership (upsert by external_id)",
)
async def put_membership(
    data: MembershipCreate,
    checks: Checks,
    principal: Writer,
    session: SessionDep,
    request: Request,
    response: Response,
) -> WriteResult:
    result = await service.upsert_membership(
        session, principal=principal, data=data, checks=checks.value
    )
    return await answer_write(result, session=session, request=request, response=response)


@router.post(
    "/search",
    response_model=Page[MembershipPublic],
    responses=PROBLEM_RESPONSES,
    summary="Find the memberships of a NIK in this client's regions (NIK in the body)",
)
async def search_memberships(
    search: NikSearch,
    principal: Reader,
    session: SessionDep,
    request: Request,
    listing: Annotated[Listing, Depends()],
) -> Page[MembershipPublic]:
    return await service.list_memberships(
        session,
        principal=principal,
        person_ref=searched_person_ref(search, secret=request.app.state.settings.person_ref_secret),
        listing=listing,
        status=None,
        program=None,
        employer_nib=None,
        started_from=None,
        started_to=None,
    )


@router.get("/{membership_id:uuid}", response_model=MembershipPublic, responses=PROBLEM_RESPONSES)
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
    started_from: QueryDate = None,
    started_to: QueryDate = None,
) -> Page[MembershipPublic]:
    return await service.list_memberships(
        session,
        principal=principal,
        listing=listing,
        status=status,
        program=program,
        employer_nib=employer_nib,
        started_from=started_from,
        started_to=started_to,
    )
