"""Forwarding public API requests to the domain services.

The gateway checks the Bearer token (a bad or missing one never reaches a service) and the
client's API quota, then forwards method, path, query, body and end-to-end headers
unchanged, ``Authorization`` included: each service verifies the token again and applies its
scopes and regions. The upstream's answer (status, headers, body) comes back unchanged and
streamed. One request id (``X-Request-ID``, the caller's or a new one) is sent upstream and
returned to the caller.

Upstream connections are pooled, a pool per upstream (aiohttp: a proxied write cost the
gateway about 2.4 ms of CPU through httpx's pool and 0.7 ms through aiohttp's, on the same
loopback microbenchmark). A service may close a kept-alive connection just as the gateway sends
the next request on it (uvicorn does so after an application error), and that request, quite
possibly another client's, would fail without having been answered. Such a request (broken
before any answer, on a reused connection) is sent once more on a fresh connection: safe,
because every write is an upsert by ``external_id``. A request that breaks a connection of its
own is never sent again, whatever its method.

An answer of known length up to ``BUFFER_UP_TO`` is read whole and sent on as one body;
larger ones, and those of unknown length, are relayed as they arrive.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Iterable, Mapping
from types import SimpleNamespace
from typing import Any

import aiohttp
from fastapi import Request, Response
from fastapi.responses import StreamingResponse
from shared.auth import TokenVerifier, unauthorized
from shared.errors import ProblemError
from shared.tracing import inject
from starlette.background import BackgroundTask
from yarl import URL

from gateway.metrics import GatewayMetrics
from gateway.routes import resolve
from gateway.throttling import ApiQuota

log = logging.getLogger(__name__)

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

# RFC 9110 §7.6.1: these describe one connection, not the message, and are never forwarded.
HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "proxy-connection",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
    }
)
# Rewritten by this hop rather than copied: the upstream's host, the body length (the client
# sets it) and the request id (always exactly one).
_REQUEST_REPLACED = frozenset(
    {"host", "content-length", "x-request-id", "traceparent", "tracestate"}
)
# The gateway's server adds its own Date, Server and X-Request-ID to every response.
_RESPONSE_REPLACED = frozenset({"date", "server", "x-request-id"})


def _connection_listed(headers: Iterable[tuple[str, str]]) -> set[str]:
    listed: set[str] = set()
    for name, value in headers:
        if name.lower() == "connection":
            listed |= {token.strip().lower() for token in value.split(",") if token.strip()}
    return listed


def upstream_request_headers(
    headers: Iterable[tuple[str, str]],
    *,
    request_id: str,
    client_host: str | None,
    scheme: str,
    host: str | None,
) -> list[tuple[str, str]]:
    """The headers to send upstream: end-to-end ones, the request id and X-Forwarded-*."""
    headers = list(headers)
    dropped = HOP_BY_HOP | _REQUEST_REPLACED | _connection_listed(headers)
    result = [(name, value) for name, value in headers if name.lower() not in dropped]
    names = {name.lower() for name, _ in result}
    forwarded_for = next((v for n, v in result if n.lower() == "x-forwarded-for"), None)
    if client_host:
        result = [(n, v) for n, v in result if n.lower() != "x-forwarded-for"]
        chain = f"{forwarded_for}, {client_host}" if forwarded_for else client_host
        result.append(("x-forwarded-for", chain))
    # A load balancer in front of the gateway knows the original scheme and host better.
    if "x-forwarded-proto" not in names:
        result.append(("x-forwarded-proto", scheme))
    if host and "x-forwarded-host" not in names:
        result.append(("x-forwarded-host", host))
    result.append(("x-request-id", request_id))
    # The trace continues from the gateway's own span (which continued the caller's).
    context: dict[str, str] = {}
    inject(context)
    result += list(context.items())
    return result


def caller_response_headers(headers: Iterable[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The upstream's response headers minus hop-by-hop ones and those the gateway sets."""
    headers = list(headers)
    listed = _connection_listed((n.decode("latin-1"), v.decode("latin-1")) for n, v in headers)
    dropped = HOP_BY_HOP | _RESPONSE_REPLACED | listed
    return [
        (name, value) for name, value in headers if name.decode("latin-1").lower() not in dropped
    ]


def _bearer_token(authorization: str | None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized("a Bearer token is required (POST /oauth/token)")
    return token.strip()


# How a request breaks when the server closed its connection while the request was on the way
# (``ClientConnectorError``, also a ``ClientOSError``, never reached a server: not one of them).
CONNECTION_BROKEN = (aiohttp.ServerDisconnectedError, aiohttp.ClientOSError)

BUFFER_UP_TO = 256 * 1024
"""Answers of known length up to this are read whole and sent on in one piece."""

# Headers aiohttp would add of its own accord: the upstream sees the caller's, no others.
_NOT_ADDED = ("User-Agent", "Accept", "Accept-Encoding", "Content-Type")
# Below uvicorn's keep-alive timeout (5 s): the gateway lets an idle connection go first.
KEEPALIVE_SECONDS = 4.0


class ConnectionTrace:
    """One request's connection: a pooled one (``reused``) or one opened for it."""

    def __init__(self) -> None:
        self.reused = True


async def _connection_opened(
    session: aiohttp.ClientSession, context: SimpleNamespace, params: Any
) -> None:
    trace = context.trace_request_ctx
    if isinstance(trace, ConnectionTrace):
        trace.reused = False


def upstream_session(
    *, connections: int, keep_alive: bool, timeout: aiohttp.ClientTimeout
) -> aiohttp.ClientSession:
    """A pool of at most ``connections`` connections for proxied requests (kept alive
    between requests unless ``keep_alive`` is false: then each request opens its own).

    Create it on the running event loop (the gateway's lifespan); close it there.
    """
    config = aiohttp.TraceConfig()
    config.on_connection_create_start.append(_connection_opened)
    session = aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(
            limit=connections,
            force_close=not keep_alive,
            keepalive_timeout=KEEPALIVE_SECONDS if keep_alive else None,
        ),
        timeout=timeout,
        # Relayed as the upstream sent them: raw (still encoded) bytes, no cookies kept
        # between clients, no proxy variables meant for outbound internet traffic.
        auto_decompress=False,
        cookie_jar=aiohttp.DummyCookieJar(),
        skip_auto_headers=_NOT_ADDED,
        trust_env=False,
        trace_configs=[config],
    )
    # aiohttp sends an idempotent request again after *any* broken connection, its own
    # fresh one included; the rule here is narrower (``Proxy._send``), for every method.
    session._retry_connection = False
    return session


class Proxy:
    """Send one public request to the upstream its path routes to."""

    def __init__(
        self,
        *,
        pools: Mapping[str, aiohttp.ClientSession],
        fresh: aiohttp.ClientSession,
        upstreams: Mapping[str, str],
        verifier: TokenVerifier,
        metrics: GatewayMetrics,
        upload_timeout: aiohttp.ClientTimeout,
        quota: ApiQuota | None = None,
    ) -> None:
        """``pools``: each upstream's pool (``upstream_session``), by upstream name;
        ``fresh`` keeps no connection alive: a retry, or an import's streamed file, always
        gets a new one (``upload_timeout`` for the latter)."""
        self._pools = dict(pools)
        self._fresh = fresh
        self._upload_timeout = upload_timeout
        self._upstreams = {name: url.rstrip("/") for name, url in upstreams.items()}
        self._verifier = verifier
        self._metrics = metrics
        self._quota = quota

    async def forward(self, request: Request) -> Response:
        """Verify the caller's token and answer with the upstream's response."""
        route = resolve(request.url.path)
        if route is None:
            raise ProblemError(404, f"no API at {request.url.path}", kind="not-found")
        principal = self._verifier.verify(_bearer_token(request.headers.get("authorization")))
        if self._quota is not None:
            await self._quota.hit(principal.client_id)

        raw_path: bytes = request.scope.get("raw_path") or request.url.path.encode()
        query: bytes = request.scope.get("query_string", b"")
        target = self._upstreams[route.upstream] + raw_path.decode("latin-1")
        if query:
            target += "?" + query.decode("latin-1")
        # Sent byte for byte as the caller wrote it: a URL built from a plain string would be
        # normalized first, and ``/api/v1/job-market/%2e%2e/%2e%2e/metrics`` would reach the
        # service as ``/metrics``, a path no public prefix routes to.
        url = URL(target, encoded=True)
        headers = upstream_request_headers(
            request.headers.items(),
            request_id=request.state.request_id,
            client_host=request.client.host if request.client else None,
            scheme=request.url.scheme,
            host=request.headers.get("host"),
        )
        streamed = _is_large(request)
        try:
            if streamed:
                # An import's file: relayed as it arrives (never held here), on a connection
                # of its own (a streamed body cannot be sent twice), waiting for the staging.
                upstream = await self._fresh.request(
                    request.method,
                    url,
                    headers=headers,
                    data=request.stream(),
                    allow_redirects=False,
                    timeout=self._upload_timeout,
                )
            else:
                body = await request.body()
                upstream = await self._send(
                    route.upstream, request.method, url, headers=headers, body=body or None
                )
            length = upstream.content_length
            whole = await upstream.read() if length is not None and length <= BUFFER_UP_TO else None
        except (aiohttp.ClientConnectorError, aiohttp.ConnectionTimeoutError) as exc:
            self._failed(route.upstream, "unavailable", exc)
            raise ProblemError(
                503,
                f"the {route.upstream} service is not reachable; try again shortly",
                kind="upstream-unavailable",
                title="Service unavailable",
                headers={"Retry-After": "5"},
            ) from exc
        except TimeoutError as exc:  # aiohttp's read timeouts are TimeoutErrors too
            self._failed(route.upstream, "timeout", exc)
            raise ProblemError(
                504,
                f"the {route.upstream} service did not answer in time; the request may or may "
                "not have been applied (writes are upserts: repeating it is safe)",
                kind="upstream-timeout",
                title="Gateway timeout",
            ) from exc
        except aiohttp.ClientError as exc:
            self._failed(route.upstream, "broken", exc)
            raise ProblemError(
                502,
                f"the {route.upstream} service broke off the exchange",
                kind="bad-gateway",
                title="Bad gateway",
            ) from exc

        response: Response
        if whole is not None:
            response = Response(whole, status_code=upstream.status)
        else:

            async def body_chunks() -> AsyncIterator[bytes]:
                try:
                    async for chunk in upstream.content.iter_any():
                        yield chunk
                finally:
                    upstream.release()

            async def release() -> None:
                # Also when the caller left before the body began (the chunks never ran). An
                # async function: Starlette would run a plain one in a worker thread. A body
                # not read to its end closes its connection rather than going back to the pool.
                upstream.release()

            response = StreamingResponse(
                body_chunks(), status_code=upstream.status, background=BackgroundTask(release)
            )
        # Raw (still encoded) bytes are relayed, so Content-Length and Content-Encoding stay
        # true; raw_headers keeps repeated headers such as Set-Cookie.
        response.raw_headers = caller_response_headers(upstream.raw_headers)
        return response

    async def _send(
        self,
        upstream: str,
        method: str,
        url: URL,
        *,
        headers: list[tuple[str, str]],
        body: bytes | None,
    ) -> aiohttp.ClientResponse:
        """Send on a pooled connection; once more on a fresh one if a reused one broke."""
        trace = ConnectionTrace()
        try:
            return await self._pools[upstream].request(
                method,
                url,
                headers=headers,
                data=body,
                allow_redirects=False,
                trace_request_ctx=trace,
            )
        except CONNECTION_BROKEN as exc:
            # On a connection of its own the request itself broke the exchange: no retry.
            if not trace.reused or isinstance(exc, aiohttp.ClientConnectorError):
                raise
            self._metrics.upstream_retries.labels(upstream).inc()
            log.info("upstream %s dropped a reused connection (%r); sending again", upstream, exc)
        return await self._fresh.request(
            method, url, headers=headers, data=body, allow_redirects=False
        )

    def _failed(self, upstream: str, reason: str, exc: Exception) -> None:
        self._metrics.upstream_errors.labels(upstream, reason).inc()
        log.warning("upstream %s %s: %r", upstream, reason, exc)


IMPORTS_SUFFIX = "/imports"
"""Paths ending so take an import job's file (a larger body limit, relayed as a stream)."""
STREAM_ABOVE_BYTES = 1024 * 1024


def _is_large(request: Request) -> bool:
    """Is the body too large to buffer (or of unknown length) on an import path?"""
    if request.method != "POST" or not request.url.path.endswith(IMPORTS_SUFFIX):
        return False
    length = request.headers.get("content-length")
    return length is None or not length.isdigit() or int(length) > STREAM_ABOVE_BYTES


async def proxy_endpoint(request: Request) -> Response:
    """The endpoint of every routed prefix."""
    proxy: Proxy = request.app.state.proxy
    return await proxy.forward(request)
