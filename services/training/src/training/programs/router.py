"""HTTP routes of training programs: parse, call the service, map results to status codes."""

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

from training.programs import service
from training.programs.models import ProgramCreate, ProgramPublic

router = APIRouter(prefix="/api/v1/training/programs", tags=["training: programs"])
Reader = Annotated[Principal, Depends(RequireScope("training:read"))]
Writer = Annotated[Principal, Depends(RequireScope("training:write"))]


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    responses=UPSERT_RESPONSES,
    summary="Register or correct a training program (upsert by external_id)",
)
async def put_program(
    data: ProgramCreate,
    principal: Writer,
    session: SessionDep,
    request: Request,
    response: Response,
) -> WriteResult:
    result = await service.upsert_program(session, principal=principal, data=data)
    return answer_write(result, request=request, response=response)


@router.get("/{program_id}", response_model=ProgramPublic, responses=PROBLEM_RESPONSES)
async def get_program(
    program_id: uuid.UUID, principal: Reader, session: SessionDep
) -> ProgramPublic:
    row = await service.get_program(session, principal=principal, program_id=program_id)
    if row is None:
        raise ProblemError(404, f"no training program {program_id} in this client's regions")
    return ProgramPublic.model_validate(row)


@router.get("", response_model=Page[ProgramPublic], responses=PROBLEM_RESPONSES)
async def list_programs(
    principal: Reader,
    session: SessionDep,
    listing: Annotated[Listing, Depends()],
    provider_type: Annotated[str | None, Query(pattern="^(BPVP|BLK|LPK|COMPANY|OTHER)$")] = None,
    vocational_field: str | None = None,
    starts_from: date | None = None,
    starts_to: date | None = None,
    external_id: str | None = None,
) -> Page[ProgramPublic]:
    return await service.list_programs(
        session,
        principal=principal,
        region_code=region_filter(listing.region_code),
        provider_type=provider_type,
        vocational_field=vocational_field,
        starts_from=starts_from,
        starts_to=starts_to,
        external_id=external_id,
        limit=listing.limit,
        offset=listing.offset,
    )
