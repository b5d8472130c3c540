"""HTTP routes of workplace accidents."""

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

from inspection.accidents import service
from inspection.accidents.models import AccidentCreate, AccidentPublic

router = APIRouter(prefix="/api/v1/inspection/accidents", tags=["inspection: accidents"])
Reader = Annotated[Principal, Depends(RequireScope("inspection:read"))]
Writer = Annotated[Principal, Depends(RequireScope("inspection:write"))]


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    responses=UPSERT_RESPONSES,
    summary="Report or correct a workplace accident and its victims (upsert by external_id)",
)
async def put_accident(
    data: AccidentCreate,
    principal: Writer,
    session: SessionDep,
    request: Request,
    response: Response,
) -> WriteResult:
    result = await service.upsert_accident(
        session,
        principal=principal,
        data=data,
        secret=request.app.state.settings.person_ref_secret,
    )
    return answer_write(result, request=request, response=response)


@router.get("/{accident_id}", response_model=AccidentPublic, responses=PROBLEM_RESPONSES)
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
    occurred_from: date | None = None,
    occurred_to: date | None = None,
    external_id: str | None = None,
) -> Page[AccidentPublic]:
    return await service.list_accidents(
        session,
        principal=principal,
        region_code=region_filter(listing.region_code),
        company_nib=company_nib,
        outcome=outcome,
        occurred_from=occurred_from,
        occurred_to=occurred_to,
        external_id=external_id,
        limit=listing.limit,
        offset=listing.offset,
    )
