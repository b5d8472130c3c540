"""HTTP routes of vacancies."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response, status
from shared.auth import Principal, RequireScope
from shared.db import SessionDep
from shared.entities import Entity, Flat
from shared.errors import PROBLEM_RESPONSES, ProblemError
from shared.events.job_market import VacancyWithdrawnV1
from shared.listing import Listing
from shared.records import UPSERT_RESPONSES, Page, WriteResult
from shared.rules import Checked, check_region, checked_by
from shared.service import answer_write

from job_market.vacancies import service
from job_market.vacancies.models import Vacancy, VacancyCreate, VacancyPublic

router = APIRouter(prefix="/api/v1/job-market/vacancies", tags=["job-market: vacancies"])
reader, writer = RequireScope("job-market:read"), RequireScope("job-market:write")
Reader = Annotated[Principal, Depends(reader)]
Writer = Annotated[Principal, Depends(writer)]
Region = Annotated[Checked[str], checked_by(check_region, caller=Depends(writer))]


ENTITY = Entity(
    domain="job-market",
    collection="vacancies",
    model=VacancyCreate,
    table=Vacancy,
    check=check_region,
    upsert=service.upsert_vacancy,
    withdrawn=VacancyWithdrawnV1,
    flat=Flat(values=service.vacancy_values, event=service.vacancy_event),
    example={
        "external_id": "LOW-2026-0042",
        "employer_nib": "9120001234567",
        "employer_name": "PT Sinar Logam Cikarang",
        "kbli_code": "24101",
        "occupation_code": "8160",
        "title": "Operator produksi",
        "positions": 3,
        "region_code": "32.16",
        "posted_at": "2026-10-01",
    },
)


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    responses=UPSERT_RESPONSES,
    summary="Post or correct a vacancy (upsert by external_id)",
)
async def put_vacancy(
    data: VacancyCreate,
    region: Region,
    principal: Writer,
    session: SessionDep,
    request: Request,
    response: Response,
) -> WriteResult:
    result = await service.upsert_vacancy(
        session, principal=principal, data=data, checks=region.value
    )
    return await answer_write(result, session=session, request=request, response=response)


@router.get("/{vacancy_id:uuid}", response_model=VacancyPublic, responses=PROBLEM_RESPONSES)
async def get_vacancy(
    vacancy_id: uuid.UUID, principal: Reader, session: SessionDep
) -> VacancyPublic:
    row = await service.get_vacancy(session, principal=principal, vacancy_id=vacancy_id)
    if row is None:
        raise ProblemError(404, f"no vacancy {vacancy_id} in this client's regions")
    return VacancyPublic.model_validate(row)


@router.get("", response_model=Page[VacancyPublic], responses=PROBLEM_RESPONSES)
async def list_vacancies(
    principal: Reader,
    session: SessionDep,
    listing: Annotated[Listing, Depends()],
    status: Literal["open", "closed"] | None = None,
) -> Page[VacancyPublic]:
    return await service.list_vacancies(
        session,
        principal=principal,
        listing=listing,
        status=status,
    )
