"""Records pushed by regional systems: upsert by the caller's ``external_id``, read them back.

Every domain table keeps the caller's own id (``external_id``, unique per calling client), a
platform id (``id``, a UUID), and a ``revision`` that grows with each real change. Replaying the
same request changes nothing and publishes nothing; a changed request updates the row and
bumps the revision. Region rules are the caller's: both the stored region and the new one must
be in the token's regions, and reads (one record, or a filtered page) see only those regions.
Every write, and every read of a table holding personal data, leaves its audit-trail rows
(``shared.audit``): a write's in its own transaction, a read's committed before the answer.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Any, Generic, Protocol, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlmodel import Field, SQLModel

from shared.audit import trail
from shared.audit.table import Action
from shared.auth import Principal
from shared.errors import PROBLEM_RESPONSES, ProblemError


def utcnow() -> datetime:
    return datetime.now(UTC)


class RecordFields(SQLModel):
    """Columns every pushed record has (mix into a service's table classes)."""

    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    source_client: str = Field(max_length=64)
    external_id: str = Field(max_length=64)
    revision: int = Field(default=1)
    created_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))
    updated_at: datetime = Field(default_factory=utcnow, sa_type=sa.DateTime(timezone=True))


class Change(enum.StrEnum):
    """What an upsert did."""

    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


class WriteResult(BaseModel):
    """The answer to a write: the platform id and whether the record was new."""

    id: uuid.UUID
    external_id: str
    revision: int
    change: Change


class Regional(Protocol):
    """A record that belongs to one regency."""

    region_code: str


R = TypeVar("R", bound=RecordFields)
V = TypeVar("V", bound=Regional)
T = TypeVar("T")


async def upsert_record(
    session: AsyncSession,
    model: type[R],
    *,
    principal: Principal,
    external_id: str,
    values: dict[str, Any],
) -> tuple[R, Change]:
    """Insert or update the caller's record ``external_id`` of ``model`` (no commit)."""
    columns = sa.inspect(model).columns
    key = (columns.source_client == principal.client_id, columns.external_id == external_id)
    row = await _locked(session, model, key)
    if row is None:
        inserted = await session.scalar(
            insert(model)
            .values(
                id=uuid.uuid4(),
                source_client=principal.client_id,
                external_id=external_id,
                revision=1,
                created_at=utcnow(),
                updated_at=utcnow(),
                **values,
            )
            .on_conflict_do_nothing(index_elements=["source_client", "external_id"])
            .returning(columns.id)
        )
        if inserted is not None:
            created = await session.get(model, inserted)
            assert created is not None
            trail.note_write(session, created, principal=principal, previous_revision=None)
            return created, Change.CREATED
        # Another request inserted the same record a moment ago: update it instead.
        row = await _locked(session, model, key)
        assert row is not None
    stored_region = getattr(row, "region_code", None)
    if stored_region is not None and not principal.allows_region(stored_region):
        raise ProblemError(
            403, f"record {external_id} belongs to region {stored_region}", kind="forbidden"
        )
    trail.note_write(session, row, principal=principal, previous_revision=row.revision)
    changed = {name: value for name, value in values.items() if getattr(row, name) != value}
    if not changed:
        return row, Change.UNCHANGED
    for name, value in changed.items():
        setattr(row, name, value)
    row.revision += 1
    row.updated_at = utcnow()
    await session.flush()
    return row, Change.UPDATED


async def _locked(session: AsyncSession, model: type[R], key: tuple[Any, ...]) -> R | None:
    result = await session.execute(
        sa.select(model).where(*key).with_for_update().execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


def visible(model: type[R], principal: Principal) -> list[Any]:
    """WHERE clauses limiting a query to the caller's regions."""
    regions = principal.region_scope()
    if regions is None:
        return []
    return [sa.inspect(model).columns.region_code.in_(sorted(regions))]


async def get_visible(
    session: AsyncSession, model: type[V], *, principal: Principal, record_id: uuid.UUID
) -> V | None:
    """The ``model`` record ``record_id`` if it is in the caller's regions, else None."""
    began = trail.began_here(session)
    row = await session.get(model, record_id)
    if row is None or not principal.allows_region(row.region_code):
        return None
    await trail.record_reads(
        session, model, [row], action=Action.READ, principal=principal, commit=began
    )
    return row


def matching(model: type[R], **values: object) -> list[sa.ColumnElement[bool]]:
    """WHERE clauses ``column == value`` for each given value that is not None."""
    columns = sa.inspect(model).columns
    return [columns[name] == value for name, value in values.items() if value is not None]


def between(
    column: sa.ColumnElement[Any], low: date | None, high: date | None
) -> list[sa.ColumnElement[bool]]:
    """WHERE clauses ``low <= column <= high`` for the bounds that are not None."""
    clauses: list[sa.ColumnElement[bool]] = []
    if low is not None:
        clauses.append(column >= low)
    if high is not None:
        clauses.append(column <= high)
    return clauses


class Page(BaseModel, Generic[T]):
    """One page of a listing."""

    items: list[T]
    total: int
    limit: int
    offset: int


async def rows_and_total(
    session: AsyncSession,
    model: type[R],
    *,
    where: Sequence[sa.ColumnElement[bool]],
    order_by: Sequence[sa.ColumnElement[Any]],
    limit: int,
    offset: int,
    action: Action = Action.LIST,
    principal: Principal | None = None,
) -> tuple[list[R], int]:
    """One page of ``model`` rows matching ``where``, and how many match in all.

    The page is audited as ``action`` by ``principal`` (default: the request's caller).
    """
    began = trail.began_here(session)
    total = await session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))
    rows = list(
        await session.scalars(
            sa.select(model).where(*where).order_by(*order_by).limit(limit).offset(offset)
        )
    )
    await trail.record_reads(session, model, rows, action=action, principal=principal, commit=began)
    return rows, total or 0


async def page(
    session: AsyncSession,
    model: type[R],
    *,
    where: Sequence[sa.ColumnElement[bool]],
    order_by: Sequence[sa.ColumnElement[Any]],
    limit: int,
    offset: int,
    convert: Callable[[R], T],
) -> Page[T]:
    """One page of ``model`` rows matching ``where``, each turned into its read model."""
    rows, total = await rows_and_total(
        session, model, where=where, order_by=order_by, limit=limit, offset=offset
    )
    return Page(items=[convert(r) for r in rows], total=total, limit=limit, offset=offset)


UPSERT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": WriteResult, "description": "Known external_id: updated, or unchanged"},
    **PROBLEM_RESPONSES,
}
