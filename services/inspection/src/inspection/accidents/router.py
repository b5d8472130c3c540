"""HTTP routes of workplace accidents."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from shared.auth import Principal, RequireScope
from shared.db import SessionDep
from shared.entities import EXAMPLE_NIK, Entity
from shared.errors import PROBLEM_RESPONSES, ProblemError
from shared.events.inspection import AccidentWithdrawnV1
from shared.listing import Listing, QueryDate
from shared.persons import NikSearch, searched_person_ref
from shared.records import UPSERT_RESPONSES, Page, WriteResult
from shared.rules import Checked, checked_by
from shared.service import answer_write

from inspection.accidents import service
from inspection.accidents.models import Accident, AccidentCreate, AccidentPublic

router = APIRouter(prefix="/api/v1/inspection/accidents", tags=["inspection: accidents"])
reader, writer = RequireScope("inspection:read"), RequireScope("inspection:write")
Reader = Annotated[Principal, Depends(reader)]
Writer = Annotated[Principal, Depends(writer)]
Checks = Annotated[
    Checked[service.AccidentChecks], checked_by(service.check_accident, caller=Depends(writer))
]


ENTITY = Entity(
    domain="inspection",
    collection="accidents",
    model=AccidentCreate,
    table=Accident,
    check=service.check_accident,
    upsert=service.upsert_accident,
    withdrawn=AccidentWithdrawnV1,
    example={
        "external_id": "KK-2026-0017",
        "company_nib": "9120001234567",
        "region_code": "32.16",
        "occurred_at": "2026-08-02",
        "outcome": "disability",
        "victims": [
            {
                "nik": EXAMPLE_NIK,
                "full_name": "Agus Pratama",
                "birth_date": "1991-04-23",
                "sex": "M",
            }
        ],
        "lost_days": 30,
        "injury": "Tangan terjepit mesin press",
    },
)


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    responses=UPSERT_RESPONSES,
    summary="Report or correct a workplace accident and its victims (upsert by external_id)",
)
async def put_accident(
    data: AccidentCreate,
    checks: Checks,
    principal: Writer,
    session: SessionDep,
    request: Request,
    response: Response,
) -> WriteResult:
    result = await service.upsert_accident(
        session, principal=principal, data=data, checks=checks.value
    )
    return await answer_write(result, session=session, request=request, response=response)


@router.post(
    "/search",
    response_model=Page[AccidentPublic],
    responses=PROBLEM_RESPONSES,
    summary="Find the accidents (as a victim) of a NIK in this client's regions (NIK in the body)",
)
async def search_accidents(
    search: NikSearch,
    principal: Reader,
    session: SessionDep,
    request: Request,
    listing: Annotated[Listing, Depends()],
) -> Page[AccidentPublic]:
    return await service.list_accidents(
        session,
        principal=principal,
        person_ref=searched_person_ref(search, secret=request.app.state.settings.person_ref_secret),
        listing=listing,
        company_nib=None,
        outcome=None,
        occurred_from=None,
        occurred_to=None,
    )


@router.get("/{accident_id:uuid}", response_model=AccidentPublic, responses=PROBLEM_RESPONSES)
async def get_accident(
    accident_id: uuid.UUID, principal: Reader, session: SessionDep
) -> AccidentPublic:
    accident = await service.get_accident(session, principal=principal, accident_id=accident_id)
    if accident is None:
        raise ProblemError(404, f"no accident {accident_id} in this client's regions")
    return accident


@router.get("", response_model=Page[AccidentPublic], responses=PROBLEM_RESPONSES)
async def list_accidents(
    principal: Reader,
    session: SessionDep,
    listing: Annotated[Listing, Depends()],
    company_nib: Annotated[str | None, Query(pattern=r"^\d{13}$")] = None,
    outcome: Annotated[str | None, Query(pattern="^(recovered|disability|death)$")] = None,
    occurred_from: QueryDate = None,
    occurred_to: QueryDate = None,
) -> Page[AccidentPublic]:
    return await service.list_accidents(
        session,
        principal=principal,
        listing=listing,
        company_nib=company_nib,
        outcome=outcome,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
    )
