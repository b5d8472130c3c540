"""HTTP routes of enrolments: parse, call the service, map results to status codes."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from shared.auth import Principal, RequireScope
from shared.errors import PROBLEM_RESPONSES, Problem, ProblemError
from shared.listing import Listing, region_filter
from shared.records import UPSERT_RESPONSES, Page, WriteResult
from shared.service import SessionDep, answer_write

from training.enrollments import service
from training.enrollments.models import EnrollmentCreate, EnrollmentPublic

router = APIRouter(prefix="/api/v1/training/enrollments", tags=["training: enrollments"])
Reader = Annotated[Principal, Depends(RequireScope("training:read"))]
Writer = Annotated[Principal, Depends(RequireScope("training:write"))]


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    responses={
        **UPSERT_RESPONSES,
        409: {
            "model": Problem,
            "content": {"application/problem+json": {}},
            "description": "The person is already enrolled in the program under another id",
        },
    },
    summary="Record or correct an enrolment (upsert by external_id)",
)
async def put_enrollment(
    data: EnrollmentCreate,
    principal: Writer,
    session: SessionDep,
    request: Request,
    response: Response,
) -> WriteResult:
    result = await service.upsert_enrollment(
        session,
        principal=principal,
        data=data,
        secret=request.app.state.settings.person_ref_secret,
    )
    return answer_write(result, request=request, response=response)


@router.get("/{enrollment_id}", response_model=EnrollmentPublic, responses=PROBLEM_RESPONSES)
async def get_enrollment(
    enrollment_id: uuid.UUID, principal: Reader, session: SessionDep
) -> EnrollmentPublic:
    row = await service.get_enrollment(session, principal=principal, enrollment_id=enrollment_id)
    if row is None:
        raise ProblemError(404, f"no enrolment {enrollment_id} in this client's regions")
    return service.to_public(row)


@router.get("", response_model=Page[EnrollmentPublic], responses=PROBLEM_RESPONSES)
async def list_enrollments(
    principal: Reader,
    session: SessionDep,
    listing: Annotated[Listing, Depends()],
    program_id: uuid.UUID | None = None,
    status: Annotated[str | None, Query(pattern="^(registered|completed|dropped_out)$")] = None,
    certified: bool | None = None,
    enrolled_from: date | None = None,
    enrolled_to: date | None = None,
    external_id: str | None = None,
) -> Page[EnrollmentPublic]:
    return await service.list_enrollments(
        session,
        principal=principal,
        region_code=region_filter(listing.region_code),
        program_id=program_id,
        status=status,
        certified=certified,
        enrolled_from=enrolled_from,
        enrolled_to=enrolled_to,
        external_id=external_id,
        limit=listing.limit,
        offset=listing.offset,
    )
