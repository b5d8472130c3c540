"""The gateway's Prometheus metrics: requests and latency by route prefix and status,
upstream failures and retries, refusals by the rate limits. ``/metrics`` answers only tokens
with the scope ``metrics:read``.

Each app gets its own registry (built in ``create_app``), so several apps in one process (the
tests) do not collide in prometheus-client's global registry.
"""

from __future__ import annotations

import time

from fastapi import APIRouter, Depends, Request
from fastapi.responses import PlainTextResponse
from opentelemetry.trace import SpanKind
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from shared.http_security import metrics_reader
from shared.tracing import span_from
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.routes import resolve

# The gateway's own paths are labelled as themselves; anything else that is not routed is
# "unmatched", so that scanners probing random paths cannot blow up the label cardinality.
OWN_PATHS = frozenset(
    {
        "/oauth/token",
        "/health",
        "/health/live",
        "/health/ready",
        "/metrics",
        "/openapi.json",
        "/docs",
        "/login",
        "/logout",
    }
)


def route_label(path: str) -> str:
    """The metric label of a request path: its route prefix, own path, or ``unmatched``."""
    route = resolve(path)
    if route is not None:
        return route.prefix
    if path.startswith("/docs/"):
        return "/docs"
    if path == "/dashboard" or path.startswith("/dashboard/"):
        return "/dashboard"
    return path if path in OWN_PATHS else "unmatched"


class GatewayMetrics:
    """The collectors of one gateway app."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
            self.registry.register(collector)
        self.requests = Counter(
            "sinergi_gateway_requests_total",
            "Requests answered by the gateway",
            ["route", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "sinergi_gateway_request_duration_seconds",
            "Time from request to the end of the response",
            ["route", "status"],
            registry=self.registry,
        )
        self.upstream_errors = Counter(
            "sinergi_gateway_upstream_errors_total",
            "Upstream requests that failed without an answer",
            ["upstream", "reason"],
            registry=self.registry,
        )
        self.upstream_retries = Counter(
            "sinergi_gateway_upstream_retries_total",
            "Requests sent again on a fresh connection after a reused one broke",
            ["upstream"],
            registry=self.registry,
        )
        self.throttled = Counter(
            "sinergi_gateway_throttled_total",
            "Requests refused by a rate limit (api: a client's quota; token: failed logins)",
            ["limit"],
            registry=self.registry,
        )
        self.stream_subscribers = Gauge(
            "sinergi_gateway_stream_subscribers",
            "Event streams (server-sent events) open on this gateway",
            registry=self.registry,
        )
        self.rate_limit_errors = Counter(
            "sinergi_gateway_rate_limit_storage_errors_total",
            "Rate-limit checks that failed because the database did not answer",
            registry=self.registry,
        )


class MetricsMiddleware:
    """Count and time every HTTP request by route prefix, method and status."""

    def __init__(self, app: ASGIApp, *, metrics: GatewayMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        route = route_label(scope["path"])
        with span_from(f"{scope['method']} {route}", headers, kind=SpanKind.SERVER) as span:
            try:
                await self.app(scope, receive, send_and_note)
            finally:
                span.set_attribute("http.response.status_code", status)
                self.metrics.requests.labels(route, scope["method"], str(status)).inc()
                self.metrics.latency.labels(route, str(status)).observe(
                    time.perf_counter() - started
                )


router = APIRouter()


@router.get("/metrics", include_in_schema=False, dependencies=[Depends(metrics_reader)])
async def metrics(request: Request) -> PlainTextResponse:
    """Prometheus exposition of this app's metrics (scope ``metrics:read``)."""
    registry: CollectorRegistry = request.app.state.metrics.registry
    return PlainTextResponse(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
