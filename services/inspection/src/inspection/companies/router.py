"""HTTP routes of companies."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from shared.auth import Principal, RequireScope
from shared.db import SessionDep
from shared.entities import Entity, Flat
from shared.errors import PROBLEM_RESPONSES, ProblemError
from shared.events.inspection import CompanyWithdrawnV1
from shared.listing import Listing
from shared.records import UPSERT_RESPONSES, Page, WriteResult
from shared.rules import Checked, check_region, checked_by
from shared.service import answer_write

from inspection.companies import service
from inspection.companies.models import Company, CompanyCreate, CompanyPublic

router = APIRouter(prefix="/api/v1/inspection/companies", tags=["inspection: companies"])
reader, writer = RequireScope("inspection:read"), RequireScope("inspection:write")
Reader = Annotated[Principal, Depends(reader)]
Writer = Annotated[Principal, Depends(writer)]
Checks = Annotated[Checked[str], checked_by(check_region, caller=Depends(writer))]


ENTITY = Entity(
    domain="inspection",
    collection="companies",
    model=CompanyCreate,
    table=Company,
    check=check_region,
    upsert=service.upsert_company,
    withdrawn=CompanyWithdrawnV1,
    flat=Flat(values=service.company_values, event=service.company_event),
    key="nib",
    example={
        "nib": "9120001234567",
        "name": "PT Sinar Logam Cikarang",
        "kbli_code": "24101",
        "region_code": "32.16",
        "workers_male": 180,
        "workers_female": 45,
    },
)


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    responses=UPSERT_RESPONSES,
    summary="Register or correct a company (upsert by nib)",
)
async def put_company(
    data: CompanyCreate,
    checks: Checks,
    principal: Writer,
    session: SessionDep,
    request: Request,
    response: Response,
) -> WriteResult:
    result = await service.upsert_company(
        session, principal=principal, data=data, checks=checks.value
    )
    return await answer_write(result, session=session, request=request, response=response)


@router.get("/{company_id:uuid}", response_model=CompanyPublic, responses=PROBLEM_RESPONSES)
async def get_company(
    company_id: uuid.UUID, principal: Reader, session: SessionDep
) -> CompanyPublic:
    row = await service.get_company(session, principal=principal, company_id=company_id)
    if row is None:
        raise ProblemError(404, f"no company {company_id} in this client's regions")
    return CompanyPublic.model_validate(row)


@router.get("", response_model=Page[CompanyPublic], responses=PROBLEM_RESPONSES)
async def list_companies(
    principal: Reader,
    session: SessionDep,
    listing: Annotated[Listing, Depends()],
    nib: Annotated[str | None, Query(pattern=r"^\d{13}$")] = None,
    kbli_code: Annotated[str | None, Query(pattern=r"^\d{2,5}$")] = None,
) -> Page[CompanyPublic]:
    return await service.list_companies(
        session,
        principal=principal,
        listing=listing,
        nib=nib,
        kbli_code=kbli_code,
    )
