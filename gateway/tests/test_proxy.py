"""Proxying through the gateway to a real upstream served by uvicorn on a loopback port."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Response
from fastapi.responses import StreamingResponse
from gateway.proxy import BUFFER_UP_TO
from gateway.settings import GatewaySettings


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _headers(received: dict[str, Any]) -> dict[str, str]:
    return {name.lower(): value for name, value in received["headers"]}


async def test_method_path_query_body_and_headers_reach_the_upstream(
    gateway: httpx.AsyncClient, upstream: Any, regional_token: str
) -> None:
    stub, _ = upstream
    response = await gateway.request(
        "PATCH",
        "/api/v1/job-market/echo/job-seekers/JS-1?fields=id&fields=status&q=a%20b",
        content=b'{"status": "placed"}',
        headers={
            **_bearer(regional_token),
            "Content-Type": "application/json",
            "X-Request-ID": "req-42",
            "X-Client-Trace": "trace-7",
        },
    )

    assert response.status_code == 200
    assert response.json() == {"echoed": "job-seekers/JS-1"}
    assert response.headers["x-request-id"] == "req-42"
    seen = stub.received[-1]
    assert seen["method"] == "PATCH"
    assert seen["path"] == "/api/v1/job-market/echo/job-seekers/JS-1"
    assert seen["query"] == "fields=id&fields=status&q=a%20b"
    assert seen["body"] == '{"status": "placed"}'
    headers = _headers(seen)
    assert headers["authorization"] == f"Bearer {regional_token}"
    assert headers["x-request-id"] == "req-42"
    assert headers["x-client-trace"] == "trace-7"
    assert headers["content-type"] == "application/json"


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/api/v1/job-market/echo/%2e%2e/%2e%2e/%2e%2e/metrics", ""),
        ("/api/v1/job-market/echo/a%2Fb/%2E/c", "q=a+b&r=%2e%2e&s=%2F"),
        ("/api/v1/job-market/echo/x%20y", "name=Siti%20Aminah&name=Budi+S"),
    ],
)
async def test_path_and_query_reach_the_upstream_byte_for_byte(
    path: str, query: str, gateway: httpx.AsyncClient, upstream: Any, regional_token: str
) -> None:
    # No normalizing on the way: an encoded dot segment must not turn a public path into a
    # service's own route, and an encoded slash or plus must mean what the caller meant.
    stub, _ = upstream
    target = f"{path}?{query}" if query else path
    response = await gateway.get(target, headers=_bearer(regional_token))

    assert response.status_code == 200, response.text
    seen = stub.received[-1]
    assert (seen["raw_path"], seen["query_string"]) == (path, query)


async def test_request_id_is_generated_when_absent_and_shared_with_the_upstream(
    gateway: httpx.AsyncClient, upstream: Any, regional_token: str
) -> None:
    stub, _ = upstream
    response = await gateway.get("/api/v1/job-market/echo/x", headers=_bearer(regional_token))

    request_id = response.headers["x-request-id"]
    assert request_id
    assert response.headers.get_list("x-request-id") == [request_id]
    assert _headers(stub.received[-1])["x-request-id"] == request_id


async def test_hop_by_hop_headers_are_not_forwarded(
    gateway: httpx.AsyncClient, upstream: Any, regional_token: str
) -> None:
    stub, _ = upstream
    await gateway.get(
        "/api/v1/job-market/echo/x",
        headers={
            **_bearer(regional_token),
            "Connection": "keep-alive, X-Hop-Only",
            "X-Hop-Only": "1",
            "Proxy-Authorization": "Basic c2VjcmV0",
            "TE": "trailers",
        },
    )
    headers = _headers(stub.received[-1])
    assert "x-hop-only" not in headers
    assert "proxy-authorization" not in headers
    assert "te" not in headers


async def test_the_upstream_verifies_the_forwarded_token_itself(
    gateway: httpx.AsyncClient, regional_token: str, regional_client: dict[str, Any]
) -> None:
    response = await gateway.get("/api/v1/job-market/whoami", headers=_bearer(regional_token))
    assert response.status_code == 200
    assert response.json() == {"client_id": regional_client["client_id"], "regions": ["32.16"]}


async def test_upstream_status_and_problem_document_come_back_unchanged(
    gateway: httpx.AsyncClient, regional_token: str
) -> None:
    response = await gateway.get(
        "/api/v1/job-market/job-seekers/JS-404", headers=_bearer(regional_token)
    )
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json() == {
        "type": "https://sinergi.kemnaker.go.id/problems/not-found",
        "title": "Not found",
        "status": 404,
        "detail": "no job seeker JS-404",
        "instance": "/api/v1/job-market/job-seekers/JS-404",
    }


async def test_without_a_token_the_gateway_answers_401_and_the_upstream_sees_nothing(
    gateway: httpx.AsyncClient, upstream: Any
) -> None:
    stub, _ = upstream
    before = len(stub.received)
    missing = await gateway.post("/api/v1/job-market/echo/job-seekers", json={"a": 1})
    forged = await gateway.get(
        "/api/v1/job-market/echo/job-seekers", headers=_bearer("not.a.token")
    )

    for response in (missing, forged):
        assert response.status_code == 401
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["status"] == 401
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert len(stub.received) == before


async def test_upstream_down_is_503_problem(
    gateway: httpx.AsyncClient, regional_token: str
) -> None:
    # The training upstream of this gateway points at a port nobody listens on.
    response = await gateway.get("/api/v1/training/participants", headers=_bearer(regional_token))
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"].endswith("/upstream-unavailable")
    assert "training" in problem["detail"]
    assert response.headers["x-request-id"]


async def test_upstream_too_slow_is_504_problem(
    gateway_for: Any, make_settings: Any, upstream: Any, regional_token: str
) -> None:
    _, served = upstream
    settings: GatewaySettings = make_settings(
        upstreams={"job_market": served.url}, upstream_timeout_seconds=0.2
    )
    async with gateway_for(settings) as impatient:
        response = await impatient.get("/api/v1/job-market/slow", headers=_bearer(regional_token))
    assert response.status_code == 504
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/upstream-timeout")


async def test_unknown_path_is_404_problem(gateway: httpx.AsyncClient, regional_token: str) -> None:
    for path in ("/api/v1/job-marketplace", "/api/v2/indicators", "/nothing"):
        response = await gateway.get(path, headers=_bearer(regional_token))
        assert response.status_code == 404, path
        assert response.headers["content-type"] == "application/problem+json"


async def test_health_names_the_upstreams_that_answer(gateway: httpx.AsyncClient) -> None:
    response = await gateway.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["database"] == "up"
    assert body["upstreams"]["job_market"] == "up"
    assert body["upstreams"]["training"] == "down"
    assert body["status"] == "degraded"


async def test_metrics_count_requests_by_route_prefix_and_status(
    gateway: httpx.AsyncClient, regional_token: str, metrics_token: str
) -> None:
    await gateway.get("/api/v1/job-market/job-seekers/JS-9", headers=_bearer(regional_token))
    response = await gateway.get("/metrics", headers=_bearer(metrics_token))
    assert response.status_code == 200
    text = response.text
    assert (
        'sinergi_gateway_requests_total{method="GET",route="/api/v1/job-market",status="404"}'
        in text
    )
    assert 'sinergi_gateway_upstream_errors_total{reason="unavailable",upstream="training"}' in text


async def test_metrics_need_a_token_with_the_metrics_read_scope(
    gateway: httpx.AsyncClient, regional_token: str
) -> None:
    anonymous = await gateway.get("/metrics")
    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert anonymous.headers["www-authenticate"].startswith("Bearer")
    assert "sinergi_gateway" not in anonymous.text

    # The regional client holds API scopes, not metrics:read.
    regional = await gateway.get("/metrics", headers=_bearer(regional_token))
    assert regional.status_code == 403
    assert "metrics:read" in regional.json()["detail"]
    assert "sinergi_gateway" not in regional.text


async def test_health_stays_public(gateway: httpx.AsyncClient) -> None:
    assert (await gateway.get("/health")).status_code == 200


def answers_of_every_size() -> FastAPI:
    """An upstream answering a small body, one larger than the gateway buffers, and one of
    unknown length (chunked), each with a header of its own and a repeated Set-Cookie."""
    app = FastAPI()

    def headers() -> list[tuple[bytes, bytes]]:
        return [(b"x-from", b"upstream"), (b"set-cookie", b"a=1"), (b"set-cookie", b"b=2")]

    @app.get("/api/v1/job-market/sized/{size}")
    async def sized(size: int) -> Response:
        response = Response(_pattern(size), media_type="application/octet-stream")
        response.raw_headers += headers()
        return response

    @app.get("/api/v1/job-market/chunked/{size}")
    async def chunked(size: int) -> StreamingResponse:
        body = _pattern(size)

        async def pieces() -> AsyncIterator[bytes]:
            for start in range(0, size, 65_536):
                yield body[start : start + 65_536]

        response = StreamingResponse(pieces(), media_type="application/octet-stream")
        response.raw_headers += headers()
        return response

    return app


def _pattern(size: int) -> bytes:
    return bytes(i % 251 for i in range(size))


@pytest.mark.parametrize(
    "path",
    [
        "sized/100",
        f"sized/{BUFFER_UP_TO}",
        f"sized/{BUFFER_UP_TO + 1}",
        "sized/3000000",
        "chunked/10",
        "chunked/3000000",
    ],
)
async def test_answers_small_large_and_of_unknown_length_come_back_whole(
    path: str, gateway_for: Any, make_settings: Any, serve: Any, regional_token: str
) -> None:
    served = serve(answers_of_every_size())
    async with gateway_for(make_settings(upstreams={"job_market": served.url})) as gateway:
        response = await gateway.get(f"/api/v1/job-market/{path}", headers=_bearer(regional_token))

    assert response.status_code == 200
    assert response.content == _pattern(int(path.rpartition("/")[2]))
    assert response.headers["x-from"] == "upstream"
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]
    if path.startswith("sized"):
        assert response.headers["content-length"] == str(len(response.content))
