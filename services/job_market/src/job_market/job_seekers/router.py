"""HTTP routes of job seekers: parse, call the service, map results to status codes."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request, Response, status
from shared.auth import Principal, RequireScope
from shared.db import SessionDep
from shared.entities import EXAMPLE_NIK, Entity, Flat
from shared.errors import PROBLEM_RESPONSES, ProblemError
from shared.events.job_market import JobSeekerWithdrawnV1
from shared.listing import Listing, QueryDate
from shared.persons import NikSearch, searched_person_ref
from shared.records import UPSERT_RESPONSES, Page, WriteResult
from shared.rules import Checked, checked_by
from shared.service import answer_write

from job_market.job_seekers import service
from job_market.job_seekers.models import JobSeeker, JobSeekerCreate, JobSeekerPublic

router = APIRouter(prefix="/api/v1/job-market/job-seekers", tags=["job-market: job seekers"])
reader, writer = RequireScope("job-market:read"), RequireScope("job-market:write")
Reader = Annotated[Principal, Depends(reader)]
Writer = Annotated[Principal, Depends(writer)]
Checks = Annotated[
    Checked[service.JobSeekerChecks],
    checked_by(service.check_job_seeker, caller=Depends(writer)),
]


ENTITY = Entity(
    domain="job-market",
    collection="job-seekers",
    model=JobSeekerCreate,
    table=JobSeeker,
    check=service.check_job_seeker,
    upsert=service.upsert_job_seeker,
    withdrawn=JobSeekerWithdrawnV1,
    flat=Flat(values=service.job_seeker_values, event=service.job_seeker_event),
    example={
        "external_id": "AK1-2026-000123",
        "nik": EXAMPLE_NIK,
        "full_name": "Siti Rahmawati",
        "birth_date": "1998-03-14",
        "sex": "F",
        "education_level": "SMK",
        "region_code": "32.16",
        "registered_at": "2026-10-05",
        "ak1_number": "3216-2026-000123",
        "skills": ["Las listrik", "Bubut"],
        "disability": False,
        "status": "active",
    },
)


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    responses=UPSERT_RESPONSES,
    summary="Register or correct a job seeker (upsert by external_id)",
)
async def put_job_seeker(
    data: JobSeekerCreate,
    checks: Checks,
    principal: Writer,
    session: SessionDep,
    request: Request,
    response: Response,
) -> WriteResult:
    result = await service.upsert_job_seeker(
        session, principal=principal, data=data, checks=checks.value
    )
    return await answer_write(result, session=session, request=request, response=response)


@router.post(
    "/search",
    response_model=Page[JobSeekerPublic],
    responses=PROBLEM_RESPONSES,
    summary="Find the job seekers of a NIK in this client's regions (NIK in the body)",
)
async def search_job_seekers(
    search: NikSearch,
    principal: Reader,
    session: SessionDep,
    request: Request,
    listing: Annotated[Listing, Depends()],
) -> Page[JobSeekerPublic]:
    return await service.list_job_seekers(
        session,
        principal=principal,
        person_ref=searched_person_ref(search, secret=request.app.state.settings.person_ref_secret),
        listing=listing,
        status=None,
        registered_from=None,
        registered_to=None,
    )


@router.get("/{job_seeker_id:uuid}", response_model=JobSeekerPublic, responses=PROBLEM_RESPONSES)
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
    status: Literal["active", "placed", "expired"] | None = None,
    registered_from: QueryDate = None,
    registered_to: QueryDate = None,
) -> Page[JobSeekerPublic]:
    return await service.list_job_seekers(
        session,
        principal=principal,
        listing=listing,
        status=status,
        registered_from=registered_from,
        registered_to=registered_to,
    )
