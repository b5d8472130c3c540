"""Retraction: ``DELETE {collection}/{id}`` for every declared entity, and ``withdraw_entity``,
the one withdrawal both it and the import jobs (``mode=withdraw``) use.

(No ``from __future__ import annotations``: the endpoints are built inside a function and their
annotations must be objects FastAPI can read, as in ``shared.imports.router``.)
"""

import uuid
from collections.abc import Callable, Coroutine, Sequence
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Path, Request, Response, status
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal, RequireScope
from shared.db import SessionDep
from shared.entities import Entity
from shared.errors import PROBLEM_RESPONSES, ProblemError
from shared.outbox import wake_relay
from shared.records import withdraw_record


async def withdraw_entity(
    session: AsyncSession,
    entity: Entity[Any],
    *,
    principal: Principal,
    where: Sequence[sa.ColumnElement[bool]],
    outbox: sa.Table,
) -> bool | None:
    """Withdraw the caller's ``entity`` record matching ``where`` with its follow-ups (no
    commit): True if this withdrew it, False if it already was, None if there is none."""
    found = await withdraw_record(
        session,
        entity.table,
        principal=principal,
        where=where,
        outbox=outbox,
        event=entity.withdrawn,
    )
    if found is None:
        return None
    row, withdrawn = found
    if withdrawn and entity.after_withdrawal is not None:
        await entity.after_withdrawal(session, principal=principal, row=row)
    return withdrawn


def withdrawal_router(*, entities: Sequence[Entity[Any]], outbox: sa.Table) -> APIRouter:
    """``DELETE {collection}/{id}`` for each of ``entities``: the sender withdraws its record.

    204 whether or not it was already withdrawn; 404 when the caller's regions hold no such
    record; 403 when another client sent it. The record stays readable by id with its
    ``withdrawn_at``; sending its ``external_id`` again revives it.
    """
    router = APIRouter()
    for entity in entities:
        router.add_api_route(
            entity.path + f"/{{{entity.id_name}:uuid}}",
            _withdraw_endpoint(entity, outbox),
            methods=["DELETE"],
            status_code=status.HTTP_204_NO_CONTENT,
            response_class=Response,
            responses=PROBLEM_RESPONSES,
            summary=f"Withdraw a record of {entity.collection} (indicators stop counting it)",
            tags=[f"{entity.domain}: {entity.collection.replace('-', ' ')}"],
        )
    return router


def _withdraw_endpoint(
    entity: Entity[Any], outbox: sa.Table
) -> Callable[..., Coroutine[Any, Any, Response]]:
    columns = sa.inspect(entity.table).columns

    async def withdraw(
        record_id: Annotated[uuid.UUID, Path(alias=entity.id_name)],
        principal: Annotated[Principal, Depends(RequireScope(entity.write_scope))],
        session: SessionDep,
        request: Request,
    ) -> Response:
        found = await withdraw_entity(
            session, entity, principal=principal, where=[columns.id == record_id], outbox=outbox
        )
        if found is None:
            raise ProblemError(404, f"no {entity.collection} record {record_id} in your regions")
        await session.commit()
        wake_relay(request)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    return withdraw
