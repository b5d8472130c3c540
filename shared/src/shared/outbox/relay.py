"""The outbox relay: the only code that publishes a service's events to Kafka.

It reads unpublished rows in ``seq`` order, sends them with an idempotent ``acks=all``
producer, waits for every acknowledgement, and only then marks them published, in one
transaction. If Kafka is down the transaction rolls back and the rows wait; if the process dies
after Kafka acknowledged but before the commit, the events are sent again with the same
CloudEvent id and consumers drop the duplicate (inbox). A transaction-scoped advisory lock
keeps one relay per database active, so per-entity order survives several replicas.

Published rows are removed once they are older than the retention
(``SINERGI_OUTBOX_RETENTION_HOURS``, 168), at start and then every ``SINERGI_OUTBOX_PURGE_SECONDS``
(600), whatever the volume published.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from aiokafka import AIOKafkaProducer
from fastapi import Request
from opentelemetry.trace import SpanKind
from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.events.envelope import kafka_headers
from shared.kafka import KafkaAccess, make_producer
from shared.tracing import TRACEPARENT, inject, span_from

log = logging.getLogger(__name__)

PUBLISHED = Counter("sinergi_outbox_published_total", "Events the relay published", ["topic"])
FAILURES = Counter("sinergi_outbox_publish_failures_total", "Failed relay batches")
BACKLOG = Gauge("sinergi_outbox_backlog", "Outbox rows not yet acknowledged by Kafka")
OLDEST = Gauge(
    "sinergi_outbox_oldest_age_seconds",
    "Age of the oldest outbox row not yet acknowledged by Kafka (0: none waits)",
)

_LOCK_KEY = 0x51_4E_45_52  # any constant: one advisory lock per service database
_PURGE_CHUNK = 10_000
_BACKLOG_SECONDS = 1.0  # how often the backlog gauges are refreshed


class OutboxRelay:
    """Publish a service's outbox to Kafka until stopped."""

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        table: sa.Table,
        kafka: KafkaAccess,
        client_id: str,
        poll_seconds: float = 0.1,
        batch_size: int = 500,
        retention: timedelta = timedelta(days=7),
        purge_seconds: float = 600.0,
    ) -> None:
        self._engine = engine
        self._table = table
        self._kafka = kafka
        self._client_id = client_id
        self._poll = poll_seconds
        self._batch = batch_size
        self._retention = retention
        self._purge_seconds = purge_seconds
        self._producer: AIOKafkaProducer | None = None
        self._wake = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        """Publish now rather than at the next poll (called after a commit)."""
        self._wake.set()

    async def run(self) -> None:
        """Loop until ``stop``; Kafka or database faults only delay publication."""
        backoff = 0.2
        noted = -math.inf
        purged = -math.inf  # at start, then every purge_seconds: a process that restarts
        # more often than that must not keep its published rows forever
        while not self._stopping:
            try:
                if asyncio.get_running_loop().time() - purged >= self._purge_seconds:
                    await self.purge_published()
                    purged = asyncio.get_running_loop().time()
                sent = await self.publish_batch()
                if asyncio.get_running_loop().time() - noted >= _BACKLOG_SECONDS:
                    await self.note_backlog()
                    noted = asyncio.get_running_loop().time()
                backoff = 0.2
                if sent == self._batch:
                    continue
            except Exception as exc:  # noqa: BLE001 - any fault means: keep the rows, retry
                FAILURES.inc()
                log.warning("outbox relay: %s; retrying in %.1fs", exc, backoff)
                await self._close_producer()
                await self._sleep(backoff)
                backoff = min(backoff * 2, 5.0)
                continue
            await self._sleep(self._poll)

    async def _send(self, producer: AIOKafkaProducer, row: Any) -> Any:
        """Send one outbox row; a producer span continuing the row's trace, whose context goes
        in the record's ``traceparent`` header."""
        carrier = (
            {TRACEPARENT: row.payload["traceparent"]} if "traceparent" in row.payload else None
        )
        with span_from(f"publish {row.topic}", carrier, kind=SpanKind.PRODUCER):
            context: dict[str, str] = {}
            inject(context)
            return await producer.send(
                row.topic,
                value=json.dumps(row.payload, separators=(",", ":")).encode(),
                key=row.key.encode(),
                headers=[*kafka_headers(), *((k, v.encode()) for k, v in context.items())],
            )

    async def note_backlog(self) -> None:
        """Set the backlog gauges: rows waiting for Kafka and the age of the oldest (the
        pending rows' partial index answers both)."""
        t = self._table
        async with self._engine.connect() as conn:
            count, oldest = (
                await conn.execute(
                    sa.select(
                        sa.func.count(),
                        sa.func.extract("epoch", sa.func.now() - sa.func.min(t.c.created_at)),
                    ).where(t.c.published_at.is_(None))
                )
            ).one()
        BACKLOG.set(count)
        OLDEST.set(float(oldest or 0))

    async def stop(self) -> None:
        """Finish the batch in flight and close the producer."""
        self._stopping = True
        self._wake.set()
        await self._close_producer()

    async def publish_batch(self) -> int:
        """Publish up to one batch; return how many events Kafka acknowledged."""
        t = self._table
        async with self._engine.begin() as conn:
            locked = await conn.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(_LOCK_KEY)))
            if not locked:
                return 0
            rows = (
                await conn.execute(
                    sa.select(t.c.seq, t.c.topic, t.c.key, t.c.payload)
                    .where(t.c.published_at.is_(None))
                    .order_by(t.c.seq)
                    .limit(self._batch)
                )
            ).all()
            if not rows:
                return 0
            producer = await self._ensure_producer()
            pending = [await self._send(producer, row) for row in rows]
            await asyncio.gather(*pending)
            await conn.execute(
                sa.update(t)
                .where(t.c.seq.in_([row.seq for row in rows]))
                .values(published_at=sa.func.now())
            )
        for row in rows:
            PUBLISHED.labels(row.topic).inc()
        return len(rows)

    async def purge_published(self) -> int:
        """Remove rows published longer than the retention ago (every ``purge_seconds``,
        whatever the volume published); how many.

        In chunks of the oldest rows, each in its own transaction: the first purge after a
        backlog may remove millions of rows, which one statement would hold locked for long
        and might not finish within the statement timeout.
        """
        t = self._table
        removed = 0
        while True:
            oldest = (
                sa.select(t.c.seq)
                .where(t.c.published_at < sa.func.now() - self._retention)
                .order_by(t.c.seq)
                .limit(_PURGE_CHUNK)
            )
            async with self._engine.begin() as conn:
                result = await conn.execute(sa.delete(t).where(t.c.seq.in_(oldest)))
            removed += int(result.rowcount)
            if result.rowcount < _PURGE_CHUNK or self._stopping:
                return removed

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = make_producer(self._kafka, client_id=self._client_id)
            try:
                await producer.start()
            except Exception:
                await producer.stop()
                raise
            self._producer = producer
        return self._producer

    async def _close_producer(self) -> None:
        producer, self._producer = self._producer, None
        if producer is not None:
            try:
                await producer.stop()
            except Exception as exc:  # noqa: BLE001 - closing a broken producer may fail too
                log.debug("closing producer: %s", exc)

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            pass
        self._wake.clear()


def wake_relay(request: Request) -> None:
    """Tell the app's relay a transaction just committed events (publish without waiting)."""
    relay: OutboxRelay | None = getattr(request.app.state, "relay", None)
    if relay is not None:
        relay.wake()
