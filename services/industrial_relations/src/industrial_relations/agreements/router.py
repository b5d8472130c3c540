"""HTTP routes of registered collective agreements (PKB) and company regulations (PP)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from shared.auth import Principal, RequireScope
from shared.db import SessionDep
from shared.entities import Entity, Flat
from shared.errors import PROBLEM_RESPONSES, ProblemError
from shared.events.industrial_relations import AgreementWithdrawnV1
from shared.listing import Listing, QueryDate
from shared.records import UPSERT_RESPONSES, Page, WriteResult
from shared.rules import Checked, check_region, checked_by
from shared.service import answer_write

from industrial_relations.agreements import service
from industrial_relations.agreements.models import Agreement, AgreementCreate, AgreementPublic

router = APIRouter(
    prefix="/api/v1/industrial-relations/agreements", tags=["industrial relations: agreements"]
)
reader = RequireScope("industrial-relations:read")
writer = RequireScope("industrial-relations:write")
Reader = Annotated[Principal, Depends(reader)]
Writer = Annotated[Principal, Depends(writer)]
Checks = Annotated[Checked[str], checked_by(check_region, caller=Depends(writer))]


ENTITY = Entity(
    domain="industrial-relations",
    collection="agreements",
    model=AgreementCreate,
    table=Agreement,
    check=check_region,
    upsert=service.upsert_agreement,
    withdrawn=AgreementWithdrawnV1,
    flat=Flat(values=service.agreement_values, event=service.agreement_event),
    example={
        "external_id": "PKB-2026-0108",
        "employer_nib": "9120001234567",
        "region_code": "32.16",
        "kind": "pkb",
        "registered_at": "2026-07-20",
        "valid_from": "2026-08-01",
        "valid_until": "2028-07-31",
        "workers_covered": 640,
    },
)


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    responses=UPSERT_RESPONSES,
    summary="Register or correct a PKB or PP registration (upsert by external_id)",
)
async def put_agreement(
    data: AgreementCreate,
    checks: Checks,
    principal: Writer,
    session: SessionDep,
    request: Request,
    response: Response,
) -> WriteResult:
    result = await service.upsert_agreement(
        session, principal=principal, data=data, checks=checks.value
    )
    return await answer_write(result, session=session, request=request, response=response)


@router.get("/{agreement_id:uuid}", response_model=AgreementPublic, responses=PROBLEM_RESPONSES)
async def get_agreement(
    agreement_id: uuid.UUID, principal: Reader, session: SessionDep
) -> AgreementPublic:
    row = await service.get_agreement(session, principal=principal, agreement_id=agreement_id)
    if row is None:
        raise ProblemError(404, f"no agreement {agreement_id} in this client's regions")
    return AgreementPublic.model_validate(row)


@router.get("", response_model=Page[AgreementPublic], responses=PROBLEM_RESPONSES)
async def list_agreements(
    principal: Reader,
    session: SessionDep,
    listing: Annotated[Listing, Depends()],
    employer_nib: Annotated[str | None, Query(pattern=r"^\d{13}$")] = None,
    kind: Annotated[str | None, Query(pattern="^(pkb|pp)$")] = None,
    in_force_on: QueryDate = None,
) -> Page[AgreementPublic]:
    """Agreements of the caller's regions; ``in_force_on``: only those in force that day."""
    return await service.list_agreements(
        session,
        principal=principal,
        listing=listing,
        employer_nib=employer_nib,
        kind=kind,
        in_force_on=in_force_on,
    )
