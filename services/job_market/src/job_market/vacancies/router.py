"""HTTP routes of vacancies."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from shared.auth import Principal, RequireScope
from shared.errors import PROBLEM_RESPONSES, ProblemError
from shared.listing import Listing, region_filter
from shared.records import UPSERT_RESPONSES, Page, WriteResult
from shared.service import SessionDep, answer_write

from job_market.vacancies import service
from job_market.vacancies.models import VacancyCreate, VacancyPublic

router = APIRouter(prefix="/api/v1/job-market/vacancies", tags=["job-market: vacancies"])
Reader = Annotated[Principal, Depends(RequireScope("job-market:read"))]
Writer = Annotated[Principal, Depends(RequireScope("job-market:write"))]


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    responses=UPSERT_RESPONSES,
    summary="Post or correct a vacancy (upsert by external_id)",
)
async def put_vacancy(
    data: VacancyCreate,
    principal: Writer,
    session: SessionDep,
    request: Request,
    response: Response,
) -> WriteResult:
    result = await service.upsert_vacancy(session, principal=principal, data=data)
    return answer_write(result, request=request, response=response)


@router.get("/{vacancy_id}", response_model=VacancyPublic, responses=PROBLEM_RESPONSES)
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
    status: Annotated[str | None, Query(pattern="^(open|closed)$")] = None,
) -> Page[VacancyPublic]:
    return await service.list_vacancies(
        session,
        principal=principal,
        region_code=region_filter(listing.region_code),
        status=status,
        limit=listing.limit,
        offset=listing.offset,
    )
