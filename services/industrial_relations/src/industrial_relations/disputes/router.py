"""HTTP routes of industrial-relations disputes."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from shared.auth import Principal, RequireScope
from shared.db import SessionDep
from shared.entities import Entity, Flat
from shared.errors import PROBLEM_RESPONSES, ProblemError
from shared.events.industrial_relations import DisputeWithdrawnV1
from shared.listing import Listing, QueryDate
from shared.records import UPSERT_RESPONSES, Page, WriteResult
from shared.rules import Checked, check_region, checked_by
from shared.service import answer_write

from industrial_relations.disputes import service
from industrial_relations.disputes.models import Dispute, DisputeCreate, DisputePublic

router = APIRouter(
    prefix="/api/v1/industrial-relations/disputes", tags=["industrial relations: disputes"]
)
reader = RequireScope("industrial-relations:read")
writer = RequireScope("industrial-relations:write")
Reader = Annotated[Principal, Depends(reader)]
Writer = Annotated[Principal, Depends(writer)]
Checks = Annotated[Checked[str], checked_by(check_region, caller=Depends(writer))]


ENTITY = Entity(
    domain="industrial-relations",
    collection="disputes",
    model=DisputeCreate,
    table=Dispute,
    check=check_region,
    upsert=service.upsert_dispute,
    withdrawn=DisputeWithdrawnV1,
    flat=Flat(values=service.dispute_values, event=service.dispute_event),
    example={
        "external_id": "PHI-2026-0042",
        "employer_nib": "9120001234567",
        "region_code": "32.16",
        "registered_at": "2026-08-03",
        "type": "rights",
        "stage": "mediation",
        "status": "settled",
        "settled_at": "2026-09-14",
        "settlement": "joint_agreement",
        "workers_involved": 37,
    },
)


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    responses=UPSERT_RESPONSES,
    summary="Register or correct an industrial dispute (upsert by external_id)",
)
async def put_dispute(
    data: DisputeCreate,
    checks: Checks,
    principal: Writer,
    session: SessionDep,
    request: Request,
    response: Response,
) -> WriteResult:
    result = await service.upsert_dispute(
        session, principal=principal, data=data, checks=checks.value
    )
    return await answer_write(result, session=session, request=request, response=response)


@router.get("/{dispute_id:uuid}", response_model=DisputePublic, responses=PROBLEM_RESPONSES)
async def get_dispute(
    dispute_id: uuid.UUID, principal: Reader, session: SessionDep
) -> DisputePublic:
    row = await service.get_dispute(session, principal=principal, dispute_id=dispute_id)
    if row is None:
        raise ProblemError(404, f"no dispute {dispute_id} in this client's regions")
    return DisputePublic.model_validate(row)


@router.get("", response_model=Page[DisputePublic], responses=PROBLEM_RESPONSES)
async def list_disputes(
    principal: Reader,
    session: SessionDep,
    listing: Annotated[Listing, Depends()],
    employer_nib: Annotated[str | None, Query(pattern=r"^\d{13}$")] = None,
    dispute_type: Annotated[
        str | None, Query(alias="type", pattern="^(rights|interests|termination|inter_union)$")
    ] = None,
    dispute_status: Annotated[
        str | None,
        Query(
            alias="status",
            pattern="^(open|settled|recommendation_issued|decided|withdrawn)$",
        ),
    ] = None,
    registered_from: QueryDate = None,
    registered_to: QueryDate = None,
) -> Page[DisputePublic]:
    return await service.list_disputes(
        session,
        principal=principal,
        listing=listing,
        employer_nib=employer_nib,
        dispute_type=dispute_type,
        status=dispute_status,
        registered_from=registered_from,
        registered_to=registered_to,
    )
