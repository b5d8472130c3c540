"""Idempotent consumption: the inbox table and the consumer loop.

Kafka delivers at least once. Each event's id goes into ``inbox`` in the same transaction as
the projection change it causes, so a redelivered event finds its id there and changes
nothing. Offsets are committed to Kafka only after the database commit; a crash in between
means a redelivery, which the inbox absorbs.

A consumer may be given ``verify``: an event it finds wrong (e.g. a ``source`` that does not own
the topic it came from) is refused before it touches the database, counted as rejected, logged
without its payload and set aside on the dead-letter topic; its offset advances like any other.
It is not written to the inbox either, so a forged event cannot take the id of a genuine one.

An event that cannot be applied never stalls its partition. ``shared.dlq`` sorts errors into
lasting ones (the event is at fault: undecodable, refused, data the model refuses, a handler's
exception, a type without the handler it should have, a row the database refuses) and passing
ones (the database or Kafka unreachable, a timeout). A lasting error: the event is tried
``max_attempts`` times, each time in a savepoint of its own so the rest of the batch still
applies; then the record goes to ``<topic>.dlq`` (acknowledged by every in-sync replica before
the transaction commits, hence before the offset commit), its inbox row gets status
``dead_lettered`` with the reason in ``error``, and the events after it are applied as usual.
A passing error aborts the batch uncommitted: the consumer restarts with backoff and tries
again until it succeeds, and nothing goes to the DLQ for it.

Inbox statuses: ``applied`` (by a handler), ``ignored`` (a type of no concern to this consumer),
``dead_lettered`` (set aside; ``replay`` applies it again after a fix, turning it ``applied``).
The ``sinergi_dlq_records`` gauge is the number of ``dead_lettered`` rows per original topic:
dead letters not replayed yet (records without an event id, undecodable or refused, are on the
DLQ but never replayable, and counted by ``sinergi_events_dead_lettered_total`` only).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import sqlalchemy as sa
from aiokafka import AIOKafkaConsumer, ConsumerRecord
from aiokafka.structs import OffsetAndMetadata
from opentelemetry.trace import SpanKind
from prometheus_client import Counter, Gauge, Histogram
from pydantic import ValidationError
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.dlq import DeadLetters, describe, is_passing
from shared.events.envelope import CloudEvent
from shared.kafka import KafkaAccess, make_consumer
from shared.tracing import TRACEPARENT, span_from

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

Expects = Callable[[str], bool]
"""``expects(type)``: whether an event type without a handler should have had one (an event a
newer producer sent before this consumer learnt its type): a lasting error, dead-lettered and
replayable once the handler is deployed, rather than an event of no concern, ignored."""

CONSUMED = Counter("sinergi_events_consumed_total", "Events applied", ["type"])
DUPLICATES = Counter("sinergi_events_duplicate_total", "Redelivered events ignored")
REJECTED = Counter("sinergi_events_rejected_total", "Events that could not be applied")
DEAD_LETTERED = Counter(
    "sinergi_events_dead_lettered_total",
    "Records put on a dead-letter topic (committed), by original topic",
    ["topic"],
)
DLQ_RECORDS = Gauge(
    "sinergi_dlq_records",
    "Dead-lettered events not replayed yet (inbox rows dead_lettered), by original topic",
    ["topic"],
)
FAULTS = Counter(
    "sinergi_consumer_faults_total",
    "Batches left uncommitted for a passing error (database or Kafka unavailable), retried",
)

DELAY = Histogram(
    "sinergi_event_delay_seconds",
    "From an event's time (its record written by the producing service) to its apply committed"
    " here: how fresh what this consumer serves is",
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600, 86400),
)

LAG = Gauge(
    "sinergi_consumer_lag",
    "Events of a partition not yet applied and committed (end offset minus position)",
    ["group", "topic", "partition"],
)

APPLIED, IGNORED, DEAD = "applied", "ignored", "dead_lettered"
"""Inbox statuses: applied by a handler, of a type nobody handles, set aside on the DLQ."""
_DLQ_REFRESH_SECONDS = 60.0


class UnknownEventType(LookupError):
    """An event of a type this consumer expects to handle but has no handler for (yet)."""


@dataclass
class _Outcome:
    """What a batch did, counted in the metrics once its transaction has committed."""

    consumed: list[CloudEvent] = field(default_factory=list)
    duplicates: int = 0
    dead_lettered: list[str] = field(default_factory=list)
    """Original topics of the records put on a DLQ."""
    waiting: list[str] = field(default_factory=list)
    """Original topics of the events marked dead_lettered in the inbox (replayable)."""


def inbox_table(metadata: sa.MetaData) -> sa.Table:
    """Define the ``inbox`` table: one row per event a consumer has applied or set aside."""
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
        expects: Expects | None = None,
        around: Around | None = None,
    ) -> None:
        self._sessions = sessions
        self._dead_letters = dead_letters
        self._max_attempts = max(1, max_attempts)
        self._inbox = inbox
        self._kafka = kafka
        self._verify = verify
        self._expects = expects
        self._topics = topics
        self._group_id = group_id
        self._handlers = handlers
        self._on_applied = on_applied
        self._around = around
        self._stopping = False
        self._consumer: AIOKafkaConsumer | None = None

    async def run(self) -> None:
        """Consume until ``stop``; restart the Kafka client after faults (passing errors:
        nothing of the batch was committed, so it comes again)."""
        backoff = 0.5
        while not self._stopping:
            consumer = make_consumer(self._kafka, *self._topics, group_id=self._group_id)
            committing: asyncio.Future[None] | None = None
            try:
                await consumer.start()
                self._consumer = consumer
                refreshed = -_DLQ_REFRESH_SECONDS
                while not self._stopping:
                    if asyncio.get_running_loop().time() - refreshed > _DLQ_REFRESH_SECONDS:
                        await self.count_dead_letters()
                        refreshed = asyncio.get_running_loop().time()
                    batches = await consumer.getmany(timeout_ms=200, max_records=500)
                    if batches:
                        # Every partition's records in one transaction and one commit: a
                        # transaction's fixed cost (the inbox, the handlers' statements, the
                        # cube) and the broker's round trip are paid once per fetch, not once
                        # per partition (at 30 writes/s they kept the consumer busy).
                        await self.apply([r for records in batches.values() for r in records])
                        # The offsets go to the broker while the next batch is fetched and
                        # applied (a round trip less per batch); one commit at a time, in
                        # order. A commit that fails restarts the client: what it did not
                        # commit comes again, and the inbox turns it away.
                        if committing is not None:
                            await committing
                        committing = asyncio.ensure_future(
                            consumer.commit(
                                {
                                    tp: OffsetAndMetadata(records[-1].offset + 1, "")
                                    for tp, records in batches.items()
                                }
                            )
                        )
                    await self._note_lag(consumer)
                    backoff = 0.5
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - uncommitted records come again
                FAULTS.inc()
                log.warning(
                    "consumer %s: %s; restarting in %.1fs",
                    self._group_id,
                    describe(exc),
                    backoff,
                    exc_info=not is_passing(exc),
                )
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                self._consumer = None
                # The last batch's offsets, before the client goes. If they are lost, those
                # records come again and the inbox turns them away.
                try:
                    if committing is not None:
                        await committing
                except Exception as exc:  # noqa: BLE001
                    log.debug("committing the last offsets: %s", describe(exc))
                try:
                    await consumer.stop()
                except Exception as exc:  # noqa: BLE001
                    log.debug("closing consumer: %s", exc)

    async def _note_lag(self, consumer: AIOKafkaConsumer) -> None:
        """Set the lag gauge of every assigned partition: its end offset as the last fetch saw
        it, minus the next offset to apply."""
        for tp in consumer.assignment():
            end = consumer.highwater(tp)
            if end is None:
                continue
            behind = end - await consumer.position(tp)
            LAG.labels(self._group_id, tp.topic, str(tp.partition)).set(max(behind, 0))

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
        """Apply records (of one or more partitions, each partition's in order) in one
        transaction, skipping those seen before.

        The batch's inbox rows go in with one statement; its events are applied by batched
        handlers table by table (each handler keeps the newest revision per entity, so the
        order between entities does not matter), the others one by one. When that fails for
        a lasting reason, it is rolled back and applied again event by event in a new
        transaction, each in a savepoint, so that only the events at fault are set aside. A
        passing error propagates: nothing of the batch is committed.
        """
        events, letters = self._decoded(records)
        outcome = _Outcome()
        with contextlib.ExitStack() as spans:
            # One consumer span per event, continuing its trace (the relay's context from the
            # record's header, else the writer's from the CloudEvent), open over the batch.
            for record, event in events:
                spans.enter_context(
                    span_from(
                        f"apply {event.type}",
                        _trace_carrier(record, event),
                        kind=SpanKind.CONSUMER,
                    )
                )
            async with self._sessions() as session:
                handled = False
                try:
                    # No savepoint: on the common path it costs two round trips a batch.
                    async with session.begin():
                        fresh, duplicates = await self._into_inbox(session, events)
                        await self._handle(session, fresh)
                        handled = True
                        await self._dead_letter_all(letters, outcome)
                except Exception as exc:  # noqa: BLE001 - sorted below: passing or lasting
                    if is_passing(exc) or handled:
                        raise
                    log.warning(
                        "a batch of %d events from %s failed (%s); applying them one by one",
                        len(events),
                        ", ".join(sorted({record.topic for record in records})),
                        type(exc).__name__,
                    )
                    async with session.begin():
                        for record, event in events:
                            await self._apply_one(session, record, event, outcome)
                        await self._dead_letter_all(letters, outcome)
                else:
                    outcome.consumed += [event for _, event in fresh]
                    outcome.duplicates += duplicates
        now = datetime.now(UTC)
        for event in outcome.consumed:
            CONSUMED.labels(event.type).inc()
            DELAY.observe(max((now - event.time).total_seconds(), 0.0))
        DUPLICATES.inc(outcome.duplicates)
        for topic in outcome.dead_lettered:
            DEAD_LETTERED.labels(topic).inc()
        for topic in outcome.waiting:
            DLQ_RECORDS.labels(topic).inc()
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
                reason = f"undecodable: {describe(exc)}"
                log.error(
                    "record %s@%s:%s %s", record.topic, record.partition, record.offset, reason
                )
                letters.append((record, reason))
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

    def _handled(self, event_type: str) -> bool:
        """Whether events of this type are to be applied (or fail for want of a handler)."""
        return event_type in self._handlers or (
            self._expects is not None and self._expects(event_type)
        )

    async def _into_inbox(
        self,
        session: AsyncSession,
        events: list[tuple[ConsumerRecord[bytes, bytes], CloudEvent]],
    ) -> tuple[list[tuple[ConsumerRecord[bytes, bytes], CloudEvent]], int]:
        """Record the events in the inbox (one statement): those not seen before, to apply,
        and how many were seen before."""
        if not events:
            return [], 0
        rows = [
            {
                "event_id": event.id,
                "event_type": event.type,
                "topic": record.topic,
                "partition": record.partition,
                "offset": record.offset,
                "status": APPLIED if self._handled(event.type) else IGNORED,
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
        fresh = [(r, e) for r, e in events if e.id in inserted and self._handled(e.type)]
        return fresh, len(events) - len(inserted)

    async def _handle(
        self,
        session: AsyncSession,
        events: list[tuple[ConsumerRecord[bytes, bytes], CloudEvent]],
    ) -> None:
        """Apply events: batched handlers once per batch, the others one by one in order."""

        async def apply() -> None:
            batches: dict[int, tuple[Batched, list[CloudEvent]]] = {}
            for _, event in events:
                handler = self._handlers.get(event.type)
                if handler is None:
                    raise UnknownEventType(f"no handler for event type {event.type[:200]!r}")
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
        outcome: _Outcome,
    ) -> None:
        """Apply one event (its inbox row included) in a savepoint of its own, up to
        ``max_attempts`` times; one that keeps failing for a lasting reason goes to the DLQ
        and is marked in the inbox."""
        failure: Exception | None = None
        for _ in range(self._max_attempts):
            try:
                async with session.begin_nested():
                    fresh, duplicates = await self._into_inbox(session, [(record, event)])
                    await self._handle(session, fresh)
            except Exception as exc:  # noqa: BLE001 - sorted: passing or lasting
                if is_passing(exc):
                    raise
                failure = exc
                continue
            outcome.consumed += [e for _, e in fresh]
            outcome.duplicates += duplicates
            return
        assert failure is not None
        # An event at fault must not block the partition: set it aside and go on.
        REJECTED.inc()
        reason = describe(failure, data=event.data)
        log.error("event %s (%s) dead-lettered: %s", event.id, event.type[:200], reason)
        if await self._mark_dead(session, record, event, reason):
            outcome.waiting.append(record.topic)
        await self._dead_letter(record, reason, attempts=self._max_attempts, outcome=outcome)

    async def _mark_dead(
        self,
        session: AsyncSession,
        record: ConsumerRecord[bytes, bytes],
        event: CloudEvent,
        reason: str,
    ) -> bool:
        """Record the event as dead-lettered in the inbox; False when even its inbox row
        cannot be written (an id the database cannot hold: on the DLQ, never replayable)."""
        row = {
            "event_id": event.id,
            "event_type": event.type,
            "topic": record.topic,
            "partition": record.partition,
            "offset": record.offset,
            "status": DEAD,
            "error": reason,
        }
        try:
            async with session.begin_nested():
                await session.execute(insert(self._inbox).values(**row))
        except Exception as exc:  # noqa: BLE001 - sorted: passing or lasting
            if is_passing(exc):
                raise
            log.error(
                "event at %s:%s has no inbox row: %s", record.topic, record.offset, describe(exc)
            )
            return False
        return True

    async def _dead_letter_all(
        self, letters: list[tuple[ConsumerRecord[bytes, bytes], str]], outcome: _Outcome
    ) -> None:
        """Put a batch's undecodable and refused records on the DLQ, inside the batch's
        transaction: a dead letter the broker did not take aborts the batch, so the record
        comes again rather than being lost."""
        for record, reason in letters:
            await self._dead_letter(record, reason, attempts=1, outcome=outcome)

    async def _dead_letter(
        self, record: ConsumerRecord[bytes, bytes], reason: str, *, attempts: int, outcome: _Outcome
    ) -> None:
        await self._dead_letters.send(record, error=reason, attempts=attempts)
        outcome.dead_lettered.append(record.topic)

    async def replay(self, record: ConsumerRecord[bytes, bytes]) -> bool:
        """Apply a dead-lettered record again (after a fix), as it came from its topic;
        whether it was applied.

        It goes through the consumer's checks (decoding, ``verify``) and the same path as
        ``apply`` (inbox row, handlers, ``around``) in one transaction: its ``dead_lettered``
        row is replaced by an ``applied`` one. An event not marked dead-lettered in the inbox
        is left alone (replayed or applied since, or never an event), so replaying twice
        changes nothing; one that fails again raises and stays dead-lettered.
        """
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
            fresh, _ = await self._into_inbox(session, events)
            await self._handle(session, fresh)
        CONSUMED.labels(event.type).inc()
        return True


__all__ = [
    "APPLIED",
    "DEAD",
    "IGNORED",
    "Around",
    "Batched",
    "Expects",
    "Handler",
    "IdempotentConsumer",
    "UnknownEventType",
    "Verify",
    "inbox_table",
]


def _trace_carrier(record: ConsumerRecord[bytes, bytes], event: CloudEvent) -> dict[str, str]:
    """Where an event's trace continues: the record's ``traceparent`` header (the relay's
    producer span), else the CloudEvent's extension attribute (the writing request's)."""
    for name, value in record.headers or ():
        if name == TRACEPARENT:
            return {TRACEPARENT: value.decode("latin-1")}
    return {TRACEPARENT: event.traceparent} if event.traceparent else {}
