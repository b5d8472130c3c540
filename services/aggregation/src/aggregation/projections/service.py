"""Writing snapshots into the projections: the newest revision of an entity wins."""

from __future__ import annotations

import sqlalchemy as sa
from shared.events import IntegrationEvent
from shared.regions import registry
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

# Columns the projection maintains itself rather than copying from the snapshot.
_OWN_COLUMNS = frozenset({"updated_at"})


def canonical_region(code: str) -> str:
    """The Kemendagri regency code of a snapshot, or ValueError (the inbox records the reason)."""
    canonical = registry().normalise_regency(code)
    if canonical is None:
        raise ValueError(f"unknown regency code {code!r}")
    return canonical


async def upsert_snapshot(
    session: AsyncSession, *, table: sa.Table, snapshot: IntegrationEvent
) -> bool:
    """Store ``snapshot`` as its entity's row unless that row already has this or a newer revision.

    Returns True when the row was written. Events of one entity normally arrive in order (the
    Kafka key is the entity id), but a replay, a producer retry or a repartitioning can deliver
    an older snapshot late; comparing revisions inside the upsert keeps the newest one without
    a separate read.
    """
    values = {
        column.name: getattr(snapshot, column.name)
        for column in table.columns
        if column.name not in _OWN_COLUMNS
    }
    values["region_code"] = canonical_region(str(values["region_code"]))
    stmt = insert(table).values(**values)
    upsert = stmt.on_conflict_do_update(
        index_elements=[table.c.id],
        set_={
            **{name: stmt.excluded[name] for name in values if name != "id"},
            "updated_at": sa.func.now(),
        },
        where=table.c.revision < stmt.excluded.revision,
    ).returning(table.c.id)
    return (await session.scalar(upsert)) is not None
