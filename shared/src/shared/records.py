"""Records pushed by regional systems: upsert by the caller's ``external_id``, read them back.

Every domain table keeps the caller's own id (``external_id``, unique per calling client), a
platform id (``id``, a UUID), and a ``revision`` that grows with each real change. Replaying the
same request changes nothing and publishes nothing; a changed request updates the row and
bumps the revision. Region rules are the caller's: both the stored region and the new one must
be in the token's regions, and reads (one record, or a filtered page) see only those regions.
Every write, and every read of a table holding personal data, leaves its audit-trail rows
(``shared.audit``): a write's in its own transaction, a read's committed before the answer.

A sender may withdraw its record (``withdraw_record``): the row stays, readable by id with its
``withdrawn_at``, leaves the listings (unless asked for) and the indicators (a ``withdrawn``
event), and sending the same ``external_id`` again revives it as a new revision.
"""

from __future__ import annotations

import enum
import functools
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any, Generic, Protocol, TypeVar

import asyncpg
import sqlalchemy as sa
from pydantic import BaseModel
from pydantic import Field as PydanticField
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.sql.selectable import ExecutableReturnsRows
from sqlmodel import Field, SQLModel

from shared.audit import trail
from shared.audit.table import Action
from shared.auth import Principal
from shared.db import REQUEST_SESSION, DriverSelect
from shared.errors import PROBLEM_RESPONSES, ProblemError, field_error
from shared.events.base import IntegrationEvent, RecordWithdrawn
from shared.listing import Listing, Position
from shared.outbox import enqueue, outbox_row


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
    withdrawn_at: datetime | None = Field(default=None, sa_type=sa.DateTime(timezone=True))


class RecordPublic(SQLModel):
    """What every record read back carries beside its fields (mix into the ``XPublic`` models)."""

    id: uuid.UUID
    revision: int
    updated_at: datetime
    withdrawn_at: datetime | None = Field(
        default=None, description="When its sender withdrew it (null: it counts)"
    )


def record_indexes(table: str) -> tuple[sa.Index, ...]:
    """The indexes every record table has: the listings' sync order (``updated_at``, ``id``)."""
    return (sa.Index(f"ix_{table}_sync", "updated_at", "id"),)


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
    # A new record (the common case of a backlog) costs one statement: the insert returns it.
    created = await session.scalar(
        _insert_unless_known(model, tuple(values)),
        _new_row(principal, external_id, values, utcnow()),
        execution_options={"populate_existing": True},
    )
    if created is not None:
        trail.note_write(session, created, principal=principal, previous_revision=None)
        return created, Change.CREATED
    columns = sa.inspect(model).columns
    key = (columns.source_client == principal.client_id, columns.external_id == external_id)
    row = await _locked(session, model, key)
    if row is None:  # records are never deleted: the conflicting row is there
        raise ProblemError(409, f"record {external_id} changed concurrently; send it again")
    stored_region = getattr(row, "region_code", None)
    if stored_region is not None and not principal.allows_region(stored_region):
        raise ProblemError(
            403, f"record {external_id} belongs to region {stored_region}", kind="forbidden"
        )
    trail.note_write(session, row, principal=principal, previous_revision=row.revision)
    changed = {name: value for name, value in values.items() if getattr(row, name) != value}
    if not changed and row.withdrawn_at is None:
        return row, Change.UNCHANGED
    for name, value in changed.items():
        setattr(row, name, value)
    row.withdrawn_at = None  # sent again: revived
    row.revision += 1
    row.updated_at = utcnow()
    await session.flush()
    return row, Change.UPDATED


_RECORD_KEYS = ("id", "source_client", "external_id", "revision", "created_at", "updated_at")


def _new_row(
    principal: Principal, external_id: str, values: dict[str, Any], now: datetime
) -> dict[str, Any]:
    """The columns of the caller's new record ``external_id``: ``values`` and its own."""
    return {
        **values,
        "id": uuid.uuid4(),
        "source_client": principal.client_id,
        "external_id": external_id,
        "revision": 1,
        "created_at": now,
        "updated_at": now,
    }


@functools.cache
def _insert_unless_known(model: type[R], names: tuple[str, ...]) -> ExecutableReturnsRows:
    """``INSERT ... ON CONFLICT DO NOTHING RETURNING`` the row of ``model``, with a bound
    parameter for each of the record's own columns and ``names``: built once per model and
    set of columns, a Core statement whose rows the ORM loads (building it at every write was
    a quarter of the upsert's time; the ORM's bulk-insert path builds and keys one again at
    every execution)."""
    table = sa.inspect(model).local_table
    inserted = (
        insert(table)
        .values({name: sa.bindparam(name) for name in (*_RECORD_KEYS, *names)})
        .on_conflict_do_nothing(index_elements=["source_client", "external_id"])
        .returning(*table.c)
    )
    return sa.select(model).from_statement(inserted)


async def write_record(
    session: AsyncSession,
    model: type[R],
    *,
    principal: Principal,
    external_id: str,
    values: dict[str, Any],
    outbox: sa.Table,
    event: Callable[[R, Change], IntegrationEvent],
) -> tuple[R, Change]:
    """Upsert the caller's record ``external_id`` of ``model`` and put ``event(row, change)`` in
    the outbox if it changed.

    In a request's session (``get_session``) with no transaction yet, a new record is
    written by one statement that commits on its own: the row, its event and its audit row,
    all or nothing (BEGIN, three inserts and COMMIT were five round trips, most of a write's
    cost). The route then commits nothing more: the session refuses any statement after it
    until its transaction ends. A record already there, or any other session (an import's),
    takes ``upsert_record``'s path: nothing is committed here.
    """
    if session.info.get(REQUEST_SESSION) and not session.in_transaction():
        record = _new_row(principal, external_id, values, utcnow())
        created = await _create_committed(
            session, model(**record), tuple(values), principal=principal, outbox=outbox, event=event
        )
        if created is not None:
            session.info[_COMMITTED] = True
            return created, Change.CREATED
    row, change = await upsert_record(
        session, model, principal=principal, external_id=external_id, values=values
    )
    if change is not Change.UNCHANGED:
        await enqueue(session, outbox, event(row, change))
    return row, change


async def _create_committed(
    session: AsyncSession,
    row: R,
    names: tuple[str, ...],
    *,
    principal: Principal,
    outbox: sa.Table,
    event: Callable[[R, Change], IntegrationEvent],
) -> R | None:
    """Insert the new ``row`` (its own columns and ``names``), its event and its audit row
    with one statement; None (nothing written) when the caller's ``external_id`` is already
    there, or the statement failed: the ORM's path then writes, or reports the error as every
    write does."""
    model = type(row)
    audit = trail.audit_of_writes(session, model)
    statement = _create_in_one(model, names, outbox, audit)
    params = {name: getattr(row, name) for name in (*_RECORD_KEYS, *names)}
    params.update((f"outbox_{k}", v) for k, v in outbox_row(event(row, Change.CREATED)).items())
    if audit is not None:
        params.update(trail.created_entry(session, row, principal=principal))
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    if driver is None or driver.is_in_transaction():
        return None
    try:
        inserted = await driver.fetchval(statement.sql, *statement.arguments(params))
    except (asyncpg.PostgresError, asyncpg.InterfaceError, OSError):
        return None
    return row if inserted is not None else None


_COMMITTED = "sinergi_committed_write"
"""Key of ``Session.info``: a statement of this transaction committed a write on its own."""


@sa.event.listens_for(Session, "do_orm_execute")
def _nothing_after_a_committed_write(state: ORMExecuteState) -> None:
    # A statement after it would run in a transaction of its own: a failure there could no
    # longer undo the write (half-written). A route calls ``write_record`` last.
    if state.session.info.get(_COMMITTED):
        raise RuntimeError("a write committed on its own; this transaction can do nothing more")


@sa.event.listens_for(Session, "before_flush")
def _no_flush_after_a_committed_write(session: Session, *_: Any) -> None:
    if session.info.get(_COMMITTED):
        raise RuntimeError("a write committed on its own; this transaction can do nothing more")


@sa.event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(_COMMITTED, None)


_EVENT_COLUMNS = ("event_id", "event_type", "topic", "key", "payload")


@functools.cache
def _create_in_one(
    model: type[R], names: tuple[str, ...], outbox: sa.Table, audit: sa.Table | None
) -> DriverSelect:
    """``WITH record AS (INSERT ... ON CONFLICT DO NOTHING RETURNING id), event AS (INSERT INTO
    outbox ... FROM record), audited AS (INSERT INTO audit_log ... FROM record) SELECT id FROM
    record``: the outbox and audit rows exist exactly when the record was inserted."""
    table = sa.inspect(model).local_table
    record = (
        insert(table)
        .values(
            {name: sa.bindparam(name, type_=table.c[name].type) for name in (*_RECORD_KEYS, *names)}
        )
        .on_conflict_do_nothing(index_elements=["source_client", "external_id"])
        .returning(table.c.id)
        .cte("record")
    )
    extra = [
        sa.insert(outbox)
        .from_select(
            _EVENT_COLUMNS,
            sa.select(
                *(sa.bindparam(f"outbox_{n}", type_=outbox.c[n].type) for n in _EVENT_COLUMNS)
            ).select_from(record),
        )
        .cte("event")
    ]
    if audit is not None:
        extra.append(trail.created_from(audit, record.c.id).cte("audited"))
    return DriverSelect(sa.select(record.c.id).add_cte(*extra))


async def insert_new(
    session: AsyncSession,
    model: type[R],
    *,
    principal: Principal,
    records: Sequence[tuple[str, dict[str, Any]]],
) -> dict[str, SimpleNamespace]:
    """Insert the caller's new records, ``(external_id, values)`` each, in one statement (no
    commit): the rows inserted by external id, with ``id`` and ``revision`` 1. A record that
    another request inserted meanwhile is left out (its upsert will update it instead)."""
    table = sa.inspect(model).local_table
    now = utcnow()
    rows = {key: _new_row(principal, key, values, now) for key, values in records}
    if not rows:
        return {}
    inserted = await session.execute(
        insert(table)
        .on_conflict_do_nothing(index_elements=["source_client", "external_id"])
        .returning(table.c.external_id),
        list(rows.values()),
    )
    return {key: SimpleNamespace(**rows[key]) for key in inserted.scalars()}


async def _locked(session: AsyncSession, model: type[R], key: tuple[Any, ...]) -> R | None:
    result = await session.execute(
        sa.select(model).where(*key).with_for_update().execution_options(populate_existing=True)
    )
    return result.scalar_one_or_none()


async def withdraw_record(
    session: AsyncSession,
    model: type[R],
    *,
    principal: Principal,
    where: Sequence[sa.ColumnElement[bool]],
    outbox: sa.Table,
    event: type[RecordWithdrawn],
) -> tuple[R, bool] | None:
    """Withdraw the caller's record matching ``where`` (no commit): the row and whether this
    withdrew it; None if the caller's regions hold no such record.

    Only the sender withdraws its record (403 for another client's). A record already
    withdrawn stays as it is: no new revision, no second event.
    """
    row = await _locked(session, model, tuple(where))
    if row is None:
        return None
    region = getattr(row, "region_code", None)
    if region is not None and not principal.allows_region(region):
        return None  # as if absent: no answer reveals another region's record
    if row.source_client != principal.client_id:
        raise ProblemError(
            403, "only the client that sent a record may withdraw it", kind="forbidden"
        )
    if row.withdrawn_at is not None:
        return row, False
    row.withdrawn_at = row.updated_at = utcnow()
    row.revision += 1
    trail.note_withdrawal(session, row, principal=principal)
    await session.flush()
    await enqueue(
        session,
        outbox,
        event(id=row.id, revision=row.revision, region_code=region, withdrawn_at=row.withdrawn_at),
    )
    return row, True


async def ensure_once(
    session: AsyncSession,
    model: type[R],
    *,
    within: sa.ColumnElement[bool],
    person_ref: str,
    principal: Principal,
    external_id: str,
    detail: str,
) -> None:
    """409 naming ``nik`` when another current record of ``model`` ``within`` (a program's
    enrolments, ...) is of the same person: a person re-sent under a new id would count twice.
    ``detail`` reads with the other record's external id (``... as {other!r}``); a withdrawn
    record counts nowhere and blocks nothing."""
    columns = sa.inspect(model).columns
    other = await session.scalar(
        sa.select(columns.external_id).where(
            within,
            columns.person_ref == person_ref,
            *current(model),
            sa.not_(
                sa.and_(
                    columns.source_client == principal.client_id,
                    columns.external_id == external_id,
                )
            ),
        )
    )
    if other is not None:
        message = detail.format(other=other)
        raise ProblemError(
            409, f"nik: {message}", kind="conflict", errors=[field_error("nik", message)]
        )


def current(model: type[R]) -> list[Any]:
    """WHERE clauses leaving out withdrawn records (references resolve only to current ones)."""
    return [sa.inspect(model).columns.withdrawn_at.is_(None)]


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
    """One page of a listing, in the sync order (``updated_at``, ``id``)."""

    items: list[T]
    limit: int
    next: str | None = PydanticField(
        description="The link of the next page (same filters, a cursor); null on the last"
    )
    total: int | None = PydanticField(
        default=None, description="How many records match in all (only with count=true)"
    )


async def listed_rows(
    session: AsyncSession,
    model: type[R],
    *,
    listing: Listing,
    where: Sequence[sa.ColumnElement[bool]] = (),
    principal: Principal,
    action: Action = Action.LIST,
) -> tuple[list[R], str | None, int | None]:
    """One page of the caller's ``model`` records matching ``listing`` and ``where``.

    Returns the rows, the next page's link (None on the last page) and, when asked, how many
    match in all. The page is audited as ``action`` by ``principal``.
    """
    columns = sa.inspect(model).columns
    clauses = [
        *visible(model, principal),
        *matching(model, region_code=listing.region, external_id=listing.external_id),
        *where,
    ]
    if not listing.include_withdrawn:
        clauses += current(model)
    since = listing.since
    if since is not None:
        clauses.append(columns.updated_at >= since)
    after = listing.after
    began = trail.began_here(session)
    total = None
    if listing.count:
        total = await session.scalar(sa.select(sa.func.count()).select_from(model).where(*clauses))
    if after is not None:
        clauses.append(
            sa.tuple_(columns.updated_at, columns.id) > sa.tuple_(after.updated_at, after.id)
        )
    rows = list(
        await session.scalars(
            sa.select(model)
            .where(*clauses)
            .order_by(columns.updated_at, columns.id)
            .limit(listing.limit + 1)
        )
    )
    link = None
    if len(rows) > listing.limit:
        rows = rows[: listing.limit]
        link = listing.link_after(Position(updated_at=rows[-1].updated_at, id=rows[-1].id))
    await trail.record_reads(session, model, rows, action=action, principal=principal, commit=began)
    return rows, link, total


async def page(
    session: AsyncSession,
    model: type[R],
    *,
    listing: Listing,
    where: Sequence[sa.ColumnElement[bool]] = (),
    principal: Principal,
    convert: Callable[[R], T],
    action: Action = Action.LIST,
) -> Page[T]:
    """One page of ``model`` records (see ``listed_rows``), each turned into its read model."""
    rows, link, total = await listed_rows(
        session, model, listing=listing, where=where, principal=principal, action=action
    )
    return Page(items=[convert(r) for r in rows], limit=listing.limit, next=link, total=total)


UPSERT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"model": WriteResult, "description": "Known external_id: updated, or unchanged"},
    **PROBLEM_RESPONSES,
}
