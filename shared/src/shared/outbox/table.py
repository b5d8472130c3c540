"""The outbox table and the writer used inside a service's own transaction."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID
from sqlalchemy.ext.asyncio import AsyncSession

from shared.events.base import IntegrationEvent
from shared.tracing import current_traceparent


def outbox_table(metadata: sa.MetaData) -> sa.Table:
    """Define the ``outbox`` table in a service's metadata.

    ``seq`` gives the publication order; ``published_at`` stays NULL until Kafka acknowledged
    the event.
    """
    return sa.Table(
        "outbox",
        metadata,
        sa.Column("seq", sa.BigInteger, sa.Identity(always=True), primary_key=True),
        sa.Column("event_id", UUID(as_uuid=True), nullable=False, unique=True),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("payload", JSONB, nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("published_at", sa.DateTime(timezone=True)),
        sa.Index("ix_outbox_pending", "seq", postgresql_where=sa.text("published_at IS NULL")),
    )


async def enqueue(session: AsyncSession, table: sa.Table, event: IntegrationEvent) -> None:
    """Add ``event`` to the outbox in the session's current transaction (no Kafka I/O)."""
    await session.execute(_insert_into(table), outbox_row(event))


async def enqueue_all(
    session: AsyncSession, table: sa.Table, events: Sequence[IntegrationEvent]
) -> None:
    """Add ``events`` to the outbox, in their order, with one statement (no Kafka I/O)."""
    if events:
        await session.execute(_insert_into(table), [outbox_row(e) for e in events])


@functools.cache
def _insert_into(table: sa.Table) -> sa.Insert:
    """The outbox's insert, built once per table (its values are given at each run)."""
    return sa.insert(table)


def outbox_row(event: IntegrationEvent) -> dict[str, Any]:
    """The outbox row of ``event`` (its envelope, with the current trace)."""
    envelope = event.to_cloudevent()
    traceparent = current_traceparent()
    if traceparent is not None:
        envelope = envelope.model_copy(update={"traceparent": traceparent})
    return {
        "event_id": uuid.UUID(envelope.id),
        "event_type": envelope.type,
        "topic": event.topic,
        "key": envelope.subject,
        "payload": envelope.model_dump(mode="json", exclude_none=True),
    }
