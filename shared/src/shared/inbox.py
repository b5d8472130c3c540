"""Idempotent consumption: the inbox table and the consumer loop.

Kafka delivers at least once. Each event's id goes into ``inbox`` in the same transaction as
the projection change it causes, so a redelivered event finds its id there and changes
nothing. Offsets are committed to Kafka only after the database commit; a crash in between
means a redelivery, which the inbox absorbs.

A consumer may be given ``verify``: an event it finds wrong (e.g. a ``source`` that does not own
the topic it came from) is refused before it touches the database, counted as rejected and
logged without its payload; its offset advances like any other. It is not written to the inbox
either, so a forged event cannot take the id of a genuine one.

An event that cannot be applied is never allowed to stall its partition (see ``shared.dlq``):
a lasting error (a record that is no CloudEvent, a refused source, data its model refuses, a
handler's exception) is tried ``max_attempts`` times, then the record goes to ``<topic>.dlq``
and, when it had an event id, its inbox row is marked ``dead_lettered`` (replayable with
``replay``); the events after it are applied as usual. A passing error (the database or Kafka
unreachable, a timeout) aborts the batch uncommitted: the consumer restarts and tries again
until it succeeds, and nothing goes to the DLQ for it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.structs import OffsetAndMetadata
from prometheus_client import Counter, Gauge
from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.dlq import DeadLetters, is_passing
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
DEAD_LETTERED = Counter(
    "sinergi_events_dead_lettered_total", "Records put on a dead-letter topic", ["topic"]
)
DLQ_RECORDS = Gauge(
    "sinergi_dlq_records",
    "Dead-lettered events not replayed yet (inbox rows dead_lettered), by original topic",
    ["topic"],
)

APPLIED, IGNORED, DEAD = "applied", "ignored", "dead_lettered"
"""Inbox statuses: applied by a handler, of a type nobody handles, set aside on the DLQ."""
_DLQ_REFRESH_SECONDS = 60.0


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
        sa.Index("ix_inbox_dead_lettered", "topic", postgresql_where=sa.text(f"status = '{DEAD}'")),
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
        dead_letters: DeadLetters,
        max_attempts: int = 3,
        on_applied: Callable[[], None] | None = None,
        verify: Verify | None = None,
        around: Around | None = None,
    ) -> None:
        self._sessions = sessions
        self._dead_letters = dead_letters
        self._max_attempts = max(1, max_attempts)
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
                refreshed = 0.0
                while not self._stopping:
                    if asyncio.get_running_loop().time() - refreshed > _DLQ_REFRESH_SECONDS:
                        await self.count_dead_letters()
                        refreshed = asyncio.get_running_loop().time()
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
        await self._dead_letters.close()

    async def count_dead_letters(self) -> int:
        """Set the DLQ-depth gauge from the inbox; the number of dead-lettered events."""
        async with self._sessions() as session:
            rows = (
                await session.execute(
                    sa.select(self._inbox.c.topic, sa.func.count())
                    .where(self._inbox.c.status == DEAD)
                    .group_by(self._inbox.c.topic)
                )
            ).all()
        for topic in self._topics:
            DLQ_RECORDS.labels(topic).set(0)
        for topic, count in rows:
            DLQ_RECORDS.labels(topic).set(count)
        return sum(count for _, count in rows)

    async def apply(self, records: list[ConsumerRecord[bytes, bytes]]) -> None:
        """Apply records of one partition in one transaction, skipping those seen before.

        The batch's inbox rows go in with one statement; its events are applied by batched
        handlers table by table (each handler keeps the newest revision per entity, so the
        order between entities does not matter), the others one by one. When an event is
        malformed, the batch is applied again event by event so that only that event is
        rejected.
        """
        events, letters = self._decoded(records)
        async with self._sessions() as session, session.begin():
            fresh = await self._into_inbox(session, events)
            try:
                async with session.begin_nested():
                    await self._handle(session, fresh)
            except Exception as exc:  # noqa: BLE001 - sorted below: passing or lasting
                if is_passing(exc):
                    raise
                for record, event in fresh:
                    await self._apply_one(session, record, event)
            else:
                for _, event in fresh:
                    CONSUMED.labels(event.type).inc()
            # Still inside the transaction: a dead letter the broker did not take aborts the
            # batch, so the record comes again rather than being lost.
            for record, reason in letters:
                await self._dead_letter(record, reason, attempts=1)
        if self._on_applied is not None:
            self._on_applied()

    def _decoded(
        self, records: list[ConsumerRecord[bytes, bytes]]
    ) -> tuple[
        list[tuple[ConsumerRecord[bytes, bytes], CloudEvent]],
        list[tuple[ConsumerRecord[bytes, bytes], str]],
    ]:
        """The records' events, each once (by id); apart, the undecodable and the refused
        records with the reason (dead letters: trying them again cannot help)."""
        events: dict[str, tuple[ConsumerRecord[bytes, bytes], CloudEvent]] = {}
        letters: list[tuple[ConsumerRecord[bytes, bytes], str]] = []
        for record in records:
            try:
                event = CloudEvent.from_bytes(record.value or b"")
            except ValidationError as exc:
                REJECTED.inc()
                log.error("undecodable record %s@%s: %s", record.topic, record.offset, _reason(exc))
                letters.append((record, f"undecodable: {_reason(exc)}"))
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
                    letters.append((record, f"refused: {problem}"))
                    continue
            if event.id in events:
                DUPLICATES.inc()
                continue
            events[event.id] = (record, event)
        return list(events.values()), letters

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
                "status": APPLIED if event.type in self._handlers else IGNORED,
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
        """Apply one event in its own savepoint, up to ``max_attempts`` times; one that keeps
        failing for a lasting reason goes to the DLQ and is marked in the inbox."""
        failure: Exception | None = None
        for _ in range(self._max_attempts):
            try:
                async with session.begin_nested():
                    await self._handle(session, [(record, event)])
            except Exception as exc:  # noqa: BLE001 - sorted: passing or lasting
                if is_passing(exc):
                    raise
                failure = exc
                continue
            CONSUMED.labels(event.type).inc()
            return
        assert failure is not None
        # A malformed event must not block the partition: set it aside and go on.
        REJECTED.inc()
        reason = _reason(failure)
        log.error("event %s (%s) dead-lettered: %s", event.id, event.type, reason)
        await session.execute(
            sa.update(self._inbox)
            .where(self._inbox.c.event_id == event.id)
            .values(status=DEAD, error=reason[:2000])
        )
        await self._dead_letter(record, reason, attempts=self._max_attempts)

    async def _dead_letter(
        self, record: ConsumerRecord[bytes, bytes], reason: str, *, attempts: int
    ) -> None:
        await self._dead_letters.send(record, error=reason, attempts=attempts)
        DEAD_LETTERED.labels(record.topic).inc()
        DLQ_RECORDS.labels(record.topic).inc()

    async def replay(self, record: ConsumerRecord[bytes, bytes]) -> bool:
        """Apply a dead-lettered record again (after a fix), as it came from its topic;
        whether it was applied. An event not marked dead-lettered in the inbox is left
        alone (applied since, or never an event), so replaying twice changes nothing."""
        events, _ = self._decoded([record])
        if not events:
            return False
        ((_, event),) = events
        async with self._sessions() as session, session.begin():
            removed = await session.scalar(
                sa.delete(self._inbox)
                .where(self._inbox.c.event_id == event.id, self._inbox.c.status == DEAD)
                .returning(self._inbox.c.event_id)
            )
            if removed is None:
                return False
            fresh = await self._into_inbox(session, events)
            await self._handle(session, fresh)
        CONSUMED.labels(event.type).inc()
        return True


def _reason(exc: Exception) -> str:
    """Why an event failed, without the values it carried (a ValidationError quotes them)."""
    if isinstance(exc, ValidationError):
        return "; ".join(
            f"{'.'.join(str(part) for part in error['loc'])}: {error['type']}"
            for error in exc.errors(include_input=False)
        )
    return f"{type(exc).__name__}: {exc}"


__all__ = [
    "APPLIED",
    "DEAD",
    "IGNORED",
    "Around",
    "Batched",
    "Handler",
    "IdempotentConsumer",
    "Verify",
    "inbox_table",
]
