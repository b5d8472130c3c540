"""Reporting periods: a region closes (and may reopen) a month of its reporting, per domain.

Closing ``2026-10`` says "this region has sent everything of October for this domain"; the
aggregation counts it towards the reporting rates (DHIS2's completeness: expected reports are
the participating regions', a report is on time when it is closed within a configured number of
days after the month ends). Every domain service mounts the same routes
(``create_service_app(reporting=...)``), under its own path and scopes:

- ``POST /api/v1/{domain}/reporting-periods/{YYYY-MM}/complete``, optional body
  ``{"region_code": "32.16"}`` (``3216`` accepted; without it, the token's only region):
  closes the month. ``completed_at`` is the server's time, never the client's.
- ``DELETE`` the same path (``?region_code=`` or the token's only region): reopens it.
- ``GET /api/v1/{domain}/reporting-periods[?region_code=&period=]``: the months of the token's
  regions that were ever closed (open again or not), by region and month.

Each close or reopen is a new ``revision`` of the period and publishes the domain's
``reporting_period.updated.v1`` in the same transaction (``id`` = ``reporting_period_id``, the
same for a region, month and domain every time; ``completed_at`` null when reopened). Closing a
closed month or reopening an open one changes nothing and publishes nothing. A month can be
closed from its first day (Asia/Jakarta) on, back to 2000-01.

(No ``from __future__ import annotations``: the endpoints are built inside a function and
their annotations must be objects FastAPI can read, as in ``shared.withdrawal``.)
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Body, Depends, Path, Query, Request
from pydantic import BaseModel, Field
from sqlalchemy.dialects.postgresql import UUID, insert
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal, RequireScope
from shared.db import SessionDep
from shared.errors import PROBLEM_RESPONSES, invalid
from shared.events.base import ReportingPeriodState, reporting_period_id
from shared.input import STRICT_INPUT, RegionCode, Text
from shared.listing import region_filter
from shared.outbox import enqueue, wake_relay
from shared.regions import registry
from shared.rules import allow_region

TABLE = "reporting_periods"
FIRST_PERIOD = "2000-01"
"""The earliest month a region may close."""
JAKARTA = timezone(timedelta(hours=7), "Asia/Jakarta")
"""Western Indonesian Time (WIB, UTC+7, no daylight saving): the clock of "this month"."""

_PERIOD = re.compile(r"\d{4}-(0[1-9]|1[0-2])", re.ASCII)
_PERIOD_HELP = "a month YYYY-MM, e.g. 2026-10"


def reporting_periods_table(metadata: sa.MetaData) -> sa.Table:
    """Define ``reporting_periods`` in a service's metadata: one row per region and month that
    was ever closed (``completed_at`` null when it was reopened since)."""
    return sa.Table(
        TABLE,
        metadata,
        sa.Column("region_code", sa.Text, primary_key=True),
        sa.Column("period", sa.Text, primary_key=True),
        sa.Column("id", UUID(as_uuid=True), nullable=False),
        sa.Column("revision", sa.BigInteger, nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True)),
        sa.Column("completed_by", sa.Text),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


@dataclass(frozen=True)
class ReportingPeriods:
    """What a service's reporting-period routes need: its table, its event and its domain."""

    table: sa.Table
    """The service's ``reporting_periods`` table (``reporting_periods_table``)."""
    event: type[ReportingPeriodState]
    """The domain's ``ReportingPeriodUpdatedV1``."""
    domain: str
    """The domain's key in the events (``job_market``), the namespace of the period ids."""


class ReportingPeriodClose(BaseModel):
    """The optional body of a close: which region closes (default: the token's only one)."""

    model_config = STRICT_INPUT

    region_code: RegionCode | None = None


class ReportingPeriod(BaseModel):
    """A region's reporting period of the domain."""

    region_code: str = Field(description="Kemendagri regency code, e.g. 32.16")
    period: str = Field(description="The month, YYYY-MM", examples=["2026-10"])
    status: Literal["complete", "open"] = Field(
        description="complete: the region closed the month; open: not closed, or reopened"
    )
    completed_at: datetime | None = Field(
        description="When it was closed (the server's time); null while open"
    )
    revision: int = Field(description="Grows by one with each close and reopen (0: never)")


class ReportingPeriodList(BaseModel):
    """The reporting periods of the token's regions that were ever closed."""

    items: list[ReportingPeriod]


def this_month(now: datetime | None = None) -> str:
    """The current month in Asia/Jakarta, ``YYYY-MM``."""
    return (now or datetime.now(UTC)).astimezone(JAKARTA).strftime("%Y-%m")


def closable_period(value: str, *, now: datetime | None = None) -> str:
    """``value`` if it is a month a region may close or reopen, else a 422 naming ``period``:
    ``YYYY-MM``, from 2000-01 to the current month (Asia/Jakarta)."""
    if not _PERIOD.fullmatch(value):
        raise invalid("period", _PERIOD_HELP)
    if value < FIRST_PERIOD:
        raise invalid("period", f"reporting periods begin in {FIRST_PERIOD}")
    current = this_month(now)
    if value > current:
        raise invalid("period", f"{value} has not begun: this month is {current} (Asia/Jakarta)")
    return value


def _period_filter(value: str | None) -> str | None:
    if value is not None and not _PERIOD.fullmatch(value):
        raise invalid("period", _PERIOD_HELP)
    return value


def closing_region(principal: Principal, code: str | None) -> str:
    """The canonical region a close or reopen is about: ``code``, or the token's only region.

    A 422 naming ``region_code`` when it is unknown, or absent while the token holds several
    regions (or every one, or none); a 403 when the token may not write that region.
    """
    if code is None:
        if principal.national or len(principal.regions) != 1:
            held = "every region" if principal.national else f"{len(principal.regions)} regions"
            raise invalid("region_code", f"this token holds {held}: name the region_code")
        (only,) = principal.regions
        return registry().normalise_regency(only) or only
    canonical = registry().normalise_regency(code)
    if canonical is None:
        raise invalid("region_code", f"unknown regency code {code!r} (Kemendagri form, e.g. 32.16)")
    allow_region(principal, canonical, field="region_code")
    return canonical


def _document(
    region_code: str, period: str, *, completed_at: datetime | None, revision: int
) -> ReportingPeriod:
    return ReportingPeriod(
        region_code=region_code,
        period=period,
        status="open" if completed_at is None else "complete",
        completed_at=completed_at,
        revision=revision,
    )


async def _stored(
    session: AsyncSession, table: sa.Table, region_code: str, period: str
) -> ReportingPeriod:
    row = (
        await session.execute(
            sa.select(table.c.completed_at, table.c.revision).where(
                table.c.region_code == region_code, table.c.period == period
            )
        )
    ).first()
    if row is None:
        return _document(region_code, period, completed_at=None, revision=0)
    return _document(region_code, period, completed_at=row.completed_at, revision=row.revision)


async def close_period(
    session: AsyncSession,
    reporting: ReportingPeriods,
    outbox: sa.Table,
    *,
    region_code: str,
    period: str,
    client_id: str,
) -> tuple[ReportingPeriod, bool]:
    """Close the month (no commit): its document and whether this closed it (and enqueued
    its event). Already closed: nothing changes."""
    t = reporting.table
    now = sa.func.now()
    row = insert(t).values(
        region_code=region_code,
        period=period,
        id=reporting_period_id(reporting.domain, region_code, period),
        revision=1,
        completed_at=now,
        completed_by=client_id,
        updated_at=now,
    )
    # One statement, safe against a concurrent close: the row lock of ON CONFLICT decides.
    statement = row.on_conflict_do_update(
        index_elements=[t.c.region_code, t.c.period],
        set_={
            "completed_at": now,
            "completed_by": row.excluded.completed_by,
            "revision": t.c.revision + 1,
            "updated_at": now,
        },
        where=t.c.completed_at.is_(None),
    ).returning(t.c.id, t.c.revision, t.c.completed_at)
    changed = (await session.execute(statement)).first()
    if changed is None:
        return await _stored(session, t, region_code, period), False
    await _publish(session, reporting, outbox, changed, region_code, period)
    return _document(
        region_code, period, completed_at=changed.completed_at, revision=changed.revision
    ), True


async def reopen_period(
    session: AsyncSession,
    reporting: ReportingPeriods,
    outbox: sa.Table,
    *,
    region_code: str,
    period: str,
) -> tuple[ReportingPeriod, bool]:
    """Reopen the month (no commit): its document and whether this reopened it (and enqueued
    its event). Open (or never closed): nothing changes."""
    t = reporting.table
    changed = (
        await session.execute(
            sa.update(t)
            .where(
                t.c.region_code == region_code,
                t.c.period == period,
                t.c.completed_at.is_not(None),
            )
            .values(
                completed_at=None,
                completed_by=None,
                revision=t.c.revision + 1,
                updated_at=sa.func.now(),
            )
            .returning(t.c.id, t.c.revision, t.c.completed_at)
        )
    ).first()
    if changed is None:
        return await _stored(session, t, region_code, period), False
    await _publish(session, reporting, outbox, changed, region_code, period)
    return _document(region_code, period, completed_at=None, revision=changed.revision), True


async def _publish(
    session: AsyncSession,
    reporting: ReportingPeriods,
    outbox: sa.Table,
    row: Any,
    region_code: str,
    period: str,
) -> None:
    event = reporting.event(
        id=row.id,
        revision=row.revision,
        region_code=region_code,
        period=period,
        completed_at=row.completed_at,
    )
    await enqueue(session, outbox, event)


def reporting_router(*, domain: str, reporting: ReportingPeriods, outbox: sa.Table) -> APIRouter:
    """The reporting-period routes of the service whose path segment and scope prefix is
    ``domain`` (``job-market``)."""
    base = f"/api/v1/{domain}/reporting-periods"
    Writer = Annotated[Principal, Depends(RequireScope(f"{domain}:write"))]
    Reader = Annotated[Principal, Depends(RequireScope(f"{domain}:read"))]
    PeriodPath = Annotated[
        str,
        Path(
            description="The month, YYYY-MM (2000-01 up to this month, Asia/Jakarta)",
            examples=["2026-10"],
            json_schema_extra={"pattern": "^" + _PERIOD.pattern + "$"},
        ),
    ]
    router = APIRouter(tags=[f"{domain}: reporting periods"], responses=PROBLEM_RESPONSES)

    @router.post(
        base + "/{period}/complete",
        response_model=ReportingPeriod,
        summary="Close a month of reporting: the region has sent everything of it",
    )
    async def complete(
        period: PeriodPath,
        principal: Writer,
        session: SessionDep,
        request: Request,
        body: Annotated[
            ReportingPeriodClose,
            Body(description="Optional: the region (default: the token's only region)"),
        ] = ReportingPeriodClose(),  # noqa: B008 - an immutable default: no body sent
    ) -> ReportingPeriod:
        month = closable_period(period)
        region = closing_region(principal, body.region_code)
        document, changed = await close_period(
            session,
            reporting,
            outbox,
            region_code=region,
            period=month,
            client_id=principal.client_id,
        )
        await session.commit()
        if changed:
            wake_relay(request)
        return document

    @router.delete(
        base + "/{period}/complete",
        response_model=ReportingPeriod,
        summary="Reopen a closed month of reporting",
    )
    async def reopen(
        period: PeriodPath,
        principal: Writer,
        session: SessionDep,
        request: Request,
        region_code: Annotated[
            Text | None,
            Query(max_length=8, description="Regency code (default: the token's only region)"),
        ] = None,
    ) -> ReportingPeriod:
        month = closable_period(period)
        region = closing_region(principal, region_code)
        document, changed = await reopen_period(
            session, reporting, outbox, region_code=region, period=month
        )
        await session.commit()
        if changed:
            wake_relay(request)
        return document

    @router.get(
        base,
        response_model=ReportingPeriodList,
        summary="The months of the token's regions that were ever closed (open again or not)",
    )
    async def list_periods(
        principal: Reader,
        session: SessionDep,
        region_code: Annotated[
            Text | None, Query(max_length=8, description="Regency code, e.g. 32.16")
        ] = None,
        period: Annotated[
            Text | None, Query(max_length=16, description="The month, YYYY-MM")
        ] = None,
    ) -> ReportingPeriodList:
        t = reporting.table
        clauses: list[sa.ColumnElement[bool]] = []
        regions = principal.region_scope()
        if regions is not None:
            clauses.append(t.c.region_code.in_(sorted(regions)))
        region = region_filter(region_code)
        if region is not None:
            clauses.append(t.c.region_code == region)
        month = _period_filter(period)
        if month is not None:
            clauses.append(t.c.period == month)
        rows = await session.execute(
            sa.select(t.c.region_code, t.c.period, t.c.completed_at, t.c.revision)
            .where(*clauses)
            .order_by(t.c.region_code, t.c.period)
        )
        return ReportingPeriodList(items=_documents(rows))

    return router


def _documents(rows: Sequence[Any] | sa.Result[Any]) -> list[ReportingPeriod]:
    return [
        _document(r.region_code, r.period, completed_at=r.completed_at, revision=r.revision)
        for r in rows
    ]
