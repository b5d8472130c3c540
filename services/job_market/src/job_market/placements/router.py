"""HTTP routes of placements."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response, status
from shared.auth import Principal, RequireScope
from shared.db import SessionDep
from shared.entities import EXAMPLE_NIK, Entity
from shared.errors import PROBLEM_RESPONSES, ProblemError
from shared.events.job_market import PlacementWithdrawnV1
from shared.listing import Listing
from shared.records import UPSERT_RESPONSES, Page, WriteResult
from shared.rules import Checked, checked_by
from shared.service import answer_write

from job_market.placements import service
from job_market.placements.models import Placement, PlacementCreate, PlacementPublic

router = APIRouter(prefix="/api/v1/job-market/placements", tags=["job-market: placements"])
reader, writer = RequireScope("job-market:read"), RequireScope("job-market:write")
Reader = Annotated[Principal, Depends(reader)]
Writer = Annotated[Principal, Depends(writer)]
Checks = Annotated[
    Checked[service.PlacementChecks],
    checked_by(service.check_placement, caller=Depends(writer)),
]


ENTITY = Entity(
    domain="job-market",
    collection="placements",
    model=PlacementCreate,
    table=Placement,
    check=service.check_placement,
    upsert=service.upsert_placement,
    withdrawn=PlacementWithdrawnV1,
    after_withdrawal=service.after_withdrawal,
    example={
        "external_id": "PNP-2026-0007",
        "nik": EXAMPLE_NIK,
        "employer_nib": "9120001234567",
        "placed_at": "2026-10-20",
        "mechanism": "AKL",
        "region_code": "32.16",
        "vacancy_external_id": "LOW-2026-0042",
    },
)


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    responses=UPSERT_RESPONSES,
    summary="Record or correct a placement (upsert by external_id)",
)
async def put_placement(
    data: PlacementCreate,
    checks: Checks,
    principal: Writer,
    session: SessionDep,
    request: Request,
    response: Response,
) -> WriteResult:
    result = await service.upsert_placement(
        session, principal=principal, data=data, checks=checks.value
    )
    return await answer_write(result, session=session, request=request, response=response)


@router.get("/{placement_id:uuid}", response_model=PlacementPublic, responses=PROBLEM_RESPONSES)
async def get_placement(
    placement_id: uuid.UUID, principal: Reader, session: SessionDep
) -> PlacementPublic:
    row = await service.get_placement(session, principal=principal, placement_id=placement_id)
    if row is None:
        raise ProblemError(404, f"no placement {placement_id} in this client's regions")
    return service.to_public(row)


@router.get("", response_model=Page[PlacementPublic], responses=PROBLEM_RESPONSES)
async def list_placements(
    principal: Reader,
    session: SessionDep,
    listing: Annotated[Listing, Depends()],
    mechanism: Literal["AKL", "AKAD", "AKAN"] | None = None,
) -> Page[PlacementPublic]:
    return await service.list_placements(
        session,
        principal=principal,
        listing=listing,
        mechanism=mechanism,
    )
