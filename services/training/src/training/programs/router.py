"""HTTP routes of training programs: parse, call the service, map results to status codes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from shared.auth import Principal, RequireScope
from shared.db import SessionDep
from shared.entities import Entity, Flat
from shared.errors import PROBLEM_RESPONSES, ProblemError
from shared.events.training import ProgramWithdrawnV1
from shared.listing import Listing, QueryDate, QueryText
from shared.records import UPSERT_RESPONSES, Page, WriteResult
from shared.rules import Checked, check_region, checked_by
from shared.service import answer_write

from training.programs import service
from training.programs.models import Program, ProgramCreate, ProgramPublic

router = APIRouter(prefix="/api/v1/training/programs", tags=["training: programs"])
reader, writer = RequireScope("training:read"), RequireScope("training:write")
Reader = Annotated[Principal, Depends(reader)]
Writer = Annotated[Principal, Depends(writer)]
Checks = Annotated[Checked[str], checked_by(check_region, caller=Depends(writer))]


ENTITY = Entity(
    domain="training",
    collection="programs",
    model=ProgramCreate,
    table=Program,
    check=check_region,
    upsert=service.upsert_program,
    withdrawn=ProgramWithdrawnV1,
    flat=Flat(values=service.program_values, event=service.program_event),
    example={
        "external_id": "PLT-2026-011",
        "name": "Pelatihan Juru Las SMAW 3G",
        "provider_type": "BPVP",
        "provider_name": "BPVP Bekasi",
        "vocational_field": "Teknik Las",
        "region_code": "32.16",
        "start_date": "2026-08-10",
        "end_date": "2026-09-25",
        "capacity": 16,
    },
)


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    responses=UPSERT_RESPONSES,
    summary="Register or correct a training program (upsert by external_id)",
)
async def put_program(
    data: ProgramCreate,
    checks: Checks,
    principal: Writer,
    session: SessionDep,
    request: Request,
    response: Response,
) -> WriteResult:
    result = await service.upsert_program(
        session, principal=principal, data=data, checks=checks.value
    )
    return await answer_write(result, session=session, request=request, response=response)


@router.get("/{program_id:uuid}", response_model=ProgramPublic, responses=PROBLEM_RESPONSES)
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
    vocational_field: QueryText = None,
    starts_from: QueryDate = None,
    starts_to: QueryDate = None,
) -> Page[ProgramPublic]:
    return await service.list_programs(
        session,
        principal=principal,
        listing=listing,
        provider_type=provider_type,
        vocational_field=vocational_field,
        starts_from=starts_from,
        starts_to=starts_to,
    )
