"""HTTP routes of inspections."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from shared.auth import Principal, RequireScope
from shared.db import SessionDep
from shared.entities import Entity
from shared.errors import PROBLEM_RESPONSES, ProblemError
from shared.events.inspection import InspectionWithdrawnV1
from shared.listing import Listing, QueryDate
from shared.records import UPSERT_RESPONSES, Page, WriteResult
from shared.rules import Checked, checked_by
from shared.service import answer_write

from inspection.inspections import service
from inspection.inspections.models import Inspection, InspectionCreate, InspectionPublic

router = APIRouter(prefix="/api/v1/inspection/inspections", tags=["inspection: inspections"])
reader, writer = RequireScope("inspection:read"), RequireScope("inspection:write")
Reader = Annotated[Principal, Depends(reader)]
Writer = Annotated[Principal, Depends(writer)]
Checks = Annotated[
    Checked[service.InspectionChecks], checked_by(service.check_inspection, caller=Depends(writer))
]


ENTITY = Entity(
    domain="inspection",
    collection="inspections",
    model=InspectionCreate,
    table=Inspection,
    check=service.check_inspection,
    upsert=service.upsert_inspection,
    withdrawn=InspectionWithdrawnV1,
    example={
        "external_id": "RIK-2026-0093",
        "company_nib": "9120001234567",
        "region_code": "32.16",
        "inspected_at": "2026-09-15",
        "type": "routine",
        "findings": [
            {"norm": "wages", "status": "notice_1"},
            {"norm": "k3", "status": "open"},
        ],
        "inspector_name": "Budi Santoso",
    },
)


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    responses=UPSERT_RESPONSES,
    summary="Record or correct an inspection and its findings (upsert by external_id)",
)
async def put_inspection(
    data: InspectionCreate,
    checks: Checks,
    principal: Writer,
    session: SessionDep,
    request: Request,
    response: Response,
) -> WriteResult:
    result = await service.upsert_inspection(
        session, principal=principal, data=data, checks=checks.value
    )
    return await answer_write(result, session=session, request=request, response=response)


@router.get("/{inspection_id:uuid}", response_model=InspectionPublic, responses=PROBLEM_RESPONSES)
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
    inspected_from: QueryDate = None,
    inspected_to: QueryDate = None,
) -> Page[InspectionPublic]:
    return await service.list_inspections(
        session,
        principal=principal,
        listing=listing,
        company_nib=company_nib,
        inspection_type=inspection_type,
        finding_status=finding_status,
        inspected_from=inspected_from,
        inspected_to=inspected_to,
    )
