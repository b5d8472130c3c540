"""Each upstream has a connection pool of its own, of ``upstream_max_connections``: requests
beyond it wait at the gateway, in order, and are answered; a busy upstream does not take the
connections another one needs."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from shared.auth import TokenIssuer

LIMIT = 2
REQUESTS = 8


class Concurrency:
    """How many requests an upstream is answering at once, and the most it ever was."""

    def __init__(self) -> None:
        self.now = 0
        self.most = 0


def slow_service(seen: Concurrency, prefix: str) -> FastAPI:
    """A service whose ``/slow`` takes 0.2 s and counts the requests it holds at once."""
    app = FastAPI()

    @app.get(f"/api/v1/{prefix}/slow")
    async def slow() -> dict[str, int]:
        seen.now += 1
        seen.most = max(seen.most, seen.now)
        try:
            await asyncio.sleep(0.2)
        finally:
            seen.now -= 1
        return {"most": seen.most}

    return app


@pytest.fixture(scope="module")
def bearer(jwt_keys: tuple[Path, Path]) -> dict[str, str]:
    issuer = TokenIssuer(
        private_key_pem=jwt_keys[0].read_bytes(), issuer="sinergi-gateway", audience="sinergi"
    )
    token = issuer.issue(
        client_id="pools-test",
        scopes=["job-market:read", "training:read"],
        regions=["32.16"],
        ttl=600,
    )
    return {"Authorization": f"Bearer {token}"}


async def test_requests_beyond_an_upstreams_pool_wait_and_another_upstream_is_not_held_up(
    gateway_for: Any, make_settings: Any, serve: Any, bearer: dict[str, str]
) -> None:
    job_market, training = Concurrency(), Concurrency()
    settings = make_settings(
        upstreams={
            "job_market": serve(slow_service(job_market, "job-market")).url,
            "training": serve(slow_service(training, "training")).url,
        },
        upstream_max_connections=LIMIT,
    )
    async with gateway_for(settings) as gateway:
        flood = [
            asyncio.create_task(gateway.get("/api/v1/job-market/slow", headers=bearer))
            for _ in range(REQUESTS)
        ]
        # The job market's pool is full for a while; training has a pool of its own.
        await asyncio.sleep(0.05)
        other = await gateway.get("/api/v1/training/slow", headers=bearer)
        assert other.status_code == 200
        assert not all(task.done() for task in flood)

        answers = await asyncio.gather(*flood)

    assert [a.status_code for a in answers] == [200] * REQUESTS
    assert job_market.most == LIMIT
    assert training.most == 1
