"""Composition of a domain service's FastAPI app: the parts every service shares.

``create_service_app`` wires settings, the database engine, JWT verification, RFC 9457 errors,
request ids, ``/health`` and ``/metrics``, and runs the outbox relay beside the API so that
events leave as soon as their transaction commits. ``answer_write`` is how every upsert
endpoint answers.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from typing import Annotated, Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, Request, Response, status
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.auth import TokenVerifier
from shared.db import create_engine, session_factory
from shared.errors import install_problem_handlers
from shared.outbox import OutboxRelay
from shared.records import Change, WriteResult
from shared.settings import Settings

log = logging.getLogger(__name__)

REQUEST_ID = "x-request-id"


class RequestIdMiddleware:
    """Carry ``X-Request-ID`` from the caller (or the gateway) into the response and logs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        request_id = headers.get(REQUEST_ID.encode(), b"").decode() or str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (REQUEST_ID.encode(), request_id.encode()),
                ]
            await send(message)

        await self.app(scope, receive, send_with_id)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One database session per request."""
    async with request.app.state.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]


def wake_relay(request: Request) -> None:
    """Tell the relay a transaction just committed events (publish without waiting)."""
    relay: OutboxRelay | None = getattr(request.app.state, "relay", None)
    if relay is not None:
        relay.wake()


def answer_write(result: WriteResult, *, request: Request, response: Response) -> WriteResult:
    """Answer an upsert: 201 for a new record, else 200; wake the relay for its events."""
    if result.change is not Change.CREATED:
        response.status_code = status.HTTP_200_OK
    wake_relay(request)
    return result


def create_service_app(
    *,
    name: str,
    title: str,
    description: str,
    settings: Settings,
    routers: Sequence[APIRouter],
    outbox: sa.Table | None,
    background: Sequence[Callable[[FastAPI], Coroutine[Any, Any, None]]] = (),
) -> FastAPI:
    """Build a service app; ``background`` coroutines run for the app's lifetime."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        app.state.settings = settings
        app.state.engine = engine
        app.state.sessions = session_factory(engine)
        app.state.verifier = TokenVerifier(
            public_key_pem=settings.jwt_public_key_path.read_bytes(),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )
        tasks: list[asyncio.Task[None]] = []
        relay: OutboxRelay | None = None
        if outbox is not None and settings.relay_enabled:
            relay = OutboxRelay(
                engine=engine,
                table=outbox,
                bootstrap=settings.kafka_bootstrap,
                client_id=f"sinergi-{name}-relay",
                poll_seconds=settings.outbox_poll_seconds,
            )
            app.state.relay = relay
            tasks.append(asyncio.create_task(relay.run(), name=f"{name}-relay"))
        tasks += [asyncio.create_task(job(app)) for job in background]
        try:
            yield
        finally:
            if relay is not None:
                await relay.stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await engine.dispose()

    app = FastAPI(title=title, description=description, version="1.0.0", lifespan=lifespan)
    install_problem_handlers(app)
    app.add_middleware(RequestIdMiddleware)
    for router in routers:
        app.include_router(router)

    @app.get("/health", include_in_schema=False)
    async def health(request: Request) -> dict[str, str]:
        async with request.app.state.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
        return {"status": "ok", "service": name}

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> PlainTextResponse:
        return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
