"""Composition of a domain service's FastAPI app: the parts every service shares.

``create_service_app`` wires settings, the database engine, JWT verification, RFC 9457 errors,
request ids, ``/health`` and ``/metrics``, and runs the outbox relay beside the API so that
events leave as soon as their transaction commits; with an ``audit_log`` table, also the audit
trail's listing for officers and its sealer. ``answer_write`` is how every upsert
endpoint answers. Every declared entity gets its ``DELETE`` (``shared.withdrawal``); with
``reporting``, the regions close and reopen months of the domain (``shared.reporting``).
"""

from __future__ import annotations

import asyncio
import functools
import gc
import logging
import re
import time
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI, Request, Response, status
from fastapi.responses import JSONResponse, PlainTextResponse
from opentelemetry.trace import SpanKind
from prometheus_client import CONTENT_TYPE_LATEST, Counter, Histogram, generate_latest
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import context
from shared.audit import trail
from shared.audit.chain import AuditSealer
from shared.audit.router import audit_router
from shared.auth import TokenVerifier
from shared.crypto import Keyring, use_keyring
from shared.db import create_engine, session_factory
from shared.entities import Entity
from shared.errors import install_problem_handlers
from shared.health import KafkaProbe, Status
from shared.http_security import SecurityHeadersMiddleware, metrics_reader
from shared.imports.router import imports_router
from shared.imports.table import ImportTables
from shared.imports.worker import ImportWorker
from shared.kafka import KafkaAccess
from shared.listing import refuse_unknown_query
from shared.logs import configure_logging
from shared.outbox import OutboxRelay, wake_relay
from shared.records import Change, WriteResult
from shared.reporting import ReportingPeriods, reporting_router
from shared.settings import Settings
from shared.tracing import configure_tracing, span_from
from shared.withdrawal import withdrawal_router

log = logging.getLogger(__name__)

REQUEST_ID = "x-request-id"


HTTP_REQUESTS = Counter(
    "sinergi_http_requests_total",
    "Requests a service answered, by route template, method and status",
    ["service", "route", "method", "status"],
)
HTTP_LATENCY = Histogram(
    "sinergi_http_request_duration_seconds",
    "Time from request to the end of the response, by route template and status",
    ["service", "route", "status"],
)


_CONVERTOR = re.compile(r":[a-z]+\}")  # "{id:uuid}" is labelled "{id}"


@functools.cache
def _freeze_start_up() -> None:
    """Once per process: what import and start-up built lives as long as the process, so it
    is moved out of the garbage collector's generations (after a collection, so no garbage
    goes with it); a full collection then no longer walks it, and the pauses that a large
    answer's allocations trigger stay short (the indicators' p99 at 10,000 values)."""
    gc.collect()
    gc.freeze()


class HttpMetricsMiddleware:
    """Count and time every request by its route's template (``/api/v1/job-market/job-seekers/
    {job_seeker_id}``): bounded labels, whatever the ids; ``unmatched`` when no route did."""

    def __init__(self, app: ASGIApp, *, service: str) -> None:
        self.app = app
        self.service = service

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
        with span_from(f"{scope['method']} {scope['path']}", headers, kind=SpanKind.SERVER) as span:
            try:
                await self.app(scope, receive, send_and_note)
            finally:
                template = getattr(scope.get("route"), "path", None)
                route = _CONVERTOR.sub("}", template) if template else "unmatched"
                span.update_name(f"{scope['method']} {route}")
                span.set_attribute("http.response.status_code", status)
                HTTP_REQUESTS.labels(self.service, route, scope["method"], str(status)).inc()
                HTTP_LATENCY.labels(self.service, route, str(status)).observe(
                    time.perf_counter() - started
                )


class RequestIdMiddleware:
    """Carry ``X-Request-ID`` from the caller (or the gateway) into the response and logs."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        request_id = _usable_id(headers.get(REQUEST_ID.encode(), b"")) or str(uuid.uuid4())
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (REQUEST_ID.encode(), request_id.encode()),
                ]
            await send(message)

        with context.serving(request_id):
            await self.app(scope, receive, send_with_id)


def _usable_id(raw: bytes) -> str | None:
    # A caller's id is echoed into logs and headers: short printable ASCII only.
    text = raw.decode("latin-1")
    return text if 0 < len(text) <= 128 and text.isascii() and text.isprintable() else None


async def answer_write(
    result: WriteResult, *, session: AsyncSession, request: Request, response: Response
) -> WriteResult:
    """Commit an upsert and answer: 201 for a new record, else 200; wake the relay."""
    await session.commit()
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
    audit: sa.Table | None = None,
    entities: Sequence[Entity[Any]] = (),
    imports: ImportTables | None = None,
    reporting: ReportingPeriods | None = None,
    background: Sequence[Callable[[FastAPI], Coroutine[Any, Any, None]]] = (),
) -> FastAPI:
    """Build a service app; ``background`` coroutines run for the app's lifetime.

    With ``imports`` tables, each of ``entities`` takes import jobs, worked in the background.
    With ``reporting`` (and an ``outbox``), the regions close and reopen months of reporting at
    ``/api/v1/{name}/reporting-periods``.
    """
    auditing = audit is not None and settings.audit_enabled

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        app.state.settings = settings
        app.state.engine = engine
        app.state.sessions = session_factory(engine)
        if not auditing:
            trail.switch_off(app.state.sessions)
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
                kafka=KafkaAccess.from_settings(settings),
                client_id=f"sinergi-{name}-relay",
                poll_seconds=settings.outbox_poll_seconds,
                retention=timedelta(hours=settings.outbox_retention_hours),
                purge_seconds=settings.outbox_purge_seconds,
            )
            app.state.relay = relay
            tasks.append(asyncio.create_task(relay.run(), name=f"{name}-relay"))
        sealer: AuditSealer | None = None
        if auditing:
            sealer = AuditSealer(engine=engine, poll_seconds=settings.audit_seal_seconds)
            tasks.append(asyncio.create_task(sealer.run(), name=f"{name}-audit-sealer"))
        if imports is not None:
            worker = ImportWorker(
                engine=engine,
                sessions=app.state.sessions,
                tables=imports,
                entities=entities,
                outbox=outbox,
                person_ref_secret=settings.person_ref_secret,
                published=relay.wake if relay is not None else lambda: None,
            )
            app.state.import_worker = worker
            tasks.append(asyncio.create_task(worker.run(), name=f"{name}-imports"))
        tasks += [asyncio.create_task(job(app)) for job in background]
        _freeze_start_up()
        try:
            yield
        finally:
            if relay is not None:
                await relay.stop()
            if sealer is not None:
                await sealer.stop()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await engine.dispose()

    configure_logging(name)
    configure_tracing(name)
    use_keyring(Keyring.parse(settings.data_keys))
    app = FastAPI(
        title=title,
        description=description,
        version="1.0.0",
        lifespan=lifespan,
        dependencies=[Depends(refuse_unknown_query)],
    )
    install_problem_handlers(app)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(HttpMetricsMiddleware, service=name)
    app.add_middleware(SecurityHeadersMiddleware)
    for router in routers:
        app.include_router(router)
    if outbox is not None and entities:
        app.include_router(withdrawal_router(entities=entities, outbox=outbox))
    if imports is not None:
        app.include_router(imports_router(domain=name, entities=entities, tables=imports))
    if audit is not None:
        app.include_router(audit_router(domain=name, table=audit))
    if reporting is not None:
        if outbox is None:
            raise ValueError("reporting periods publish their changes: they need the outbox")
        app.include_router(reporting_router(domain=name, reporting=reporting, outbox=outbox))

    @app.get("/health", include_in_schema=False)
    async def health(request: Request) -> dict[str, str]:
        async with request.app.state.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
        return {"status": "ok", "service": name}

    @app.get("/health/live", include_in_schema=False)
    async def live() -> dict[str, str]:
        return {"status": "ok", "service": name}

    probes: list[KafkaProbe] = []  # made on first use: creating the app needs no Kafka

    @app.get("/health/ready", include_in_schema=False)
    async def ready(request: Request) -> JSONResponse:
        database: Status = "up"
        try:
            async with request.app.state.engine.connect() as conn:
                await conn.execute(sa.text("SELECT 1"))
        except (OSError, sa.exc.SQLAlchemyError):
            database = "down"
        if not probes:
            probes.append(KafkaProbe(KafkaAccess.from_settings(settings)))
        kafka = await probes[0].status()
        ok = database == "up" and kafka == "up"
        return JSONResponse(
            {"status": "ok" if ok else "unavailable", "service": name,
             "database": database, "kafka": kafka},
            status_code=200 if ok else 503,
        )  # fmt: skip

    @app.get("/metrics", include_in_schema=False, dependencies=[Depends(metrics_reader)])
    async def metrics() -> PlainTextResponse:
        return PlainTextResponse(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    return app
