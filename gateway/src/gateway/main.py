"""Composition root of the gateway: ``create_app(settings)`` wires everything.

Run with ``uvicorn --factory gateway.main:create_app --port 8000``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import aiohttp
import httpx
from fastapi import FastAPI
from limits.errors import StorageError
from shared.auth import TokenIssuer, TokenVerifier
from shared.db import create_engine, session_factory
from shared.errors import install_problem_handlers
from shared.http_security import BodyLimitMiddleware, SecurityHeadersMiddleware
from shared.logs import configure_logging
from shared.service import RequestIdMiddleware
from shared.tracing import configure_tracing
from starlette.types import ASGIApp

from gateway import asyncapi, docs, health, metrics, oauth, openapi
from gateway.console import router as console
from gateway.limit_storage import PostgresStorage
from gateway.metrics import GatewayMetrics, MetricsMiddleware
from gateway.openapi import OpenApiAggregator
from gateway.proxy import IMPORTS_SUFFIX, METHODS, Proxy, proxy_endpoint, upstream_session
from gateway.routes import ROUTES
from gateway.settings import GatewaySettings
from gateway.streams.router import StreamHubs
from gateway.streams.router import router as streams_router
from gateway.throttling import ApiQuota, LoginThrottle
from gateway.webhooks.delivery import WebhookDelivery
from gateway.webhooks.router import router as subscriptions_router

log = logging.getLogger(__name__)

DESCRIPTION = """\
The public REST API of Sinergi, the national labour-data exchange.

1. Get a token: `POST /oauth/token` with `grant_type=client_credentials`, your `client_id`
   and `client_secret` (form body or HTTP Basic). The token carries your scopes and regions.
2. Call the API with `Authorization: Bearer <access_token>`.

Errors are RFC 9457 problem documents (`application/problem+json`), except at the token
endpoint, which answers RFC 6749 errors (`{"error": "invalid_client", ...}`).
"""


class GatewayApp(FastAPI):
    """The gateway's FastAPI app, with the security headers outside everything else, so that
    even an unexpected error's answer carries them."""

    # Swagger UI's packaged files may be cached; every other answer is no-store.
    cacheable_prefixes: tuple[str, ...] = (docs.ASSETS, "/dashboard/assets")

    def build_middleware_stack(self) -> ASGIApp:
        """Starlette's stack (error page, middleware, routes) inside the security headers."""
        return SecurityHeadersMiddleware(
            super().build_middleware_stack(), cacheable_prefixes=self.cacheable_prefixes
        )


def _upstream_client(settings: GatewaySettings, limits: httpx.Limits) -> httpx.AsyncClient:
    # trust_env=False: upstreams are addressed directly; HTTP(S)_PROXY variables meant for
    # outbound internet traffic must not capture service-to-service calls.
    return httpx.AsyncClient(
        timeout=httpx.Timeout(
            settings.upstream_timeout_seconds, connect=settings.upstream_connect_timeout_seconds
        ),
        limits=limits,
        follow_redirects=False,
        trust_env=False,
    )


async def _purge_rate_limits(storage: PostgresStorage, every: float) -> None:
    """Remove ended windows now and then (keys of unknown clients would otherwise pile up)."""
    while True:
        await asyncio.sleep(every)
        try:
            await storage.purge_expired()
        except StorageError as exc:
            log.warning("ended rate-limit windows not removed: %r", exc)


def create_app(settings: GatewaySettings | None = None) -> FastAPI:
    """Build the gateway app; connections are opened by its lifespan."""
    settings = settings or GatewaySettings()
    gateway_metrics = GatewayMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        # Other calls (the console's, the OpenAPI documents') share one pool.
        http = _upstream_client(
            settings, httpx.Limits(max_connections=100, max_keepalive_connections=20)
        )
        # Proxied requests: a pool per upstream, each of its own size (the settings' note).
        # A wait for a free connection counts in the connect timeout; the answer has the
        # upstream timeout between bytes.
        proxied = aiohttp.ClientTimeout(
            connect=settings.upstream_timeout_seconds,
            sock_connect=settings.upstream_connect_timeout_seconds,
            sock_read=settings.upstream_timeout_seconds,
        )
        pools = {
            name: upstream_session(
                connections=settings.upstream_max_connections, keep_alive=True, timeout=proxied
            )
            for name in settings.upstream_urls()
        }
        # Retries after a reused connection broke, and imports' files: never kept alive.
        fresh = upstream_session(connections=100, keep_alive=False, timeout=proxied)
        storage: PostgresStorage | None = None
        quota: ApiQuota | None = None
        login_throttle: LoginThrottle | None = None
        purge: asyncio.Task[None] | None = None
        if settings.rate_limit_enabled:
            storage = await PostgresStorage.connect(
                settings.database_url, timeout=settings.rate_limit_storage_timeout_seconds
            )
            quota = ApiQuota(storage=storage, limit=settings.limit("api"), metrics=gateway_metrics)
            login_throttle = LoginThrottle(
                storage=storage,
                per_client=settings.limit("token_failures_per_client"),
                per_address=settings.limit("token_failures_per_address"),
                metrics=gateway_metrics,
            )
            purge = asyncio.create_task(
                _purge_rate_limits(storage, settings.rate_limit_purge_seconds),
                name="rate-limit-purge",
            )
        verifier = TokenVerifier(
            public_key_pem=settings.jwt_public_key_path.read_bytes(),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
        app.state.settings = settings
        app.state.stream_hubs = stream_hubs = StreamHubs(
            settings, subscribers=gateway_metrics.stream_subscribers
        )
        webhooks = WebhookDelivery(engine=engine, settings=settings)
        if settings.webhooks_enabled:
            webhooks.start()
        app.state.webhooks = webhooks
        app.state.engine = engine
        app.state.sessions = session_factory(engine)
        app.state.http = http
        app.state.verifier = verifier
        app.state.rate_limits = storage
        app.state.login_throttle = login_throttle
        app.state.issuer = TokenIssuer(
            private_key_pem=settings.jwt_private_key_path.read_bytes(),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
        app.state.proxy = Proxy(
            pools=pools,
            fresh=fresh,
            upstreams=settings.upstream_urls(),
            verifier=verifier,
            metrics=gateway_metrics,
            quota=quota,
            upload_timeout=aiohttp.ClientTimeout(
                sock_connect=settings.upstream_connect_timeout_seconds,
                sock_read=settings.import_timeout_seconds,
            ),
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
            await stream_hubs.stop()
            await webhooks.stop()
            if purge is not None:
                purge.cancel()
                await asyncio.gather(purge, return_exceptions=True)
            if storage is not None:
                await storage.close()
            await http.aclose()
            for session in (fresh, *pools.values()):
                await session.close()
            await engine.dispose()

    app = GatewayApp(
        title="Sinergi API",
        description=DESCRIPTION,
        version="1.0.0",
        lifespan=lifespan,
        # Served by gateway.openapi instead: the document includes the upstreams' paths.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    configure_logging("gateway")
    configure_tracing("gateway")
    app.state.metrics = gateway_metrics
    install_problem_handlers(app)
    # The last added is the outermost: a refused body is still counted and has a request id.
    app.add_middleware(
        BodyLimitMiddleware,
        default=settings.body_limit_bytes,
        by_prefix=settings.body_limit_by_prefix,
        by_suffix={IMPORTS_SUFFIX: settings.import_body_limit_bytes},
    )
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(MetricsMiddleware, metrics=gateway_metrics)
    for router in (
        oauth.router,
        health.router,
        metrics.router,
        openapi.router,
        asyncapi.router,
        streams_router,
        subscriptions_router,
    ):
        app.include_router(router)
    docs.install(app)
    console.install(app)
    for route in ROUTES:
        for path in (route.prefix, route.prefix + "/{path:path}"):
            app.router.add_route(path, proxy_endpoint, methods=METHODS, include_in_schema=False)
    return app
