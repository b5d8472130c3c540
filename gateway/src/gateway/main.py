"""Composition root of the gateway: ``create_app(settings)`` wires everything.

Run with ``uvicorn --factory gateway.main:create_app --port 8000``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI
from shared.auth import TokenIssuer, TokenVerifier
from shared.db import create_engine, session_factory
from shared.errors import install_problem_handlers
from shared.service import RequestIdMiddleware

from gateway import health, metrics, oauth, openapi
from gateway.metrics import GatewayMetrics, MetricsMiddleware
from gateway.openapi import OpenApiAggregator
from gateway.proxy import METHODS, Proxy, proxy_endpoint
from gateway.routes import ROUTES
from gateway.settings import GatewaySettings

DESCRIPTION = """\
The public REST API of Sinergi, the national labour-data exchange.

1. Get a token: `POST /oauth/token` with `grant_type=client_credentials`, your `client_id`
   and `client_secret` (form body or HTTP Basic). The token carries your scopes and regions.
2. Call the API with `Authorization: Bearer <access_token>`.

Errors are RFC 9457 problem documents (`application/problem+json`), except at the token
endpoint, which answers RFC 6749 errors (`{"error": "invalid_client", ...}`).
"""


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    """Build the gateway app; connections are opened by its lifespan."""
    settings = settings or GatewaySettings()
    gateway_metrics = GatewayMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        # trust_env=False: upstreams are addressed directly; HTTP(S)_PROXY variables meant for
        # outbound internet traffic must not capture service-to-service calls.
        http = httpx.AsyncClient(
            timeout=httpx.Timeout(
                settings.upstream_timeout_seconds, connect=settings.upstream_connect_timeout_seconds
            ),
            limits=httpx.Limits(max_connections=500, max_keepalive_connections=100),
            follow_redirects=False,
            trust_env=False,
        )
        verifier = TokenVerifier(
            public_key_pem=settings.jwt_public_key_path.read_bytes(),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
        app.state.settings = settings
        app.state.engine = engine
        app.state.sessions = session_factory(engine)
        app.state.http = http
        app.state.verifier = verifier
        app.state.issuer = TokenIssuer(
            private_key_pem=settings.jwt_private_key_path.read_bytes(),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
        app.state.proxy = Proxy(
            client=http,
            upstreams=settings.upstream_urls(),
            verifier=verifier,
            metrics=gateway_metrics,
        )
        app.state.openapi = OpenApiAggregator(
            client=http,
            upstreams=settings.upstream_urls(),
            own=app.openapi,
            cache_seconds=settings.openapi_cache_seconds,
        )
        try:
            yield
        finally:
            await http.aclose()
            await engine.dispose()

    app = FastAPI(
        title="Sinergi API",
        description=DESCRIPTION,
        version="1.0.0",
        lifespan=lifespan,
        # Served by gateway.openapi instead: the document includes the upstreams' paths.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.metrics = gateway_metrics
    install_problem_handlers(app)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=gateway_metrics)
    for router in (oauth.router, health.router, metrics.router, openapi.router):
        app.include_router(router)
    for route in ROUTES:
        for path in (route.prefix, route.prefix + "/{path:path}"):
            app.router.add_route(path, proxy_endpoint, methods=METHODS, include_in_schema=False)
    return app
