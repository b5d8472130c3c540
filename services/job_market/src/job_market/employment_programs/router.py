"""HTTP routes of employment-expansion programs."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from shared.auth import Principal, RequireScope
from shared.db import SessionDep
from shared.entities import Entity, Flat
from shared.errors import PROBLEM_RESPONSES, ProblemError
from shared.events.job_market import EmploymentProgramWithdrawnV1
from shared.listing import Listing, QueryDate
from shared.records import UPSERT_RESPONSES, Page, WriteResult
from shared.rules import Checked, check_region, checked_by
from shared.service import answer_write

from job_market.employment_programs import service
from job_market.employment_programs.models import (
    EmploymentProgram,
    EmploymentProgramCreate,
    EmploymentProgramPublic,
)

router = APIRouter(
    prefix="/api/v1/job-market/employment-programs", tags=["job market: employment programs"]
)
reader, writer = RequireScope("job-market:read"), RequireScope("job-market:write")
Reader = Annotated[Principal, Depends(reader)]
Writer = Annotated[Principal, Depends(writer)]
Checks = Annotated[Checked[str], checked_by(check_region, caller=Depends(writer))]


ENTITY = Entity(
    domain="job-market",
    collection="employment-programs",
    model=EmploymentProgramCreate,
    table=EmploymentProgram,
    check=check_region,
    upsert=service.upsert_program,
    withdrawn=EmploymentProgramWithdrawnV1,
    flat=Flat(values=service.program_values, event=service.program_event),
    example={
        "external_id": "PK-2026-014",
        "region_code": "32.16",
        "kind": "labour_intensive",
        "name": "Padat Karya Normalisasi Saluran Irigasi Cibitung",
        "start_date": "2026-07-01",
        "end_date": "2026-08-15",
        "budget_idr": 450000000,
    },
)


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    responses=UPSERT_RESPONSES,
    summary="Record or correct an employment-expansion program (upsert by external_id)",
)
async def put_program(
    data: EmploymentProgramCreate,
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


@router.get(
    "/{employment_program_id:uuid}",
    response_model=EmploymentProgramPublic,
    responses=PROBLEM_RESPONSES,
)
async def get_program(
    employment_program_id: uuid.UUID, principal: Reader, session: SessionDep
) -> EmploymentProgramPublic:
    row = await service.get_program(session, principal=principal, program_id=employment_program_id)
    if row is None:
        raise ProblemError(404, f"no program {employment_program_id} in this client's regions")
    return EmploymentProgramPublic.model_validate(row)


@router.get("", response_model=Page[EmploymentProgramPublic], responses=PROBLEM_RESPONSES)
async def list_programs(
    principal: Reader,
    session: SessionDep,
    listing: Annotated[Listing, Depends()],
    kind: Annotated[str | None, Query(pattern="^(labour_intensive|self_employment|other)$")] = None,
    started_from: QueryDate = None,
    started_to: QueryDate = None,
) -> Page[EmploymentProgramPublic]:
    return await service.list_programs(
        session,
        principal=principal,
        listing=listing,
        kind=kind,
        started_from=started_from,
        started_to=started_to,
    )
