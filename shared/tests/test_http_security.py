"""The shared HTTP protections: security headers, the body limit, and ``/metrics`` of a domain
service behind the ``metrics:read`` scope."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
from fastapi import FastAPI
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel
from shared.auth import TokenIssuer
from shared.errors import install_problem_handlers
from shared.http_security import BodyLimitMiddleware, SecurityHeadersMiddleware
from shared.service import create_service_app
from shared.settings import Settings


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://app")


def _headed_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(SecurityHeadersMiddleware, cacheable_prefixes=("/static",))

    @app.get("/records")
    async def records() -> dict[str, str]:
        return {"nik": "not really"}

    @app.get("/own")
    async def own() -> JSONResponse:
        return JSONResponse(
            {}, headers={"Cache-Control": "private, max-age=5", "Content-Security-Policy": "x"}
        )

    @app.get("/static/app.js")
    async def asset() -> JSONResponse:
        return JSONResponse({})

    @app.get("/stream")
    async def stream() -> StreamingResponse:
        async def parts() -> AsyncIterator[bytes]:
            yield b"a"
            yield b"b"

        return StreamingResponse(parts(), media_type="text/plain")

    return app


async def test_every_answer_gets_the_security_headers_it_lacks() -> None:
    async with _client(_headed_app()) as client:
        records = await client.get("/records")
        streamed = await client.get("/stream")
        missing = await client.get("/nowhere")
    for response in (records, streamed, missing):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["content-security-policy"] == (
            "default-src 'none'; frame-ancestors 'none'"
        )
        assert response.headers["cache-control"] == "no-store"
    assert streamed.text == "ab"


async def test_the_apps_own_headers_win_and_cacheable_paths_keep_their_caching() -> None:
    async with _client(_headed_app()) as client:
        own = await client.get("/own")
        asset = await client.get("/static/app.js")
    assert own.headers.get_list("cache-control") == ["private, max-age=5"]
    assert own.headers.get_list("content-security-policy") == ["x"]
    assert own.headers["x-content-type-options"] == "nosniff"
    assert "cache-control" not in asset.headers
    assert asset.headers["x-content-type-options"] == "nosniff"


class Body(BaseModel):
    text: str


def _limited_app() -> FastAPI:
    app = FastAPI()
    install_problem_handlers(app)
    app.add_middleware(BodyLimitMiddleware, default=100, by_prefix={"/big": 1000, "/big/x": 10})

    @app.post("/echo")
    async def echo(body: Body) -> Body:
        return body

    return app


async def test_a_parsed_body_past_the_limit_is_413_not_the_parsers_400() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        yield b'{"text": "'
        for _ in range(20):
            yield b"0123456789"
        yield b'"}'

    async with _client(_limited_app()) as client:
        streamed = await client.post(
            "/echo", content=chunks(), headers={"content-type": "application/json"}
        )
        declared = await client.post("/echo", json={"text": "x" * 200})
        fits = await client.post("/echo", json={"text": "x" * 50})
    for response in (streamed, declared):
        assert response.status_code == 413
        assert response.headers["content-type"] == "application/problem+json"
        assert response.json()["detail"] == "the request body is larger than 100 bytes"
    assert fits.status_code == 200
    assert fits.json() == {"text": "x" * 50}


def test_the_longest_matching_prefix_sets_the_limit() -> None:
    middleware = BodyLimitMiddleware(
        _limited_app(), default=100, by_prefix={"/big": 1000, "/big/x": 10}
    )
    assert middleware.limit_for("/echo") == 100
    assert middleware.limit_for("/big") == 1000
    assert middleware.limit_for("/big/y") == 1000
    assert middleware.limit_for("/big/x/1") == 10
    assert middleware.limit_for("/bigger") == 100


async def test_service_metrics_need_the_metrics_read_scope(jwt_keys: tuple[Path, Path]) -> None:
    settings = Settings(
        environment="test",
        database_url="postgresql://nobody@127.0.0.1:9/none",  # /metrics never touches it
        jwt_private_key_path=jwt_keys[0],
        jwt_public_key_path=jwt_keys[1],
        relay_enabled=False,
    )
    app = create_service_app(
        name="probe", title="probe", description="", settings=settings, routers=[], outbox=None
    )
    issuer = TokenIssuer(
        private_key_pem=jwt_keys[0].read_bytes(),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )

    def bearer(*scopes: str) -> dict[str, str]:
        token = issuer.issue(client_id="probe", scopes=scopes, regions=["*"], ttl=60)
        return {"Authorization": f"Bearer {token}"}

    async with app.router.lifespan_context(app), _client(app) as client:
        anonymous = await client.get("/metrics")
        api_only = await client.get("/metrics", headers=bearer("job-market:read"))
        monitor = await client.get("/metrics", headers=bearer("metrics:read"))
    assert anonymous.status_code == 401
    assert api_only.status_code == 403
    assert monitor.status_code == 200
    assert "python_info" in monitor.text
    for response in (anonymous, api_only, monitor):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"
