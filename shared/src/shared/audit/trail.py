"""Recording the audit trail: the rows a request adds, written in its own transaction.

Writes are noted by ``upsert_record`` and resolved when the write commits: the row's
revision then says whether the write created, changed or repeated the record (a service may
still bump the revision after the upsert, as accidents do when only the victims change).
Reads are noted by the read helpers, one row per record disclosed. Whatever a transaction
noted goes into ``audit_log`` in one INSERT just before it commits, so a listing page of 500
records costs one statement, and an audit row exists exactly when its write does. Nothing
here takes a lock: the rows are inserted unsealed and the sealer chains them later.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from sqlalchemy.orm import Session, SessionTransaction

from shared import context
from shared.audit.table import PERSONAL, Action, audit_of
from shared.auth import Principal

_PENDING = "sinergi_audit_pending"
_OFF = "sinergi_audit_off"

# One statement whatever the number of rows, and one prepared plan for every size: the
# columns travel as arrays (the token's regions joined by commas; codes never hold one).
_INSERT = sa.text(
    "INSERT INTO audit_log"
    " (client_id, regions, action, entity, record_id, region_code, request_id)"
    " SELECT c, string_to_array(r, ','), a, e, i, g, q FROM unnest("
    "CAST(:c AS text[]), CAST(:r AS text[]), CAST(:a AS text[]), CAST(:e AS text[]),"
    " CAST(:i AS uuid[]), CAST(:g AS text[]), CAST(:q AS text[])) AS u(c, r, a, e, i, g, q)"
)


@dataclass(slots=True)
class _Entry:
    """One audit row to be; a write's action is settled at commit from ``row``."""

    client_id: str
    regions: str
    entity: str
    request_id: str | None
    action: Action | None = None
    record_id: uuid.UUID | None = None
    region_code: str | None = None
    row: Any = None
    previous_revision: int | None = None

    def settled(self) -> tuple[Action, uuid.UUID | None, str | None]:
        if self.row is None:
            assert self.action is not None
            return self.action, self.record_id, self.region_code
        if self.previous_revision is None:
            action = Action.CREATE
        elif self.row.revision != self.previous_revision:
            action = Action.UPDATE
        else:
            action = Action.UNCHANGED
        return action, self.row.id, getattr(self.row, "region_code", None)


def switch_off(sessions: async_sessionmaker[AsyncSession]) -> None:
    """Record nothing in the sessions of ``sessions`` (``audit_enabled=false``)."""
    sessions.configure(info={_OFF: True})


def _audited(session: AsyncSession, model: type[Any], *, reads: bool) -> str | None:
    """The entity name if ``model``'s writes (or reads) are audited in this session."""
    if session.info.get(_OFF):
        return None
    table = sa.inspect(model).local_table
    audit = audit_of(table.metadata)
    if audit is None or (reads and table.name not in audit.info[PERSONAL]):
        return None
    return str(table.name)


def _caller(principal: Principal | None) -> Principal:
    found = principal or context.caller()
    if found is None:
        raise RuntimeError("an audited access needs the caller: pass principal=")
    return found


def _pending(session: AsyncSession) -> list[_Entry]:
    pending: list[_Entry] = session.info.setdefault(_PENDING, [])
    return pending


def note_write(
    session: AsyncSession, row: Any, *, principal: Principal, previous_revision: int | None
) -> None:
    """Audit a write of ``row`` when its transaction commits.

    ``previous_revision`` is the stored revision before the write, None for a new record.
    """
    entity = _audited(session, type(row), reads=False)
    if entity is None:
        return
    _pending(session).append(
        _Entry(
            client_id=principal.client_id,
            regions=",".join(sorted(principal.regions)),
            entity=entity,
            request_id=context.request_id(),
            row=row,
            previous_revision=previous_revision,
        )
    )


def audit_of_writes(session: AsyncSession, model: type[Any]) -> sa.Table | None:
    """The audit table recording writes of ``model`` in this session (None: not audited)."""
    if _audited(session, model, reads=False) is None:
        return None
    return audit_of(sa.inspect(model).local_table.metadata)


def created_from(audit: sa.Table, record_id: sa.ColumnElement[Any]) -> sa.Insert:
    """``INSERT INTO audit_log ... SELECT`` the creation of each ``record_id`` selected (a
    statement's CTE returning the inserted records), with the bound values of
    ``created_entry``."""
    c = audit.c
    return sa.insert(audit).from_select(
        ["client_id", "regions", "action", "entity", "record_id", "region_code", "request_id"],
        sa.select(
            sa.bindparam("audit_client_id", type_=c.client_id.type),
            sa.bindparam("audit_regions", type_=c.regions.type),
            sa.literal(Action.CREATE.value, sa.Text),
            sa.bindparam("audit_entity", type_=c.entity.type),
            record_id,
            sa.bindparam("audit_region_code", type_=c.region_code.type),
            sa.bindparam("audit_request_id", type_=c.request_id.type),
        ),
    )


def created_entry(session: AsyncSession, row: Any, *, principal: Principal) -> dict[str, Any]:
    """The bound values of ``created_from`` for the creation of ``row`` by ``principal``."""
    return {
        "audit_client_id": principal.client_id,
        "audit_regions": sorted(principal.regions),
        "audit_entity": sa.inspect(type(row)).local_table.name,
        "audit_region_code": getattr(row, "region_code", None),
        "audit_request_id": context.request_id(),
    }


def note_created(
    session: AsyncSession,
    model: type[Any],
    rows: Iterable[tuple[uuid.UUID, str | None]],
    *,
    principal: Principal,
) -> None:
    """Audit the creation of ``model`` records (``(id, region_code)`` each) at commit."""
    entity = _audited(session, model, reads=False)
    if entity is None:
        return
    regions, request_id = ",".join(sorted(principal.regions)), context.request_id()
    _pending(session).extend(
        _Entry(
            client_id=principal.client_id,
            regions=regions,
            entity=entity,
            request_id=request_id,
            action=Action.CREATE,
            record_id=record_id,
            region_code=region_code,
        )
        for record_id, region_code in rows
    )


def note_withdrawal(session: AsyncSession, row: Any, *, principal: Principal) -> None:
    """Audit the withdrawal of ``row`` when its transaction commits."""
    entity = _audited(session, type(row), reads=False)
    if entity is None:
        return
    _pending(session).append(
        _Entry(
            client_id=principal.client_id,
            regions=",".join(sorted(principal.regions)),
            entity=entity,
            request_id=context.request_id(),
            action=Action.WITHDRAW,
            record_id=row.id,
            region_code=getattr(row, "region_code", None),
        )
    )


def began_here(session: AsyncSession) -> bool:
    """True if the session has no transaction yet (a read helper about to start one)."""
    return not session.in_transaction()


async def record_reads(
    session: AsyncSession,
    model: type[Any],
    rows: Sequence[Any],
    *,
    action: Action,
    principal: Principal | None = None,
    commit: bool,
) -> None:
    """Audit the disclosure of ``rows`` of ``model`` (one row each; none is one row too).

    With ``commit`` the session's transaction (which only read) commits now, so the audit
    rows are durable before the answer leaves; otherwise they commit with the caller's
    transaction. ``principal`` defaults to the caller of the request being served.
    """
    entity = _audited(session, model, reads=True)
    if entity is None:
        return
    who = _caller(principal)
    regions, request_id = ",".join(sorted(who.regions)), context.request_id()

    def entry(record_id: uuid.UUID | None, region_code: str | None) -> _Entry:
        return _Entry(
            client_id=who.client_id,
            regions=regions,
            entity=entity,
            request_id=request_id,
            action=action,
            record_id=record_id,
            region_code=region_code,
        )

    # An empty answer is recorded too: a search that found nothing was still asked.
    found = [entry(r.id, getattr(r, "region_code", None)) for r in rows]
    _pending(session).extend(found or [entry(None, None)])
    if commit:
        await session.commit()


def _columns(entries: Iterable[_Entry]) -> dict[str, list[Any]]:
    columns: dict[str, list[Any]] = {k: [] for k in "craeigq"}
    for entry in entries:
        action, record_id, region_code = entry.settled()
        columns["c"].append(entry.client_id)
        columns["r"].append(entry.regions)
        columns["a"].append(action.value)
        columns["e"].append(entry.entity)
        columns["i"].append(record_id)
        columns["g"].append(region_code)
        columns["q"].append(entry.request_id)
    return columns


@event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    # Runs inside the committing transaction: the audit rows commit with it, or not at all.
    pending: list[_Entry] | None = session.info.pop(_PENDING, None)
    if pending:
        session.execute(_INSERT, _columns(pending))


@event.listens_for(Session, "after_transaction_end")
def _forget_pending(session: Session, transaction: SessionTransaction) -> None:
    # A rolled-back transaction's accesses did not happen (its writes are gone with it).
    if transaction.parent is None:
        session.info.pop(_PENDING, None)


async def write_pending(session: AsyncSession) -> None:
    """Insert the audit rows noted so far now, in the session's open transaction.

    A long transaction (an atomic import of many records) calls this after each chunk so that
    it holds no record objects until its commit; the rows still commit or roll back with it.
    """
    pending: list[_Entry] | None = session.info.pop(_PENDING, None)
    if pending:
        await session.execute(_INSERT, _columns(pending))
