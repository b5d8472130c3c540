"""The outbox relay removes rows published longer ago than the retention on a timer, whatever
the volume it published (not after some number of publications)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta

import sqlalchemy as sa
from job_market.db import outbox
from shared.db import create_engine
from shared.kafka import KafkaAccess
from shared.outbox.relay import OutboxRelay


async def test_published_rows_past_the_retention_are_purged_on_a_timer(
    migrated_db: Callable[[str], Awaitable[str]],
) -> None:
    engine = create_engine(await migrated_db("job_market"), pool_size=2)
    rows = {
        age: {
            "event_id": uuid.uuid4(), "event_type": "t.v1", "topic": "t", "key": "k",
            "payload": {}, "published_at": sa.func.now() - timedelta(hours=age),
        }
        for age in (200, 1)
    }  # fmt: skip
    async with engine.begin() as conn:
        for row in rows.values():
            await conn.execute(sa.insert(outbox).values(**row))
    # Nothing waits to be published, so the relay never needs Kafka here.
    relay = OutboxRelay(
        engine=engine, table=outbox, client_id="test",
        kafka=KafkaAccess(bootstrap="127.0.0.1:9", username="unused", password="unused"),
        poll_seconds=0.01, retention=timedelta(hours=168), purge_seconds=0.05,
    )  # fmt: skip
    task = asyncio.create_task(relay.run())

    async def left() -> set[uuid.UUID]:
        async with engine.connect() as conn:
            return set(await conn.scalars(sa.select(outbox.c.event_id)))

    deadline = asyncio.get_running_loop().time() + 20
    while rows[200]["event_id"] in await left():
        assert asyncio.get_running_loop().time() < deadline, "the old row was never purged"
        await asyncio.sleep(0.05)
    assert await left() == {rows[1]["event_id"]}
    await relay.stop()
    await task
    await engine.dispose()
