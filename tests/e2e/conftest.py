"""End-to-end fixtures: the platform's gateway, demo clients' tokens, indicator polling."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from sinergi_local.platform import Platform
from sinergi_local.testing import CLIENT_LIMITS

Tokens = Callable[[str], Awaitable[dict[str, str]]]
ValueOf = Callable[..., Awaitable[float | None]]


@pytest.fixture(scope="session")
def demo(platform: Platform) -> dict[str, Any]:
    """The contents of ``demo-clients.json``."""
    data: dict[str, Any] = json.loads((platform.config.state_dir / "demo-clients.json").read_text())
    return data


@pytest.fixture(scope="session")
async def gateway(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=platform.config.gateway_url, timeout=30, limits=CLIENT_LIMITS
    ) as client:
        yield client


@pytest.fixture(scope="session")
def client_named(demo: dict[str, Any]) -> Callable[[str], dict[str, Any]]:
    def find(client_id: str) -> dict[str, Any]:
        return next(c for c in demo["clients"] if c["client_id"] == client_id)

    return find


@pytest.fixture(scope="session")
def auth(gateway: httpx.AsyncClient, client_named: Callable[[str], dict[str, Any]]) -> Tokens:
    """Authorization headers of a demo client, from the real token endpoint."""

    async def headers(client_id: str) -> dict[str, str]:
        client = client_named(client_id)
        response = await gateway.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": client["client_id"],
                "client_secret": client["client_secret"],
            },
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return headers


@pytest.fixture(scope="session")
def value_of(gateway: httpx.AsyncClient, auth: Tokens) -> ValueOf:
    """Read one indicator value through the gateway."""

    async def read(indicator: str, region: str, period: str) -> float | None:
        headers = await auth("kemnaker-pusdatin")
        response = await gateway.get(
            "/api/v1/indicators/values",
            params={"indicator": indicator, "region": region, "period": period},
            headers=headers,
        )
        assert response.status_code == 200, response.text
        values = response.json()["values"]
        assert len(values) == 1
        value: float | None = values[0]["value"]
        return value

    return read


async def _eventually(
    probe: Callable[[], Awaitable[Any]], expected: Any, *, timeout: float = 60.0
) -> Any:
    """Poll ``probe`` until it returns ``expected``; return the last value either way."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    value = await probe()
    while value != expected and loop.time() < deadline:
        await asyncio.sleep(0.1)
        value = await probe()
    return value


Eventually = Callable[..., Awaitable[Any]]


@pytest.fixture(scope="session")
def eventually() -> Eventually:
    """``await eventually(probe, expected)``: poll until the probe gives ``expected``."""
    return _eventually
