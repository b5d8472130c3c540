"""HTTP routes of trade unions."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response, status
from shared.auth import Principal, RequireScope
from shared.db import SessionDep
from shared.entities import Entity, Flat
from shared.errors import PROBLEM_RESPONSES, ProblemError
from shared.events.industrial_relations import UnionWithdrawnV1
from shared.listing import Listing
from shared.records import UPSERT_RESPONSES, Page, WriteResult
from shared.rules import Checked, check_region, checked_by
from shared.service import answer_write

from industrial_relations.unions import service
from industrial_relations.unions.models import Union, UnionCreate, UnionPublic

router = APIRouter(
    prefix="/api/v1/industrial-relations/unions", tags=["industrial relations: unions"]
)
reader = RequireScope("industrial-relations:read")
writer = RequireScope("industrial-relations:write")
Reader = Annotated[Principal, Depends(reader)]
Writer = Annotated[Principal, Depends(writer)]
Checks = Annotated[Checked[str], checked_by(check_region, caller=Depends(writer))]


ENTITY = Entity(
    domain="industrial-relations",
    collection="unions",
    model=UnionCreate,
    table=Union,
    check=check_region,
    upsert=service.upsert_union,
    withdrawn=UnionWithdrawnV1,
    flat=Flat(values=service.union_values, event=service.union_event),
    example={
        "external_id": "SP-3216-0311",
        "name": "PUK SP Logam PT Sinar Logam Cikarang",
        "region_code": "32.16",
        "registered_at": "2024-02-12",
        "members": 412,
        "employer_nib": "9120001234567",
        "federation": "FSPMI",
    },
)


@router.post(
    "",
    response_model=WriteResult,
    status_code=status.HTTP_201_CREATED,
    responses=UPSERT_RESPONSES,
    summary="Record or correct a trade union (upsert by external_id)",
)
async def put_union(
    data: UnionCreate,
    checks: Checks,
    principal: Writer,
    session: SessionDep,
    request: Request,
    response: Response,
) -> WriteResult:
    result = await service.upsert_union(
        session, principal=principal, data=data, checks=checks.value
    )
    return await answer_write(result, session=session, request=request, response=response)


@router.get("/{union_id:uuid}", response_model=UnionPublic, responses=PROBLEM_RESPONSES)
async def get_union(union_id: uuid.UUID, principal: Reader, session: SessionDep) -> UnionPublic:
    row = await service.get_union(session, principal=principal, union_id=union_id)
    if row is None:
        raise ProblemError(404, f"no union {union_id} in this client's regions")
    return UnionPublic.model_validate(row)


@router.get("", response_model=Page[UnionPublic], responses=PROBLEM_RESPONSES)
async def list_unions(
    principal: Reader,
    session: SessionDep,
    listing: Annotated[Listing, Depends()],
    employer_nib: Annotated[str | None, Query(pattern=r"^\d{13}$")] = None,
) -> Page[UnionPublic]:
    return await service.list_unions(
        session, principal=principal, listing=listing, employer_nib=employer_nib
    )
