"""HTTP routes of placements."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from shared.auth import Principal, RequireScope
from shared.errors import PROBLEM_RESPONSES, ProblemError
from shared.listing import Listing, region_filter
from shared.records import UPSERT_RESPONSES, Page, WriteResult
from shared.service import SessionDep, answer_write

from job_market.placements import service
from job_market.placements.models import PlacementCreate, PlacementPublic

router = APIRouter(prefix="/api/v1/job-market/placements", tags=["job-market: placements"])
Reader = Annotated[Principal, Depends(RequireScope("job-market:read"))]
Writer = Annotated[Principal, Depends(RequireScope("job-market:write"))]


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    responses=UPSERT_RESPONSES,
    summary="Record or correct a placement (upsert by external_id)",
)
async def put_placement(
    data: PlacementCreate,
    principal: Writer,
    session: SessionDep,
    request: Request,
    response: Response,
) -> WriteResult:
    result = await service.upsert_placement(
        session,
        principal=principal,
        data=data,
        secret=request.app.state.settings.person_ref_secret,
    )
    return answer_write(result, request=request, response=response)


@router.get("/{placement_id}", response_model=PlacementPublic, responses=PROBLEM_RESPONSES)
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
    mechanism: Annotated[str | None, Query(pattern="^(AKL|AKAD|AKAN)$")] = None,
) -> Page[PlacementPublic]:
    return await service.list_placements(
        session,
        principal=principal,
        region_code=region_filter(listing.region_code),
        mechanism=mechanism,
        limit=listing.limit,
        offset=listing.offset,
    )
