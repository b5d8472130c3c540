"""Two aggregation replicas in one consumer group, on one database, while events arrive: Kafka
spreads the topic's partitions over them, and when one is killed midway (its batch in flight
neither committed to the database nor to Kafka) the other takes its partitions over and
replays what was not committed. Every event is counted exactly once."""

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
from shared.kafka import make_producer
from sinergi_local.kafka import KafkaBroker, ensure_topics
from sinergi_local.testing import until
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

EVENTS = 600
PARTITIONS = 4
Values = dict[tuple[str, str, str], Any]


@pytest.mark.timeout(300)
async def test_a_replica_killed_midway_loses_nothing_and_counts_nothing_twice(
    kafka: KafkaBroker,
    sessions: async_sessionmaker[AsyncSession],
    seeker: Callable[..., Any],
    indicator_values: Callable[..., Awaitable[Values]],
) -> None:
    topic = f"test.aggregation.replicas.{uuid.uuid4().hex[:8]}"
    group = f"test-aggregation-replicas-{uuid.uuid4().hex[:8]}"
    await ensure_topics(kafka.admin, [topic], partitions=PARTITIONS)
    replicas = [
        build_consumer(sessions=sessions, kafka=kafka.admin, topics=[topic], group_id=group)
        for _ in range(2)
    ]
    running = [asyncio.create_task(replica.run()) for replica in replicas]

    async def applied() -> int:
        async with sessions() as session:
            return int(await session.scalar(sa.select(sa.func.count()).select_from(inbox)) or 0)

    producer = make_producer(kafka.admin, client_id="aggregation-replicas-test")
    await producer.start()
    try:
        # Events keep arriving while the first replica dies.
        for n in range(EVENTS):
            event = seeker(region_code="53.71", registered_at=date(2026, 5, 1 + n % 28))
            cloudevent = event.to_cloudevent()
            await producer.send(topic, key=cloudevent.subject.encode(), value=cloudevent.to_bytes())
            if n == EVENTS // 3:
                await until(
                    lambda: _at_least(applied, 50), "the replicas to start applying", timeout=90
                )
                running[0].cancel()  # killed: its batch in flight is neither applied nor committed
        await producer.flush()
    finally:
        await producer.stop()

    cell = (["job_seekers_registered"], ["53.71"], ["2026-05"])

    async def counted() -> bool:
        return list((await indicator_values(*cell)).values()) == [EVENTS]

    try:
        await until(counted, "every event to be counted by the surviving replica", timeout=90)
        assert await applied() == EVENTS  # one inbox row per event: none applied twice
    finally:
        await replicas[1].stop()
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
        await replicas[0].stop()
    assert list((await indicator_values(*cell)).values()) == [EVENTS]


async def _at_least(count: Callable[[], Awaitable[int]], minimum: int) -> bool:
    return await count() >= minimum
