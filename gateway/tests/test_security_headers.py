"""Security headers on every answer of the gateway: its own, the upstreams' it relays, the
problems it makes, and even the answer to an unexpected error."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI

CSP_OF_ANSWERS = "default-src 'none'; frame-ancestors 'none'"


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _assert_secured(response: httpx.Response, *, cached: bool = False) -> None:
    headers = response.headers
    assert headers["x-content-type-options"] == "nosniff", response.url
    assert headers["x-frame-options"] == "DENY", response.url
    assert headers["referrer-policy"] == "no-referrer", response.url
    assert headers["content-security-policy"], response.url
    if not cached:
        assert headers["cache-control"] == "no-store", response.url
    # One of each, never repeated by the gateway on top of an upstream's.
    for name in ("x-content-type-options", "cache-control", "content-security-policy"):
        assert len(headers.get_list(name)) == 1, (response.url, name)


async def test_api_answers_and_problems_carry_the_headers(
    gateway: httpx.AsyncClient, regional_token: str, regional_client: dict[str, Any]
) -> None:
    answers = [
        await gateway.get("/api/v1/job-market/whoami", headers=_bearer(regional_token)),
        await gateway.get("/api/v1/job-market/job-seekers/JS-1", headers=_bearer(regional_token)),
        await gateway.post("/api/v1/job-market/echo/x", json={"a": 1}),
        await gateway.get("/api/v1/training/programs", headers=_bearer(regional_token)),
        await gateway.get("/nothing-here"),
        await gateway.get("/health"),
        await gateway.get("/openapi.json"),
        await gateway.get("/metrics"),
    ]
    assert [a.status_code for a in answers] == [200, 404, 401, 503, 404, 200, 200, 401]
    for response in answers:
        _assert_secured(response)
        assert response.headers["content-security-policy"] == CSP_OF_ANSWERS


async def test_token_answers_are_never_stored(
    gateway: httpx.AsyncClient, regional_client: dict[str, Any]
) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": regional_client["client_id"],
        "client_secret": regional_client["client_secret"],
    }
    issued = await gateway.post("/oauth/token", data=form)
    refused = await gateway.post("/oauth/token", data={**form, "client_secret": "wrong-secret-x"})
    assert (issued.status_code, refused.status_code) == (200, 401)
    for response in (issued, refused):
        _assert_secured(response)
        assert response.headers["pragma"] == "no-cache"


async def test_an_unexpected_error_is_answered_with_the_headers(
    gateway_app_for: Any, client_at: Any, make_settings: Any
) -> None:
    async with gateway_app_for(make_settings()) as app:
        assert isinstance(app, FastAPI)

        @app.get("/boom")
        async def boom() -> None:
            raise RuntimeError("a bug")

        # The app re-raises after answering (so that servers log it); the answer is what counts.
        async with client_at(app, raise_app_exceptions=False) as client:
            response = await client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    _assert_secured(response)
