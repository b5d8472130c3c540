"""Writing snapshots into the projections: the newest revision of an entity wins.

A withdrawal removes the entity's row (indicators stop counting it) and is remembered with its
revision, so only a newer snapshot (the record sent again) brings the entity back.

A snapshot's list (an inspection's findings, an accident's victims) lives in child rows that
are replaced as a whole, and only when the parent row was written: a stale snapshot changes
neither the parent nor its children.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from shared.events import IntegrationEvent
from shared.events.base import RecordWithdrawn
from shared.regions import registry
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from aggregation.projections.tables import LINK_COLUMNS, withdrawals

# Columns the projection maintains itself rather than copying from the snapshot.
_OWN_COLUMNS = frozenset({"updated_at"}) | LINK_COLUMNS


def canonical_region(code: str) -> str:
    """The Kemendagri regency code of a snapshot, or ValueError (the inbox records the reason)."""
    canonical = registry().normalise_regency(code)
    if canonical is None:
        raise ValueError(f"unknown regency code {code!r}")
    return canonical


def _values(table: sa.Table, snapshot: IntegrationEvent) -> dict[str, Any]:
    values = {
        column.name: getattr(snapshot, column.name)
        for column in table.columns
        if column.name not in _OWN_COLUMNS
    }
    values["region_code"] = canonical_region(str(values["region_code"]))
    return values


def _newest_wins(table: sa.Table) -> Any:
    """INSERT of a snapshot row that replaces the stored row only with a newer revision."""
    stmt = insert(table)
    names = [c.name for c in table.columns if c.name not in _OWN_COLUMNS and c.name != "id"]
    return stmt.on_conflict_do_update(
        index_elements=[table.c.id],
        set_={**{name: stmt.excluded[name] for name in names}, "updated_at": sa.func.now()},
        where=table.c.revision < stmt.excluded.revision,
    )


async def _withdrawn_revisions(session: AsyncSession, ids: Sequence[uuid.UUID]) -> dict[Any, int]:
    rows = await session.execute(
        sa.select(withdrawals.c.id, withdrawals.c.revision).where(withdrawals.c.id.in_(ids))
    )
    return {row.id: row.revision for row in rows}


async def upsert_snapshot(
    session: AsyncSession, *, table: sa.Table, snapshot: IntegrationEvent
) -> bool:
    """Store ``snapshot`` as its entity's row unless that row already has this or a newer revision.

    Returns True when the row was written. Events of one entity normally arrive in order (the
    Kafka key is the entity id), but a replay, a producer retry or a repartitioning can deliver
    an older snapshot late; comparing revisions inside the upsert keeps the newest one without
    a separate read.
    """
    values = _values(table, snapshot)
    withdrawn = (await _withdrawn_revisions(session, [snapshot.id])).get(snapshot.id)
    if withdrawn is not None and withdrawn >= snapshot.revision:
        return False
    upsert = _newest_wins(table).values(**values).returning(table.c.id)
    return (await session.scalar(upsert)) is not None


async def upsert_snapshots(
    session: AsyncSession, *, table: sa.Table, snapshots: Sequence[IntegrationEvent]
) -> None:
    """``upsert_snapshot`` for many snapshots of one kind, in two statements whatever their
    number: the newest revision of each entity is kept, whatever their order."""
    newest: dict[uuid.UUID, IntegrationEvent] = {}
    for snapshot in snapshots:
        kept = newest.get(snapshot.id)
        if kept is None or kept.revision < snapshot.revision:
            newest[snapshot.id] = snapshot
    withdrawn = await _withdrawn_revisions(session, list(newest))
    rows = [
        _values(table, snapshot)
        for snapshot in newest.values()
        if withdrawn.get(snapshot.id, 0) < snapshot.revision
    ]
    if rows:
        await session.execute(_newest_wins(table), rows)


async def replace_children(
    session: AsyncSession,
    *,
    table: sa.Table,
    parent_column: str,
    parent_id: object,
    rows: Sequence[Mapping[str, Any]],
) -> None:
    """Make ``rows`` (numbered by ``position`` in their order) the parent's only child rows."""
    await session.execute(sa.delete(table).where(table.c[parent_column] == parent_id))
    if rows:
        await session.execute(
            sa.insert(table),
            [
                {**row, parent_column: parent_id, "position": position}
                for position, row in enumerate(rows)
            ],
        )


async def upsert_snapshot_with_children(
    session: AsyncSession,
    *,
    table: sa.Table,
    snapshot: IntegrationEvent,
    children: sa.Table,
    parent_column: str,
    rows: Sequence[Mapping[str, Any]],
) -> bool:
    """``upsert_snapshot``, then, if the parent row was written, replace its child rows."""
    written = await upsert_snapshot(session, table=table, snapshot=snapshot)
    if written:
        await replace_children(
            session, table=children, parent_column=parent_column, parent_id=snapshot.id, rows=rows
        )
    return written


async def withdraw_snapshots(
    session: AsyncSession, *, table: sa.Table, events: Sequence[RecordWithdrawn]
) -> None:
    """Forget withdrawn entities' rows (and their child rows) unless a newer snapshot holds
    them, and remember each withdrawal so that no older snapshot brings the row back."""
    if not events:
        return
    stmt = insert(withdrawals)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[withdrawals.c.id],
            set_={"revision": stmt.excluded.revision},
            where=withdrawals.c.revision < stmt.excluded.revision,
        ),
        [{"id": e.id, "revision": e.revision} for e in events],
    )
    await session.execute(
        sa.delete(table).where(
            table.c.id == sa.bindparam("gone"), table.c.revision < sa.bindparam("below")
        ),
        [{"gone": e.id, "below": e.revision} for e in events],
    )
