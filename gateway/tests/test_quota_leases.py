"""The API quota's leases (pure logic, over an in-memory stand-in for the shared count): a
replica takes a client's hits a share of the limit at a time, never admits more than the limit
per window, however many replicas share the count, and asks the database once per lease."""

from __future__ import annotations

from typing import cast

import pytest
from gateway.limit_storage import PostgresStorage
from gateway.metrics import GatewayMetrics
from gateway.throttling import LEASE_SHARE, ApiQuota
from limits import parse
from shared.errors import ProblemError


class SharedCount:
    """``PostgresStorage.take`` in memory: one fixed window per key, ending at ``ends``."""

    def __init__(self) -> None:
        self.hits: dict[str, int] = {}
        self.statements = 0
        self.seconds_left = 30.0

    async def take(self, key: str, expiry: int, amount: int) -> tuple[int, float]:
        self.statements += 1
        self.hits[key] = self.hits.get(key, 0) + amount
        return self.hits[key], self.seconds_left

    def new_window(self) -> None:
        self.hits.clear()


def _quota(count: SharedCount, limit: str) -> ApiQuota:
    return ApiQuota(
        storage=cast(PostgresStorage, count), limit=parse(limit), metrics=GatewayMetrics()
    )


async def _admitted(quota: ApiQuota, requests: int, client: str = "disnaker-32-16") -> int:
    admitted = 0
    for _ in range(requests):
        try:
            await quota.hit(client)
        except ProblemError as refused:
            assert refused.status == 429
            continue
        admitted += 1
    return admitted


@pytest.mark.parametrize("limit", ["5/minute", "250/minute", "12000/minute"])
async def test_one_replica_admits_exactly_the_limit_asking_once_a_lease(limit: str) -> None:
    count = SharedCount()
    amount = parse(limit).amount
    lease = max(1, amount // LEASE_SHARE)

    assert await _admitted(_quota(count, limit), amount + 20) == amount
    # One statement a lease, and one for each refused request (it asks whether room came).
    assert count.statements == -(-amount // lease) + 20


@pytest.mark.parametrize("replicas", [2, 3])
async def test_replicas_sharing_the_count_never_admit_more_than_the_limit(replicas: int) -> None:
    count = SharedCount()
    limit = parse("1000/minute")
    quotas = [_quota(count, "1000/minute") for _ in range(replicas)]
    admitted = 0
    for n in range(limit.amount + 200):  # requests spread over the replicas in turn
        admitted += await _admitted(quotas[n % replicas], 1)
    assert admitted <= limit.amount
    # Refused early by at most the hits the other replicas leased and did not use.
    assert admitted >= limit.amount - (replicas - 1) * (limit.amount // LEASE_SHARE)


async def test_a_lease_ends_with_its_window_and_the_next_window_admits_again() -> None:
    count = SharedCount()
    quota = _quota(count, "300/minute")
    assert await _admitted(quota, 301) == 300
    count.new_window()
    count.seconds_left = 0.0  # the lease taken now ends at once: the next request asks again
    assert await _admitted(quota, 1) == 1
    count.seconds_left = 30.0
    assert await _admitted(quota, 1) == 1
    assert count.hits == {parse("300/minute").key_for("api", "disnaker-32-16"): 6}


async def test_each_client_has_leases_of_its_own() -> None:
    count = SharedCount()
    quota = _quota(count, "5/minute")
    assert await _admitted(quota, 6, client="a") == 5
    assert await _admitted(quota, 6, client="b") == 5
