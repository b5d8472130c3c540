"""Throttling of failed ``POST /oauth/token`` attempts per client id and per source address,
counted in the gateway database shared by two gateway apps (replicas).

The first test runs on the defaults (20 failures within a minute). The others keep the count
of 20 but use a ten-minute window: each attempt costs an Argon2id verification (about a
second on a loaded 2-core machine), and their twenty-odd attempts must fall in one window.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from gateway.clients import upsert_client
from shared.db import create_engine, session_factory

FAILURES_ALLOWED = 20  # the default SINERGI_RATE_LIMIT_TOKEN_FAILURES_PER_* is 20/minute
LONG_WINDOW = f"{FAILURES_ALLOWED}/10 minutes"
CLIENTS = [f"disnaker-throttle-{n}" for n in range(4)]
SECRET = "throttle-test-secret-0123456789"


def _form(client_id: str, secret: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}


@pytest.fixture(scope="module")
async def throttle_clients(gateway_db: str) -> list[str]:
    """Registered clients that share the secret ``SECRET``."""
    engine = create_engine(gateway_db, pool_size=1)
    async with session_factory(engine)() as session:
        for client_id in CLIENTS:
            await upsert_client(
                session,
                client_id=client_id,
                client_secret=SECRET,
                name=client_id,
                regions=["32.16"],
                scopes=["job-market:read"],
            )
    await engine.dispose()
    return CLIENTS


@pytest.fixture(scope="module")
async def defaults(
    gateway_app_for: Any, make_settings: Any, throttle_clients: list[str]
) -> AsyncIterator[tuple[FastAPI, FastAPI]]:
    """Two gateway apps with the default limits on one database."""
    settings = make_settings()
    assert str(settings.limit("token_failures_per_client")) == "20 per 1 minute"
    assert str(settings.limit("token_failures_per_address")) == "20 per 1 minute"
    async with gateway_app_for(settings) as first, gateway_app_for(settings) as second:
        await first.state.rate_limits.reset()
        yield first, second


@pytest.fixture(scope="module")
async def replicas(
    gateway_app_for: Any, make_settings: Any, throttle_clients: list[str]
) -> AsyncIterator[tuple[FastAPI, FastAPI]]:
    """Two gateway apps allowing 20 failures per ten minutes, on one database."""
    settings = make_settings(
        rate_limit_token_failures_per_client=LONG_WINDOW,
        rate_limit_token_failures_per_address=LONG_WINDOW,
    )
    async with gateway_app_for(settings) as first, gateway_app_for(settings) as second:
        yield first, second


@pytest.fixture
async def fresh(replicas: tuple[FastAPI, FastAPI]) -> tuple[FastAPI, FastAPI]:
    """The replicas, with every window empty."""
    await replicas[0].state.rate_limits.reset()
    return replicas


def _assert_throttled(response: httpx.Response, *, window: int = 600) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["error"] == "temporarily_unavailable"
    assert "retry after" in response.json()["error_description"]
    assert 1 <= int(response.headers["retry-after"]) <= window
    assert response.headers["cache-control"] == "no-store"


async def test_twenty_wrong_secrets_then_429_even_for_the_right_secret(
    defaults: tuple[FastAPI, FastAPI], client_at: Any
) -> None:
    first, second = defaults
    target = CLIENTS[0]
    async with client_at(first, "198.51.100.10") as a, client_at(second, "198.51.100.11") as b:
        # Failures alternate between the replicas and two addresses: one count per client id.
        wrong = [
            await (a, b)[n % 2].post("/oauth/token", data=_form(target, f"wrong-secret-{n:04}"))
            for n in range(FAILURES_ALLOWED)
        ]
        right = await a.post("/oauth/token", data=_form(target, SECRET))
        elsewhere = await b.post("/oauth/token", data=_form(target, SECRET))
        other_client = await a.post("/oauth/token", data=_form(CLIENTS[1], SECRET))

    assert [r.status_code for r in wrong] == [401] * FAILURES_ALLOWED
    assert all(r.json()["error"] == "invalid_client" for r in wrong)
    for response in (right, elsewhere):
        _assert_throttled(response, window=60)
    assert "access_token" not in right.text
    # Neither address has 20 failures of its own: another client id is still served.
    assert other_client.status_code == 200


async def test_one_address_is_throttled_across_client_ids(
    fresh: tuple[FastAPI, FastAPI], client_at: Any
) -> None:
    first, second = fresh
    async with (
        client_at(first, "203.0.113.7") as attacker,
        client_at(second, "203.0.113.7") as attacker_via_second,
        client_at(first, "203.0.113.8") as neighbour,
    ):
        # One failure for each of twenty client ids (known and unknown ones): no client id
        # reaches its limit, the address does.
        ids = [
            *CLIENTS,
            *(f"guessed-client-{n:02}" for n in range(FAILURES_ALLOWED - len(CLIENTS))),
        ]
        wrong = [
            await (attacker, attacker_via_second)[n % 2].post(
                "/oauth/token", data=_form(client_id, "wrong-secret-0000")
            )
            for n, client_id in enumerate(ids)
        ]
        from_attacker = await attacker.post("/oauth/token", data=_form(CLIENTS[2], SECRET))
        from_neighbour = await neighbour.post("/oauth/token", data=_form(CLIENTS[2], SECRET))

    assert [r.status_code for r in wrong] == [401] * FAILURES_ALLOWED
    _assert_throttled(from_attacker)
    assert from_neighbour.status_code == 200


async def test_successful_logins_do_not_count(
    fresh: tuple[FastAPI, FastAPI], client_at: Any
) -> None:
    target = CLIENTS[3]
    async with client_at(fresh[0], "192.0.2.20") as client:
        statuses = []
        for n in range(FAILURES_ALLOWED - 1):
            statuses.append(
                (
                    await client.post("/oauth/token", data=_form(target, f"wrong-{n:04}x"))
                ).status_code
            )
            if n % 4 == 0:
                statuses.append(
                    (await client.post("/oauth/token", data=_form(target, SECRET))).status_code
                )
        twentieth = await client.post("/oauth/token", data=_form(target, "wrong-last-0000"))
        after = await client.post("/oauth/token", data=_form(target, SECRET))

    assert Counter(statuses) == {401: FAILURES_ALLOWED - 1, 200: 5}
    assert twentieth.status_code == 401
    _assert_throttled(after)


async def test_concurrent_guesses_cannot_overtake_the_count(
    fresh: tuple[FastAPI, FastAPI], client_at: Any
) -> None:
    first, second = fresh
    target = CLIENTS[1]
    async with client_at(first, "192.0.2.30") as a, client_at(second, "192.0.2.31") as b:
        answers = await asyncio.gather(
            *(
                (a, b)[n % 2].post("/oauth/token", data=_form(target, f"guess-{n:04}-secret"))
                for n in range(2 * FAILURES_ALLOWED)
            )
        )
    assert Counter(r.status_code for r in answers) == {401: FAILURES_ALLOWED, 429: FAILURES_ALLOWED}


async def test_requests_that_never_authenticate_are_not_counted(
    fresh: tuple[FastAPI, FastAPI], client_at: Any
) -> None:
    async with client_at(fresh[0], "192.0.2.40") as client:
        for _ in range(FAILURES_ALLOWED + 5):
            bad = await client.post("/oauth/token", data={"grant_type": "password"})
            assert bad.status_code == 400
        good = await client.post("/oauth/token", data=_form(CLIENTS[0], SECRET))
    assert good.status_code == 200


async def test_the_lockout_ends_when_the_window_passes(
    gateway_app_for: Any, client_at: Any, make_settings: Any, throttle_clients: list[str]
) -> None:
    # One failure per 5 seconds: the window is far longer than one (Argon2id) verification.
    settings = make_settings(
        rate_limit_token_failures_per_client="1/5 seconds",
        rate_limit_token_failures_per_address="100/minute",
    )
    target = CLIENTS[2]
    async with gateway_app_for(settings) as app, client_at(app, "192.0.2.50") as client:
        await app.state.rate_limits.reset()
        wrong = await client.post("/oauth/token", data=_form(target, "wrong-0000-x"))
        assert wrong.status_code == 401
        locked = await client.post("/oauth/token", data=_form(target, SECRET))
        assert locked.status_code == 429
        assert int(locked.headers["retry-after"]) <= 5

        deadline = time.monotonic() + 10
        while (
            answer := await client.post("/oauth/token", data=_form(target, SECRET))
        ).status_code == 429:
            assert time.monotonic() < deadline, "the lockout did not end"
            await asyncio.sleep(0.1)
    assert answer.status_code == 200


async def test_a_throttle_without_its_database_refuses_with_503(
    gateway_app_for: Any, client_at: Any, make_settings: Any, throttle_clients: list[str]
) -> None:
    async with gateway_app_for(make_settings()) as app, client_at(app, "192.0.2.60") as client:
        await app.state.rate_limits.close()
        response = await client.post("/oauth/token", data=_form(CLIENTS[0], SECRET))
    assert response.status_code == 503
    assert response.json()["error"] == "temporarily_unavailable"
    assert response.headers["retry-after"] == "5"
