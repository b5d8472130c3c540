"""The request-body limit at the gateway: 413 problems for bodies past the limit of their
path, decided from Content-Length or while a chunked body streams in."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

LIMIT = 1024
BIG_PREFIX = "/api/v1/job-market/echo/imports"
BIG_LIMIT = 4096


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module")
async def limited(
    gateway_for: Any, make_settings: Any, upstream: Any
) -> AsyncIterator[httpx.AsyncClient]:
    """A gateway accepting 1 KiB bodies, and 4 KiB under one prefix."""
    settings = make_settings(
        upstreams={"job_market": upstream[1].url},
        body_limit_bytes=LIMIT,
        body_limit_by_prefix={BIG_PREFIX: BIG_LIMIT},
    )
    async with gateway_for(settings) as client:
        yield client


def _assert_too_large(response: httpx.Response, limit: int) -> None:
    assert response.status_code == 413, response.text
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["status"] == 413
    assert problem["type"].endswith("/content-too-large")
    assert str(limit) in problem["detail"]
    assert response.headers["x-request-id"]
    assert response.headers["x-content-type-options"] == "nosniff"


async def test_a_declared_length_past_the_limit_is_413_and_reaches_no_upstream(
    limited: httpx.AsyncClient, upstream: Any, regional_token: str
) -> None:
    stub, _ = upstream
    before = len(stub.received)
    response = await limited.post(
        "/api/v1/job-market/echo/job-seekers",
        content=b"x" * (LIMIT + 1),
        headers={**_bearer(regional_token), "Content-Type": "application/json"},
    )
    _assert_too_large(response, LIMIT)
    assert len(stub.received) == before


async def test_a_chunked_body_is_cut_off_once_it_passes_the_limit(
    limited: httpx.AsyncClient, upstream: Any, regional_token: str
) -> None:
    stub, _ = upstream
    before = len(stub.received)
    sent = 0

    async def chunks() -> AsyncIterator[bytes]:
        nonlocal sent
        for _ in range(100):
            sent += 1
            yield b"y" * 300

    response = await limited.post(
        "/api/v1/job-market/echo/job-seekers",
        content=chunks(),
        headers={**_bearer(regional_token), "Content-Type": "application/json"},
    )
    _assert_too_large(response, LIMIT)
    assert len(stub.received) == before
    # Reading stopped at the chunk that passed 1 KiB: the rest was never pulled in.
    assert sent == 4


async def test_a_body_within_the_limit_is_forwarded_whole(
    limited: httpx.AsyncClient, upstream: Any, regional_token: str
) -> None:
    stub, _ = upstream

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(4):
            yield b"z" * (LIMIT // 4)

    for content in (b"w" * LIMIT, chunks()):
        response = await limited.post(
            "/api/v1/job-market/echo/job-seekers",
            content=content,
            headers={**_bearer(regional_token), "Content-Type": "application/json"},
        )
        assert response.status_code == 200, response.text
        assert len(stub.received[-1]["body"]) == LIMIT


async def test_a_prefix_may_have_a_larger_limit(
    limited: httpx.AsyncClient, upstream: Any, regional_token: str
) -> None:
    stub, _ = upstream
    accepted = await limited.post(
        BIG_PREFIX + "/batch-1",
        content=b"v" * BIG_LIMIT,
        headers=_bearer(regional_token),
    )
    assert accepted.status_code == 200
    assert len(stub.received[-1]["body"]) == BIG_LIMIT
    refused = await limited.post(
        BIG_PREFIX + "/batch-2", content=b"v" * (BIG_LIMIT + 1), headers=_bearer(regional_token)
    )
    _assert_too_large(refused, BIG_LIMIT)
    # A longer sibling of the prefix is not under it.
    sibling = await limited.post(
        BIG_PREFIX + "-x/1", content=b"v" * (LIMIT + 1), headers=_bearer(regional_token)
    )
    _assert_too_large(sibling, LIMIT)


async def test_the_token_endpoint_is_limited_too(
    limited: httpx.AsyncClient, regional_client: dict[str, Any]
) -> None:
    form = {
        "grant_type": "client_credentials",
        "client_id": regional_client["client_id"],
        "client_secret": regional_client["client_secret"],
        "scope": "job-market:read " * 200,
    }
    _assert_too_large(await limited.post("/oauth/token", data=form), LIMIT)


def test_the_default_limit_is_one_mebibyte(make_settings: Any) -> None:
    settings = make_settings()
    assert settings.body_limit_bytes == 1024 * 1024
    assert settings.body_limit_by_prefix == {}
