"""Idempotent consumption: the inbox table and the consumer loop.

Kafka delivers at least once. Each event's id goes into ``inbox`` in the same transaction as
the projection change it causes, so a redelivered event finds its id there and changes
nothing. Offsets are committed to Kafka only after the database commit; a crash in between
means a redelivery, which the inbox absorbs.

A consumer may be given ``verify``: an event it finds wrong (e.g. a ``source`` that does not own
the topic it came from) is refused before it touches the database, counted as rejected and
logged without its payload; its offset advances like any other. It is not written to the inbox
either, so a forged event cannot take the id of a genuine one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.structs import OffsetAndMetadata
from prometheus_client import Counter
from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.events.envelope import CloudEvent
from shared.kafka import KafkaAccess, make_consumer

log = logging.getLogger(__name__)

Handler = Callable[[AsyncSession, CloudEvent], Awaitable[None]]
"""Applies one event."""


@dataclass(frozen=True)
class Batched:
    """A handler applying many events of its types at once (one statement per table), for
    events whose effect does not depend on their order (each keeps the newest revision)."""

    apply: Callable[[AsyncSession, Sequence[CloudEvent]], Awaitable[None]]


Around = Callable[
    [AsyncSession, Sequence[CloudEvent], Callable[[], Awaitable[None]]], Awaitable[None]
]
"""``around(session, events, apply)``: work to do in the transaction before and after the
events are applied; it must call ``apply()`` once (e.g. keep a derived table current)."""

Verify = Callable[[str, CloudEvent], str | None]
"""``verify(topic, event)``: why the event must not be applied, or None when it may be."""

CONSUMED = Counter("sinergi_events_consumed_total", "Events applied", ["type"])
DUPLICATES = Counter("sinergi_events_duplicate_total", "Redelivered events ignored")
REJECTED = Counter("sinergi_events_rejected_total", "Events that could not be applied")


def inbox_table(metadata: sa.MetaData) -> sa.Table:
    """Define the ``inbox`` table: one row per event a consumer has applied or rejected."""
    return sa.Table(
        "inbox",
        metadata,
        sa.Column("event_id", sa.Text, primary_key=True),
        sa.Column("event_type", sa.Text, nullable=False),
        sa.Column("topic", sa.Text, nullable=False),
        sa.Column("partition", sa.Integer, nullable=False),
        sa.Column("offset", sa.BigInteger, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("error", sa.Text),
        sa.Column(
            "received_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
    )


class IdempotentConsumer:
    """Apply events from Kafka topics to a database exactly once, by event id."""

    def __init__(
        self,
        *,
        sessions: async_sessionmaker[AsyncSession],
        inbox: sa.Table,
        kafka: KafkaAccess,
        topics: list[str],
        group_id: str,
        handlers: Mapping[str, Handler | Batched],
        on_applied: Callable[[], None] | None = None,
        verify: Verify | None = None,
        around: Around | None = None,
    ) -> None:
        self._sessions = sessions
        self._inbox = inbox
        self._kafka = kafka
        self._verify = verify
        self._topics = topics
        self._group_id = group_id
        self._handlers = handlers
        self._on_applied = on_applied
        self._around = around
        self._stopping = False
        self._consumer: AIOKafkaConsumer | None = None

    async def run(self) -> None:
        """Consume until ``stop``; restart the Kafka client after faults."""
        backoff = 0.5
        while not self._stopping:
            consumer = make_consumer(self._kafka, *self._topics, group_id=self._group_id)
            try:
                await consumer.start()
                self._consumer = consumer
                backoff = 0.5
                while not self._stopping:
                    batches = await consumer.getmany(timeout_ms=200, max_records=500)
                    for tp, records in batches.items():
                        await self.apply(records)
                        await consumer.commit({tp: OffsetAndMetadata(records[-1].offset + 1, "")})
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - uncommitted records come again
                log.warning("consumer %s: %s; restarting in %.1fs", self._group_id, exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                self._consumer = None
                try:
                    await consumer.stop()
                except Exception as exc:  # noqa: BLE001
                    log.debug("closing consumer: %s", exc)

    async def stop(self) -> None:
        """Ask the loop to end after the batch in flight."""
        self._stopping = True

    async def apply(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        """Apply records of one partition in one transaction, skipping those seen before.

        The batch's inbox rows go in with one statement; its events are applied by batched
        handlers table by table (each handler keeps the newest revision per entity, so the
        order between entities does not matter), the others one by one. When an event is
        malformed, the batch is applied again event by event so that only that event is
        rejected.
        """
        events = self._decoded(records)
        async with self._sessions() as session, session.begin():
            fresh = await self._into_inbox(session, events)
            try:
                async with session.begin_nested():
                    await self._handle(session, fresh)
            except (ValidationError, ValueError, KeyError):
                for record, event in fresh:
                    await self._apply_one(session, record, event)
            else:
                for _, event in fresh:
                    CONSUMED.labels(event.type).inc()
        if self._on_applied is not None:
            self._on_applied()

    def _decoded(
        self, records: list[ConsumerRecord[bytes, bytes]]
    ) -> list[tuple[ConsumerRecord[bytes, bytes], CloudEvent]]:
        """The records' events, each once (by id), without the undecodable and the refused."""
        events: dict[str, tuple[ConsumerRecord[bytes, bytes], CloudEvent]] = {}
        for record in records:
            try:
                event = CloudEvent.from_bytes(record.value or b"")
            except ValidationError as exc:
                REJECTED.inc()
                log.error("undecodable record %s@%s: %s", record.topic, record.offset, _reason(exc))
                continue
            if self._verify is not None:
                problem = self._verify(record.topic, event)
                if problem is not None:
                    REJECTED.inc()
                    log.error(
                        "event %s@%s:%s refused: %s",
                        record.topic,
                        record.partition,
                        record.offset,
                        problem,
                    )
                    continue
            if event.id in events:
                DUPLICATES.inc()
                continue
            events[event.id] = (record, event)
        return list(events.values())

    async def _into_inbox(
        self,
        session: AsyncSession,
        events: list[tuple[ConsumerRecord[bytes, bytes], CloudEvent]],
    ) -> list[tuple[ConsumerRecord[bytes, bytes], CloudEvent]]:
        """Record the events in the inbox (one statement): those not seen before, to apply."""
        if not events:
            return []
        rows = [
            {
                "event_id": event.id,
                "event_type": event.type,
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "status": "applied" if event.type in self._handlers else "ignored",
            }
            for record, event in events
        ]
        # Parameters apart from the statement (executemany): its compiled form is cached, where
        # a multi-row VALUES clause would be compiled again for every batch.
        inserted = set(
            await session.scalars(
                insert(self._inbox).on_conflict_do_nothing().returning(self._inbox.c.event_id),
                rows,
            )
        )
        DUPLICATES.inc(len(events) - len(inserted))
        return [(r, e) for r, e in events if e.id in inserted and e.type in self._handlers]

    async def _handle(
        self,
        session: AsyncSession,
        events: list[tuple[ConsumerRecord[bytes, bytes], CloudEvent]],
    ) -> None:
        """Apply events: batched handlers once per batch, the others one by one in order."""

        async def apply() -> None:
            batches: dict[int, tuple[Batched, list[CloudEvent]]] = {}
            for _, event in events:
                handler = self._handlers[event.type]
                if isinstance(handler, Batched):
                    batches.setdefault(id(handler), (handler, []))[1].append(event)
                else:
                    await handler(session, event)
            for handler, batch in batches.values():
                await handler.apply(session, batch)

        if self._around is None:
            await apply()
        else:
            await self._around(session, [event for _, event in events], apply)

    async def _apply_one(
        self,
        session: AsyncSession,
        record: ConsumerRecord[bytes, bytes],
        event: CloudEvent,
    ) -> None:
        """Apply one event in its own savepoint; a malformed one is marked rejected."""
        try:
            async with session.begin_nested():
                await self._handle(session, [(record, event)])
        except (ValidationError, ValueError, KeyError) as exc:
            # A malformed event must not block the partition: record why and go on.
            REJECTED.inc()
            log.error("event %s (%s) rejected: %s", event.id, event.type, _reason(exc))
            await session.execute(
                sa.update(self._inbox)
                .where(self._inbox.c.event_id == event.id)
                .values(status="rejected", error=_reason(exc)[:2000])
            )
            return
        CONSUMED.labels(event.type).inc()


def _reason(exc: Exception) -> str:
    """Why an event failed, without the values it carried (a ValidationError quotes them)."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['type']}"
            for error in exc.errors(include_input=False)
        )
    return f"{type(exc).__name__}: {exc}"


__all__ = ["Around", "Batched", "Handler", "IdempotentConsumer", "Verify", "inbox_table"]
