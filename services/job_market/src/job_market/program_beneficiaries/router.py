"""HTTP routes of employment-program beneficiaries."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from shared.auth import Principal, RequireScope
from shared.db import SessionDep
from shared.entities import EXAMPLE_NIK, Entity
from shared.errors import PROBLEM_RESPONSES, Problem, ProblemError
from shared.events.job_market import ProgramBeneficiaryWithdrawnV1
from shared.listing import Listing, QueryDate
from shared.persons import NikSearch, searched_person_ref
from shared.records import UPSERT_RESPONSES, Page, WriteResult
from shared.rules import Checked, checked_by
from shared.service import answer_write

from job_market.program_beneficiaries import service
from job_market.program_beneficiaries.models import (
    Beneficiary,
    BeneficiaryCreate,
    BeneficiaryPublic,
)

router = APIRouter(
    prefix="/api/v1/job-market/program-beneficiaries",
    tags=["job market: program beneficiaries"],
)
reader, writer = RequireScope("job-market:read"), RequireScope("job-market:write")
Reader = Annotated[Principal, Depends(reader)]
Writer = Annotated[Principal, Depends(writer)]
Checks = Annotated[
    Checked[service.BeneficiaryChecks],
    checked_by(service.check_beneficiary, caller=Depends(writer)),
]


ENTITY = Entity(
    domain="job-market",
    collection="program-beneficiaries",
    model=BeneficiaryCreate,
    table=Beneficiary,
    check=service.check_beneficiary,
    upsert=service.upsert_beneficiary,
    withdrawn=ProgramBeneficiaryWithdrawnV1,
    example={
        "external_id": "PK-2026-014-0031",
        "program_external_id": "PK-2026-014",
        "nik": EXAMPLE_NIK,
        "full_name": "Rudi Hartono",
        "birth_date": "1996-02-17",
        "sex": "M",
        "joined_at": "2026-07-01",
    },
)


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    responses={
        **UPSERT_RESPONSES,
        409: {
            "model": Problem,
            "content": {"application/problem+json": {}},
            "description": "The person is already a beneficiary of the program under another id",
        },
    },
    summary="Record or correct a program beneficiary (upsert by external_id)",
)
async def put_beneficiary(
    data: BeneficiaryCreate,
    checks: Checks,
    principal: Writer,
    session: SessionDep,
    request: Request,
    response: Response,
) -> WriteResult:
    result = await service.upsert_beneficiary(
        session, principal=principal, data=data, checks=checks.value
    )
    return await answer_write(result, session=session, request=request, response=response)


@router.post(
    "/search",
    response_model=Page[BeneficiaryPublic],
    responses=PROBLEM_RESPONSES,
    summary="Find the program participations of a NIK in this client's regions (NIK in the body)",
)
async def search_beneficiaries(
    search: NikSearch,
    principal: Reader,
    session: SessionDep,
    request: Request,
    listing: Annotated[Listing, Depends()],
) -> Page[BeneficiaryPublic]:
    return await service.list_beneficiaries(
        session,
        principal=principal,
        person_ref=searched_person_ref(search, secret=request.app.state.settings.person_ref_secret),
        listing=listing,
        program_id=None,
        joined_from=None,
        joined_to=None,
    )


@router.get(
    "/{program_beneficiary_id:uuid}", response_model=BeneficiaryPublic, responses=PROBLEM_RESPONSES
)
async def get_beneficiary(
    program_beneficiary_id: uuid.UUID, principal: Reader, session: SessionDep
) -> BeneficiaryPublic:
    row = await service.get_beneficiary(
        session, principal=principal, beneficiary_id=program_beneficiary_id
    )
    if row is None:
        raise ProblemError(404, f"no beneficiary {program_beneficiary_id} in this client's regions")
    return service.to_public(row)


@router.get("", response_model=Page[BeneficiaryPublic], responses=PROBLEM_RESPONSES)
async def list_beneficiaries(
    principal: Reader,
    session: SessionDep,
    listing: Annotated[Listing, Depends()],
    program_id: uuid.UUID | None = None,
    joined_from: QueryDate = None,
    joined_to: QueryDate = None,
) -> Page[BeneficiaryPublic]:
    return await service.list_beneficiaries(
        session,
        principal=principal,
        listing=listing,
        program_id=program_id,
        joined_from=joined_from,
        joined_to=joined_to,
    )
