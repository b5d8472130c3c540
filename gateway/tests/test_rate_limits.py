"""Per-client API quotas at the gateway, counted in the gateway database: two gateway apps on
one database (two replicas) share each client's count."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
from fastapi import FastAPI
from gateway.clients import upsert_client
from shared.db import create_engine, session_factory

ECHO = "/api/v1/job-market/echo/x"
OTHER_ID = "disnaker-32-73"
OTHER_SECRET = "other-regional-secret-0123"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def _token(client: httpx.AsyncClient, client_id: str, secret: str) -> str:
    response = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret},
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


async def _register_other(gateway_db: str) -> None:
    engine = create_engine(gateway_db, pool_size=1)
    async with session_factory(engine)() as session:
        await upsert_client(
            session,
            client_id=OTHER_ID,
            client_secret=OTHER_SECRET,
            name="Disnaker Kota Bandung",
            regions=["32.73"],
            scopes=["job-market:read"],
        )
    await engine.dispose()


async def _reset_limits(app: FastAPI) -> None:
    await app.state.rate_limits.reset()


async def test_a_clients_quota_is_shared_by_two_gateway_replicas(
    gateway_app_for: Any,
    client_at: Any,
    make_settings: Any,
    upstream: Any,
    gateway_db: str,
    regional_client: dict[str, Any],
) -> None:
    stub, served = upstream
    await _register_other(gateway_db)
    settings = make_settings(upstreams={"job_market": served.url}, rate_limit_api="5/minute")
    async with (
        gateway_app_for(settings) as first_app,
        gateway_app_for(settings) as second_app,
        client_at(first_app) as first,
        client_at(second_app) as second,
    ):
        await _reset_limits(first_app)
        token = await _token(first, regional_client["client_id"], regional_client["client_secret"])
        other = await _token(second, OTHER_ID, OTHER_SECRET)

        answers = [await (first, second)[i % 2].get(ECHO, headers=_bearer(token)) for i in range(5)]
        assert [a.status_code for a in answers] == [200] * 5
        received = len(stub.received)

        refused = [await replica.get(ECHO, headers=_bearer(token)) for replica in (second, first)]
        # Another client's quota is its own.
        others = await first.get(ECHO, headers=_bearer(other))

    for response in refused:
        assert response.status_code == 429
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == 429
        assert problem["type"].endswith("/rate-limited")
        assert problem["title"] == "Too many requests"
        assert 1 <= int(response.headers["retry-after"]) <= 60
        assert response.headers["x-request-id"]
        assert response.headers["cache-control"] == "no-store"
    # Refused requests never reached the upstream.
    assert len(stub.received) == received + 1
    assert others.status_code == 200


async def test_the_quota_opens_again_when_the_window_ends(
    gateway_app_for: Any,
    client_at: Any,
    make_settings: Any,
    upstream: Any,
    regional_token: str,
) -> None:
    _, served = upstream
    settings = make_settings(upstreams={"job_market": served.url}, rate_limit_api="2/2 seconds")
    async with gateway_app_for(settings) as app, client_at(app) as client:
        await _reset_limits(app)
        assert (await client.get(ECHO, headers=_bearer(regional_token))).status_code == 200
        assert (await client.get(ECHO, headers=_bearer(regional_token))).status_code == 200
        refused = await client.get(ECHO, headers=_bearer(regional_token))
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) <= 2

        deadline = time.monotonic() + 10
        while (await client.get(ECHO, headers=_bearer(regional_token))).status_code == 429:
            assert time.monotonic() < deadline, "the quota did not open again"
            await asyncio.sleep(0.1)


async def test_requests_without_a_valid_token_use_no_quota(
    gateway_app_for: Any,
    client_at: Any,
    make_settings: Any,
    upstream: Any,
    regional_token: str,
) -> None:
    _, served = upstream
    settings = make_settings(upstreams={"job_market": served.url}, rate_limit_api="2/minute")
    async with gateway_app_for(settings) as app, client_at(app) as client:
        await _reset_limits(app)
        for _ in range(5):
            assert (await client.get(ECHO, headers=_bearer("forged.token.x"))).status_code == 401
        statuses = [
            (await client.get(ECHO, headers=_bearer(regional_token))).status_code for _ in range(3)
        ]
    assert statuses == [200, 200, 429]


async def test_without_its_database_the_quota_lets_requests_through(
    gateway_app_for: Any,
    client_at: Any,
    make_settings: Any,
    upstream: Any,
    regional_token: str,
    metrics_token: str,
) -> None:
    _, served = upstream
    settings = make_settings(upstreams={"job_market": served.url}, rate_limit_api="1/minute")
    async with gateway_app_for(settings) as app, client_at(app) as client:
        # The rate-limit pool goes away, as when the gateway database stops answering.
        await app.state.rate_limits.close()
        statuses = [
            (await client.get(ECHO, headers=_bearer(regional_token))).status_code for _ in range(3)
        ]
        metrics = (await client.get("/metrics", headers=_bearer(metrics_token))).text
    assert statuses == [200, 200, 200]
    assert "sinergi_gateway_rate_limit_storage_errors_total 3.0" in metrics


async def test_disabled_rate_limits_count_nothing(
    gateway_app_for: Any,
    client_at: Any,
    make_settings: Any,
    upstream: Any,
    regional_token: str,
) -> None:
    _, served = upstream
    settings = make_settings(
        upstreams={"job_market": served.url}, rate_limit_api="1/minute", rate_limit_enabled=False
    )
    async with gateway_app_for(settings) as app, client_at(app) as client:
        statuses = [
            (await client.get(ECHO, headers=_bearer(regional_token))).status_code for _ in range(3)
        ]
        assert app.state.rate_limits is None
    assert statuses == [200, 200, 200]
