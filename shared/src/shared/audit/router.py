"""``GET /api/v1/<domain>/audit``: an officer (scope ``audit:read``) lists a record's trail.

Region-scoped like every read: an officer sees the entries of records in the token's
regions (the record's region as it was at that access), a national officer all of them.
"""

# No ``from __future__ import annotations``: the route's parameter types are built inside
# ``audit_router`` (the entity pattern is the service's), and FastAPI can only read such
# annotations when they are objects, not strings naming local variables.

import uuid
from datetime import datetime
from typing import Annotated

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.audit.table import Action
from shared.auth import Principal, RequireScope
from shared.errors import PROBLEM_RESPONSES

AUDIT_SCOPE = "audit:read"
MAX_OFFSET = 100_000


class AuditEntry(BaseModel):
    """One access to a record: who, what, when, under which request."""

    position: int | None = Field(description="Place in the hash chain; null until sealed")
    at: datetime
    client_id: str
    regions: list[str] = Field(description="The regions of the caller's token")
    action: Action
    entity: str
    record_id: uuid.UUID | None
    region_code: str | None = Field(description="The record's region at that access")
    request_id: str | None
    hash: str | None = Field(description="SHA-256 of the sealed entry (hex); null until sealed")


class TrailPage(BaseModel):
    """One page of a record's audit trail, oldest first (a record's trail is short: offsets)."""

    items: list[AuditEntry]
    total: int
    limit: int
    offset: int


def audited_entities(table: sa.Table) -> list[str]:
    """The record tables of ``table``'s database (those with a region)."""
    tables = table.metadata.tables.values()
    return sorted(t.name for t in tables if "region_code" in t.c and t is not table)


async def trail_of(
    conn: AsyncConnection,
    table: sa.Table,
    *,
    principal: Principal,
    entity: str,
    record_id: uuid.UUID,
    limit: int,
    offset: int,
) -> TrailPage:
    """The audit entries of one record in the caller's regions, oldest first."""
    where = [table.c.entity == entity, table.c.record_id == record_id]
    regions = principal.region_scope()
    if regions is not None:
        where.append(table.c.region_code.in_(sorted(regions)))
    total = await conn.scalar(sa.select(sa.func.count()).select_from(table).where(*where))
    rows = await conn.execute(
        sa.select(table).where(*where).order_by(table.c.seq).limit(limit).offset(offset)
    )
    items = [
        AuditEntry(
            position=r.chain_pos,
            at=r.at,
            client_id=r.client_id,
            regions=list(r.regions),
            action=Action(r.action),
            entity=r.entity,
            record_id=r.record_id,
            region_code=r.region_code,
            request_id=r.request_id,
            hash=bytes(r.hash).hex() if r.hash is not None else None,
        )
        for r in rows
    ]
    return TrailPage(items=items, total=total or 0, limit=limit, offset=offset)


def audit_router(*, domain: str, table: sa.Table) -> APIRouter:
    """The trail listing of one service, under ``/api/v1/<domain>/audit``."""
    router = APIRouter(prefix=f"/api/v1/{domain}/audit", tags=[f"{domain}: audit trail"])
    officer = RequireScope(AUDIT_SCOPE)
    entity_pattern = f"^({'|'.join(audited_entities(table))})$"

    @router.get(
        "",
        response_model=TrailPage,
        responses=PROBLEM_RESPONSES,
        summary="The audit trail of one record (who wrote or read it, when)",
    )
    async def list_audit_trail(
        request: Request,
        principal: Annotated[Principal, Depends(officer)],
        entity: Annotated[str, Query(pattern=entity_pattern, description="Table of the record")],
        record_id: uuid.UUID,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    ) -> TrailPage:
        async with request.app.state.engine.connect() as conn:
            return await trail_of(
                conn,
                table,
                principal=principal,
                entity=entity,
                record_id=record_id,
                limit=limit,
                offset=offset,
            )

    return router
