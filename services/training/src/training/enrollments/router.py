"""HTTP routes of enrolments: parse, call the service, map results to status codes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from shared.auth import Principal, RequireScope
from shared.db import SessionDep
from shared.entities import EXAMPLE_NIK, Entity
from shared.errors import PROBLEM_RESPONSES, Problem, ProblemError
from shared.events.training import EnrollmentWithdrawnV1
from shared.listing import Listing, QueryDate
from shared.persons import NikSearch, searched_person_ref
from shared.records import UPSERT_RESPONSES, Page, WriteResult
from shared.rules import Checked, checked_by
from shared.service import answer_write

from training.enrollments import service
from training.enrollments.models import Enrollment, EnrollmentCreate, EnrollmentPublic

router = APIRouter(prefix="/api/v1/training/enrollments", tags=["training: enrollments"])
reader, writer = RequireScope("training:read"), RequireScope("training:write")
Reader = Annotated[Principal, Depends(reader)]
Writer = Annotated[Principal, Depends(writer)]
Checks = Annotated[
    Checked[service.EnrollmentChecks], checked_by(service.check_enrollment, caller=Depends(writer))
]


ENTITY = Entity(
    domain="training",
    collection="enrollments",
    model=EnrollmentCreate,
    table=Enrollment,
    check=service.check_enrollment,
    upsert=service.upsert_enrollment,
    withdrawn=EnrollmentWithdrawnV1,
    example={
        "external_id": "PST-2026-0311",
        "program_external_id": "PLT-2026-011",
        "nik": EXAMPLE_NIK,
        "full_name": "Agus Setiawan",
        "birth_date": "2001-06-21",
        "sex": "M",
        "enrolled_at": "2026-08-03",
        "status": "completed",
        "completed_at": "2026-09-25",
        "certified": True,
    },
)


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
    checks: Checks,
    principal: Writer,
    session: SessionDep,
    request: Request,
    response: Response,
) -> WriteResult:
    result = await service.upsert_enrollment(
        session, principal=principal, data=data, checks=checks.value
    )
    return await answer_write(result, session=session, request=request, response=response)


@router.post(
    "/search",
    response_model=Page[EnrollmentPublic],
    responses=PROBLEM_RESPONSES,
    summary="Find the enrolments of a NIK in this client's regions (NIK in the body)",
)
async def search_enrollments(
    search: NikSearch,
    principal: Reader,
    session: SessionDep,
    request: Request,
    listing: Annotated[Listing, Depends()],
) -> Page[EnrollmentPublic]:
    return await service.list_enrollments(
        session,
        principal=principal,
        person_ref=searched_person_ref(search, secret=request.app.state.settings.person_ref_secret),
        listing=listing,
        program_id=None,
        status=None,
        certified=None,
        enrolled_from=None,
        enrolled_to=None,
    )


@router.get("/{enrollment_id:uuid}", response_model=EnrollmentPublic, responses=PROBLEM_RESPONSES)
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
    enrolled_from: QueryDate = None,
    enrolled_to: QueryDate = None,
) -> Page[EnrollmentPublic]:
    return await service.list_enrollments(
        session,
        principal=principal,
        listing=listing,
        program_id=program_id,
        status=status,
        certified=certified,
        enrolled_from=enrolled_from,
        enrolled_to=enrolled_to,
    )
