"""HTTP routes of job seekers: parse, call the service, map results to status codes."""

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

from job_market.job_seekers import service
from job_market.job_seekers.models import JobSeekerCreate, JobSeekerPublic

router = APIRouter(prefix="/api/v1/job-market/job-seekers", tags=["job-market: job seekers"])
Reader = Annotated[Principal, Depends(RequireScope("job-market:read"))]
Writer = Annotated[Principal, Depends(RequireScope("job-market:write"))]


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    responses=UPSERT_RESPONSES,
    summary="Register or correct a job seeker (upsert by external_id)",
)
async def put_job_seeker(
    data: JobSeekerCreate,
    principal: Writer,
    session: SessionDep,
    request: Request,
    response: Response,
) -> WriteResult:
    result = await service.upsert_job_seeker(
        session,
        principal=principal,
        data=data,
        secret=request.app.state.settings.person_ref_secret,
    )
    return answer_write(result, request=request, response=response)


@router.get("/{job_seeker_id}", response_model=JobSeekerPublic, responses=PROBLEM_RESPONSES)
async def get_job_seeker(
    job_seeker_id: uuid.UUID, principal: Reader, session: SessionDep
) -> JobSeekerPublic:
    row = await service.get_job_seeker(session, principal=principal, job_seeker_id=job_seeker_id)
    if row is None:
        raise ProblemError(404, f"no job seeker {job_seeker_id} in this client's regions")
    return service.to_public(row)


@router.get("", response_model=Page[JobSeekerPublic], responses=PROBLEM_RESPONSES)
async def list_job_seekers(
    principal: Reader,
    session: SessionDep,
    listing: Annotated[Listing, Depends()],
    status: Annotated[str | None, Query(pattern="^(active|placed|expired)$")] = None,
    registered_from: date | None = None,
    registered_to: date | None = None,
    external_id: str | None = None,
) -> Page[JobSeekerPublic]:
    return await service.list_job_seekers(
        session,
        principal=principal,
        region_code=region_filter(listing.region_code),
        status=status,
        registered_from=registered_from,
        registered_to=registered_to,
        external_id=external_id,
        limit=listing.limit,
        offset=listing.offset,
    )
