"""The outbox relay removes rows published longer ago than the retention on a timer, whatever
the volume it published (not after some number of publications); it keeps newer rows and
rows not published yet."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from job_market.db import outbox
from shared.db import create_engine
from shared.kafka import KafkaAccess
from shared.outbox import relay as relay_module
from shared.outbox.relay import OutboxRelay
from sqlalchemy.ext.asyncio import AsyncEngine

RETENTION = timedelta(hours=168)
# Nowhere: the relay fails to publish the unpublished row, and purges all the same.
NO_KAFKA = KafkaAccess(bootstrap="127.0.0.1:9", username="unused", password="unused")


@pytest.fixture
async def engine(migrated_db: Callable[[str], Awaitable[str]]) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(await migrated_db("job_market"), pool_size=2)
    yield engine
    await engine.dispose()


async def _add(engine: AsyncEngine, *, published_hours_ago: float | None) -> uuid.UUID:
    """An outbox row published that long ago (None: not published); its event id."""
    event_id = uuid.uuid4()
    published: Any = None
    if published_hours_ago is not None:
        published = sa.func.now() - timedelta(hours=published_hours_ago)
    async with engine.begin() as conn:
        await conn.execute(
            sa.insert(outbox).values(
                event_id=event_id, event_type="t.v1", topic="t", key="k", payload={},
                published_at=published,
            )
        )  # fmt: skip
    return event_id


async def _left(engine: AsyncEngine) -> set[uuid.UUID]:
    async with engine.connect() as conn:
        return set(await conn.scalars(sa.select(outbox.c.event_id)))


async def _until_gone(engine: AsyncEngine, event_id: uuid.UUID, timeout: float = 30) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while event_id in await _left(engine):
        assert asyncio.get_running_loop().time() < deadline, "the old row was never purged"
        await asyncio.sleep(0.05)


async def test_published_rows_past_the_retention_are_purged_on_a_timer(
    engine: AsyncEngine,
) -> None:
    old = await _add(engine, published_hours_ago=200)
    recent = await _add(engine, published_hours_ago=1)
    unpublished = await _add(engine, published_hours_ago=None)
    relay = OutboxRelay(
        engine=engine, table=outbox, client_id="test", kafka=NO_KAFKA, poll_seconds=0.01,
        retention=RETENTION, purge_seconds=0.2,
    )  # fmt: skip
    task = asyncio.create_task(relay.run())
    try:
        await _until_gone(engine, old)
        # A row that grows old while the relay runs goes at a later purge: a timer, not a
        # count of publications (this relay publishes nothing at all).
        older = await _add(engine, published_hours_ago=169)
        await _until_gone(engine, older)
        assert await _left(engine) == {recent, unpublished}
    finally:
        await relay.stop()
        await task


async def test_a_purge_removes_a_large_backlog_in_chunks(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(relay_module, "_PURGE_CHUNK", 2)
    old = [await _add(engine, published_hours_ago=200 + i) for i in range(5)]
    recent = await _add(engine, published_hours_ago=1)
    relay = OutboxRelay(
        engine=engine, table=outbox, client_id="test", kafka=NO_KAFKA, retention=RETENTION
    )

    assert await relay.purge_published() == len(old)
    assert await _left(engine) == {recent}
