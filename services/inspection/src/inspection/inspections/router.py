"""HTTP routes of inspections."""

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

from inspection.inspections import service
from inspection.inspections.models import InspectionCreate, InspectionPublic

router = APIRouter(prefix="/api/v1/inspection/inspections", tags=["inspection: inspections"])
Reader = Annotated[Principal, Depends(RequireScope("inspection:read"))]
Writer = Annotated[Principal, Depends(RequireScope("inspection:write"))]


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    responses=UPSERT_RESPONSES,
    summary="Record or correct an inspection and its findings (upsert by external_id)",
)
async def put_inspection(
    data: InspectionCreate,
    principal: Writer,
    session: SessionDep,
    request: Request,
    response: Response,
) -> WriteResult:
    result = await service.upsert_inspection(session, principal=principal, data=data)
    return answer_write(result, request=request, response=response)


@router.get("/{inspection_id}", response_model=InspectionPublic, responses=PROBLEM_RESPONSES)
async def get_inspection(
    inspection_id: uuid.UUID, principal: Reader, session: SessionDep
) -> InspectionPublic:
    row = await service.get_inspection(session, principal=principal, inspection_id=inspection_id)
    if row is None:
        raise ProblemError(404, f"no inspection {inspection_id} in this client's regions")
    return service.to_public(row)


@router.get("", response_model=Page[InspectionPublic], responses=PROBLEM_RESPONSES)
async def list_inspections(
    principal: Reader,
    session: SessionDep,
    listing: Annotated[Listing, Depends()],
    company_nib: Annotated[str | None, Query(pattern=r"^\d{13}$")] = None,
    inspection_type: Annotated[
        str | None, Query(alias="type", pattern="^(routine|special|k3_test)$")
    ] = None,
    finding_status: Annotated[
        str | None,
        Query(
            pattern="^(open|notice_1|notice_2|resolved|prosecuted)$",
            description="Only inspections with at least one finding in this status",
        ),
    ] = None,
    inspected_from: date | None = None,
    inspected_to: date | None = None,
    external_id: str | None = None,
) -> Page[InspectionPublic]:
    return await service.list_inspections(
        session,
        principal=principal,
        region_code=region_filter(listing.region_code),
        company_nib=company_nib,
        inspection_type=inspection_type,
        finding_status=finding_status,
        inspected_from=inspected_from,
        inspected_to=inspected_to,
        external_id=external_id,
        limit=listing.limit,
        offset=listing.offset,
    )
