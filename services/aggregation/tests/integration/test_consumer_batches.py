"""The consumer applies what one fetch brought from every partition in one transaction, commits
each partition's offset, and tells how fresh what it applied is."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from aggregation.consumer import build_consumer
from aggregation.projections.tables import inbox
from aiokafka import AIOKafkaConsumer, TopicPartition
from prometheus_client import REGISTRY
from shared.kafka import make_producer
from sinergi_local.kafka import KafkaBroker, ensure_topics
from sinergi_local.testing import until
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

EVENTS = 120
PARTITIONS = 4
Values = dict[tuple[str, str, str], Any]


def _delays_observed() -> float:
    return REGISTRY.get_sample_value("sinergi_event_delay_seconds_count") or 0.0


@pytest.mark.timeout(180)
async def test_one_fetch_of_several_partitions_is_one_transaction_and_every_offset_is_committed(
    kafka: KafkaBroker,
    sessions: async_sessionmaker[AsyncSession],
    seeker: Callable[..., Any],
    indicator_values: Callable[..., Awaitable[Values]],
) -> None:
    topic = f"test.aggregation.batches.{uuid.uuid4().hex[:8]}"
    group = f"test-aggregation-batches-{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka.admin, [topic], partitions=PARTITIONS)
    # Every event is waiting on the topic before the consumer starts: its first fetch brings
    # records of every partition.
    producer = make_producer(kafka.admin, client_id="aggregation-batches-test")
    await producer.start()
    try:
        for n in range(EVENTS):
            cloudevent = seeker(
                region_code="32.16", registered_at=date(2026, 3, 1 + n % 28)
            ).to_cloudevent()
            await producer.send(topic, key=cloudevent.subject.encode(), value=cloudevent.to_bytes())
        await producer.flush()
    finally:
        await producer.stop()
    delays_before = _delays_observed()

    consumer = build_consumer(sessions=sessions, kafka=kafka.admin, topics=[topic], group_id=group)
    running = asyncio.create_task(consumer.run())

    async def counted() -> bool:
        found = await indicator_values(["job_seekers_registered"], ["32.16"], ["2026-03"])
        return list(found.values()) == [EVENTS]

    try:
        await until(counted, "every event to be counted")
    finally:
        await consumer.stop()
        running.cancel()

    async with sessions() as session:
        # xmin: the transaction that wrote the inbox row (the projection and cube changes are
        # in the same one).
        partitions_per_transaction = (
            await session.scalars(
                sa.select(sa.func.count(sa.distinct(inbox.c.partition))).group_by(
                    sa.literal_column("xmin::text")
                )
            )
        ).all()
        partitions = await session.scalar(sa.select(sa.func.count(sa.distinct(inbox.c.partition))))
    assert partitions == PARTITIONS  # the keys spread the events over every partition
    assert sum(partitions_per_transaction) >= PARTITIONS
    assert max(partitions_per_transaction) > 1, "each partition was applied on its own"
    assert len(partitions_per_transaction) < PARTITIONS

    # Every partition's offset is committed up to its end: nothing comes again.
    reader = AIOKafkaConsumer(**kafka.admin.client_options(), group_id=group)
    await reader.start()
    try:
        tps = [TopicPartition(topic, p) for p in range(PARTITIONS)]
        ends = await reader.end_offsets(tps)
        for tp in tps:
            assert await reader.committed(tp) == ends[tp], tp
    finally:
        await reader.stop()

    # Each applied event's delay since it was written is observed once.
    assert _delays_observed() - delays_before == EVENTS
