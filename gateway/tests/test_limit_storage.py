"""The PostgreSQL storage of the ``limits`` library, on a real migrated gateway database, with
two storages (two connection pools, as two gateway replicas would have) on one database."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from gateway.limit_storage import PostgresStorage
from limits import parse
from limits.aio.strategies import FixedWindowRateLimiter, MovingWindowRateLimiter
from limits.errors import StorageError
from sinergi_local.testing import MigratedDb, free_port

TIMEOUT = 5.0


async def _eventually(check: Callable[[], Awaitable[bool]], seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not await check():
        assert time.monotonic() < deadline, "condition not met before the deadline"
        await asyncio.sleep(0.05)


@pytest.fixture(scope="module")
async def database(migrated_db: MigratedDb) -> str:
    return await migrated_db("gateway")


@pytest.fixture
async def replicas(database: str) -> AsyncIterator[tuple[PostgresStorage, PostgresStorage]]:
    """Two storages on the same database, emptied first."""
    first = await PostgresStorage.connect(database, timeout=TIMEOUT)
    second = await PostgresStorage.connect(database, timeout=TIMEOUT)
    await first.reset()
    yield first, second
    await first.close()
    await second.close()


async def test_fixed_window_counts_hits_until_the_window_ends(
    replicas: tuple[PostgresStorage, PostgresStorage],
) -> None:
    storage, _ = replicas
    assert [await storage.incr("k", 60) for _ in range(3)] == [1, 2, 3]
    assert await storage.incr("k", 60, amount=5) == 8
    assert await storage.get("k") == 8
    assert await storage.get("unknown") == 0
    expiry = await storage.get_expiry("k")
    assert time.time() + 55 < expiry <= time.time() + 61

    await storage.incr("short", 1)
    await storage.incr("short", 1)
    await _eventually(lambda: _equals(storage.get("short"), 0))
    # A new window starts from zero.
    assert await storage.incr("short", 1) == 1


async def _equals(value: Awaitable[int], expected: int) -> bool:
    return await value == expected


async def test_two_replicas_count_the_same_hits_even_concurrently(
    replicas: tuple[PostgresStorage, PostgresStorage],
) -> None:
    first, second = replicas
    results = await asyncio.gather(
        *(replica.incr("shared", 60) for _ in range(25) for replica in (first, second))
    )
    # Every hit got its own count: none was lost or counted twice.
    assert sorted(results) == list(range(1, 51))
    assert await first.get("shared") == await second.get("shared") == 50


async def test_fixed_window_limiter_refuses_past_the_limit_across_replicas(
    replicas: tuple[PostgresStorage, PostgresStorage],
) -> None:
    limit = parse("3/minute")
    first, second = (FixedWindowRateLimiter(s) for s in replicas)
    assert await first.hit(limit, "api", "c1")
    assert await second.hit(limit, "api", "c1")
    assert await first.hit(limit, "api", "c1")
    assert not await second.hit(limit, "api", "c1")
    assert not await first.hit(limit, "api", "c1")
    # Another identifier has a window of its own.
    assert await second.hit(limit, "api", "c2")
    stats = await first.get_window_stats(limit, "api", "c1")
    assert stats.remaining == 0
    assert time.time() < stats.reset_time <= time.time() + 61


async def test_moving_window_admits_exactly_the_limit_under_concurrency(
    replicas: tuple[PostgresStorage, PostgresStorage],
) -> None:
    first, second = replicas
    results = await asyncio.gather(
        *(replica.acquire_entry("m", 20, 60) for _ in range(15) for replica in (first, second))
    )
    assert results.count(True) == 20
    start, entries = await second.get_moving_window("m", 20, 60)
    assert entries == 20
    assert time.time() - 10 < start <= time.time() + 1
    assert not await first.acquire_entry("m", 20, 60)
    # More than the limit at once is never admitted, even into an empty window.
    assert not await first.acquire_entry("empty", 2, 60, amount=3)


async def test_moving_window_admits_again_as_entries_age_out(
    replicas: tuple[PostgresStorage, PostgresStorage],
) -> None:
    limiter = MovingWindowRateLimiter(replicas[0])
    limit = parse("2/second")
    assert await limiter.hit(limit, "w")
    assert await limiter.hit(limit, "w")
    assert not await limiter.hit(limit, "w")
    stats = await limiter.get_window_stats(limit, "w")
    assert stats.remaining == 0
    assert time.time() < stats.reset_time <= time.time() + 1.5
    await _eventually(lambda: limiter.hit(limit, "w"))


async def test_released_entries_free_their_place(
    replicas: tuple[PostgresStorage, PostgresStorage],
) -> None:
    first, second = replicas
    assert await first.acquire_entry("r", 2, 60)
    assert await first.acquire_entry("r", 2, 60)
    assert not await second.acquire_entry("r", 2, 60)
    await second.release_entry("r")
    assert (await first.get_moving_window("r", 2, 60))[1] == 1
    assert await second.acquire_entry("r", 2, 60)
    await first.release_entry("r", amount=5)
    assert (await first.get_moving_window("r", 2, 60))[1] == 0


async def test_purge_removes_only_ended_windows(
    replicas: tuple[PostgresStorage, PostgresStorage],
) -> None:
    storage, _ = replicas
    await storage.incr("ends", 1)
    await storage.acquire_entry("ends-too", 5, 1)
    await storage.incr("stays", 60)
    await storage.acquire_entry("stays-too", 5, 60)

    removed = 0

    async def both_ended_windows_removed() -> bool:
        nonlocal removed
        removed += await storage.purge_expired()
        return removed >= 2

    await _eventually(both_ended_windows_removed)
    assert removed == 2
    assert await storage.get("stays") == 1
    assert (await storage.get_moving_window("stays-too", 5, 60))[1] == 1
    await storage.clear("stays")
    await storage.clear("stays-too")
    assert await storage.get("stays") == 0
    assert (await storage.get_moving_window("stays-too", 5, 60))[1] == 0


async def test_a_database_that_does_not_answer_is_a_storage_error() -> None:
    storage = await PostgresStorage.connect(
        f"postgresql://postgres@127.0.0.1:{free_port()}/postgres", timeout=2.0
    )
    try:
        with pytest.raises(StorageError):
            await storage.incr("k", 60)
        with pytest.raises(StorageError):
            await storage.acquire_entry("k", 5, 60)
        with pytest.raises(StorageError):
            await storage.release_entry("k")
        assert not await storage.check()
    finally:
        await storage.close()
