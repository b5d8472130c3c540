"""HTTP routes of layoff reports (laporan PHK)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from shared.auth import Principal, RequireScope
from shared.db import SessionDep
from shared.entities import EXAMPLE_NIK, Entity
from shared.errors import PROBLEM_RESPONSES, ProblemError
from shared.events.industrial_relations import LayoffWithdrawnV1
from shared.listing import Listing, QueryDate
from shared.persons import NikSearch, searched_person_ref
from shared.records import UPSERT_RESPONSES, Page, WriteResult
from shared.rules import Checked, checked_by
from shared.service import answer_write

from industrial_relations.layoffs import service
from industrial_relations.layoffs.models import Layoff, LayoffCreate, LayoffPublic

router = APIRouter(
    prefix="/api/v1/industrial-relations/layoffs", tags=["industrial relations: layoffs"]
)
reader = RequireScope("industrial-relations:read")
writer = RequireScope("industrial-relations:write")
Reader = Annotated[Principal, Depends(reader)]
Writer = Annotated[Principal, Depends(writer)]
Checks = Annotated[
    Checked[service.LayoffChecks], checked_by(service.check_layoff, caller=Depends(writer))
]
REASONS = "^(efficiency|closure|bankruptcy|force_majeure|misconduct|contract_end|other)$"


ENTITY = Entity(
    domain="industrial-relations",
    collection="layoffs",
    model=LayoffCreate,
    table=Layoff,
    check=service.check_layoff,
    upsert=service.upsert_layoff,
    withdrawn=LayoffWithdrawnV1,
    example={
        "external_id": "PHK-2026-0231",
        "employer_nib": "9120001234567",
        "region_code": "32.16",
        "reported_at": "2026-09-02",
        "effective_at": "2026-09-30",
        "reason": "efficiency",
        "workers": [
            {
                "nik": EXAMPLE_NIK,
                "full_name": "Siti Rahmawati",
                "birth_date": "1993-11-05",
                "sex": "F",
            }
        ],
        "severance_total_idr": 48000000,
    },
)


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    responses=UPSERT_RESPONSES,
    summary="Record or correct a layoff report and its workers (upsert by external_id)",
)
async def put_layoff(
    data: LayoffCreate,
    checks: Checks,
    principal: Writer,
    session: SessionDep,
    request: Request,
    response: Response,
) -> WriteResult:
    result = await service.upsert_layoff(
        session, principal=principal, data=data, checks=checks.value
    )
    return await answer_write(result, session=session, request=request, response=response)


@router.post(
    "/search",
    response_model=Page[LayoffPublic],
    responses=PROBLEM_RESPONSES,
    summary="Find the layoff reports naming a NIK in this client's regions (NIK in the body)",
)
async def search_layoffs(
    search: NikSearch,
    principal: Reader,
    session: SessionDep,
    request: Request,
    listing: Annotated[Listing, Depends()],
) -> Page[LayoffPublic]:
    return await service.list_layoffs(
        session,
        principal=principal,
        person_ref=searched_person_ref(search, secret=request.app.state.settings.person_ref_secret),
        listing=listing,
        employer_nib=None,
        reason=None,
        effective_from=None,
        effective_to=None,
    )


@router.get("/{layoff_id:uuid}", response_model=LayoffPublic, responses=PROBLEM_RESPONSES)
async def get_layoff(layoff_id: uuid.UUID, principal: Reader, session: SessionDep) -> LayoffPublic:
    layoff = await service.get_layoff(session, principal=principal, layoff_id=layoff_id)
    if layoff is None:
        raise ProblemError(404, f"no layoff report {layoff_id} in this client's regions")
    return layoff


@router.get("", response_model=Page[LayoffPublic], responses=PROBLEM_RESPONSES)
async def list_layoffs(
    principal: Reader,
    session: SessionDep,
    listing: Annotated[Listing, Depends()],
    employer_nib: Annotated[str | None, Query(pattern=r"^\d{13}$")] = None,
    reason: Annotated[str | None, Query(pattern=REASONS)] = None,
    effective_from: QueryDate = None,
    effective_to: QueryDate = None,
) -> Page[LayoffPublic]:
    return await service.list_layoffs(
        session,
        principal=principal,
        listing=listing,
        employer_nib=employer_nib,
        reason=reason,
        effective_from=effective_from,
        effective_to=effective_to,
    )
