"""HTTP protections every Sinergi app can share: security headers, a request-body limit, and
who may read ``/metrics``.

- :class:`SecurityHeadersMiddleware` gives every answer that does not set them itself
  ``X-Content-Type-Options: nosniff``, ``X-Frame-Options: DENY``, ``Referrer-Policy:
  no-referrer``, a ``Content-Security-Policy`` under which an answer loads nothing and is
  framed by nobody (an HTML page sets its own), and ``Cache-Control: no-store``: answers
  carry personal data and tokens, which no browser or proxy may keep. Paths under
  ``cacheable_prefixes`` (static assets) are left to the usual caching.
- :class:`BodyLimitMiddleware` answers 413 to a body larger than the limit of its path: at
  once when ``Content-Length`` says so, otherwise as soon as the chunks received so far pass
  it, so an oversized body is never held in memory.
- :data:`metrics_reader` is the dependency that admits to ``/metrics`` only tokens with the
  scope ``metrics:read``.

All are pure ASGI, so they see every answer, streamed ones included.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.auth import RequireScope
from shared.errors import ProblemError, problem_response

METRICS_READ = "metrics:read"
metrics_reader = RequireScope(METRICS_READ)

# A JSON answer needs to load nothing, and no page may frame it.
API_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"
SECURITY_HEADERS: tuple[tuple[bytes, bytes], ...] = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", API_CONTENT_SECURITY_POLICY.encode()),
)
NO_STORE: tuple[bytes, bytes] = (b"cache-control", b"no-store")


def _under(path: str, prefix: str) -> bool:
    base = prefix.rstrip("/")
    return path == base or path.startswith(base + "/")


class SecurityHeadersMiddleware:
    """Add the security headers an answer lacks; the app's own values win."""

    def __init__(self, app: ASGIApp, *, cacheable_prefixes: Sequence[str] = ()) -> None:
        self.app = app
        self.cacheable_prefixes = tuple(cacheable_prefixes)

    def headers_for(self, path: str) -> tuple[tuple[bytes, bytes], ...]:
        """The headers an answer at ``path`` must carry."""
        if any(_under(path, prefix) for prefix in self.cacheable_prefixes):
            return SECURITY_HEADERS
        return (*SECURITY_HEADERS, NO_STORE)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        wanted = self.headers_for(scope["path"])

        async def send_secured(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {bytes(name).lower() for name, _ in headers}
                headers += [(name, value) for name, value in wanted if name not in present]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_secured)


class BodyTooLarge(ProblemError):
    """A request body past the limit of its path (413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(
            413,
            f"the request body is larger than {limit} bytes",
            kind="content-too-large",
            title="Content too large",
        )
        self.limit = limit


def _content_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    for name, value in headers:
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None  # the server refuses a malformed length itself
    return None


class BodyLimitMiddleware:
    """Refuse request bodies larger than ``default`` bytes, or than the limit of the path's
    ending in ``by_suffix`` (``/imports``: every upload of an import job), or of the longest
    prefix in ``by_prefix`` that the path falls under."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        default: int,
        by_prefix: Mapping[str, int] | None = None,
        by_suffix: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.default = default
        self.by_prefix = sorted((by_prefix or {}).items(), key=lambda item: -len(item[0]))
        self.by_suffix = dict(by_suffix or {})

    def limit_for(self, path: str) -> int:
        """The largest body accepted at ``path``."""
        for suffix, limit in self.by_suffix.items():
            if path.endswith(suffix):
                return limit
        return next(
            (limit for prefix, limit in self.by_prefix if _under(path, prefix)), self.default
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.limit_for(scope["path"])
        declared = _content_length(scope["headers"])
        if declared is not None and declared > limit:
            await self._refuse(scope, receive, send, BodyTooLarge(limit))
            return
        received = 0
        overflow: BodyTooLarge | None = None
        started = replaced = False

        async def counting_receive() -> Message:
            nonlocal received, overflow
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    overflow = BodyTooLarge(limit)
                    raise overflow
            return message

        async def guarded_send(message: Message) -> None:
            nonlocal started, replaced
            if replaced:
                return
            if overflow is not None and not started:
                # The app answered a body it could not read (FastAPI turns any error while
                # reading into a 400): the answer is this 413, and the app's is dropped.
                started = replaced = True
                await self._refuse(scope, receive, send, overflow)
                return
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, guarded_send)
        except BodyTooLarge as exc:
            if started:
                raise
            await self._refuse(scope, receive, send, exc)

    @staticmethod
    async def _refuse(scope: Scope, receive: Receive, send: Send, exc: BodyTooLarge) -> None:
        response = problem_response(
            Request(scope), exc.status, exc.detail, kind=exc.kind, title=exc.title
        )
        await response(scope, receive, send)
