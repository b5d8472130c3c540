"""Fixtures of the gateway tests: a migrated gateway database with registered clients, a
real upstream service served by uvicorn on a loopback port, and the gateway app wired to
them (driven in-process through its lifespan and httpx.ASGITransport, from any source
address a test chooses)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import Depends, FastAPI, Request
from gateway.clients import upsert_client
from gateway.main import create_app
from gateway.settings import GatewaySettings
from pydantic import BaseModel
from shared.auth import Principal, RequireScope, TokenVerifier
from shared.db import create_engine, session_factory
from shared.errors import ProblemError, install_problem_handlers
from shared.service import RequestIdMiddleware
from shared.services import SERVICES
from sinergi_local.testing import MigratedDb, free_port

REGIONAL_ID = "disnaker-32-16"
REGIONAL_SECRET = "regional-secret-0123456789"
REGIONAL_SCOPES = ["job-market:read", "job-market:write", "indicators:read"]
MONITOR_ID = "monitoring-prometheus"
MONITOR_SECRET = "monitoring-secret-0123456789"


class ServedApp:
    """An ASGI app served by a real uvicorn server in a background thread."""

    def __init__(self, app: FastAPI, port: int | None = None) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="off",
            timeout_graceful_shutdown=1,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)

    def start(self) -> ServedApp:
        self._thread.start()
        deadline = time.monotonic() + 20
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"uvicorn did not start on port {self.port}")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=15)


@dataclass
class StubService:
    """A small job-market service: what it received, and where it listens."""

    app: FastAPI
    received: list[dict[str, Any]] = field(default_factory=list)


class JobSeekerPublic(BaseModel):
    id: str
    region_code: str


def stub_job_market(public_key: Path) -> StubService:
    """An upstream that behaves like a domain service at the public paths."""
    app = FastAPI(title="job market stub", version="1")
    stub = StubService(app=app)
    install_problem_handlers(app)
    app.add_middleware(RequestIdMiddleware)
    app.state.verifier = TokenVerifier(
        public_key_pem=public_key.read_bytes(), issuer="sinergi-gateway", audience="sinergi"
    )

    @app.middleware("http")
    async def record(request: Request, call_next: Any) -> Any:
        stub.received.append(
            {
                "method": request.method,
                "path": request.url.path,
                "query": request.url.query,
                "raw_path": request.scope["raw_path"].decode("latin-1"),
                "query_string": request.scope["query_string"].decode("latin-1"),
                "body": (await request.body()).decode(),
                "headers": [(k, v) for k, v in request.headers.items()],
            }
        )
        return await call_next(request)

    @app.api_route(
        "/api/v1/job-market/echo/{rest:path}",
        methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        include_in_schema=False,
    )
    async def echo(rest: str) -> dict[str, str]:
        return {"echoed": rest}

    @app.get("/api/v1/job-market/job-seekers/{job_seeker_id}", response_model=JobSeekerPublic)
    async def job_seeker(job_seeker_id: str) -> JobSeekerPublic:
        raise ProblemError(404, f"no job seeker {job_seeker_id}", kind="not-found")

    @app.get("/api/v1/job-market/whoami")
    async def whoami(
        principal: Principal = Depends(RequireScope("job-market:read")),
    ) -> dict[str, Any]:
        return {"client_id": principal.client_id, "regions": sorted(principal.regions)}

    @app.get("/api/v1/job-market/slow")
    async def slow() -> dict[str, str]:
        await asyncio.sleep(3)
        return {"late": "yes"}

    @app.get("/internal/debug")
    async def internal() -> dict[str, str]:
        return {"internal": "yes"}

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    return stub


@pytest.fixture(scope="module")
def serve() -> Iterator[Callable[[FastAPI], ServedApp]]:
    """``serve(app)``: serve an ASGI app with uvicorn on a loopback port until the module ends."""
    started: list[ServedApp] = []

    def start(app: FastAPI) -> ServedApp:
        started.append(ServedApp(app).start())
        return started[-1]

    yield start
    for served in started:
        served.stop()


@pytest.fixture(scope="module")
def upstream(jwt_keys: tuple[Path, Path]) -> Iterator[tuple[StubService, ServedApp]]:
    """The stub job-market service, served by uvicorn for the whole module."""
    stub = stub_job_market(jwt_keys[1])
    served = ServedApp(stub.app).start()
    yield stub, served
    served.stop()


@pytest.fixture(scope="module")
async def gateway_db(migrated_db: MigratedDb) -> str:
    """A migrated gateway database holding one regional client."""
    url = await migrated_db("gateway")
    engine = create_engine(url, pool_size=1)
    async with session_factory(engine)() as session:
        await upsert_client(
            session,
            client_id=REGIONAL_ID,
            client_secret=REGIONAL_SECRET,
            name="Disnaker Kabupaten Bekasi",
            regions=["32.16"],
            scopes=REGIONAL_SCOPES,
        )
        await upsert_client(
            session,
            client_id=MONITOR_ID,
            client_secret=MONITOR_SECRET,
            name="Prometheus",
            regions=["*"],
            scopes=["metrics:read"],
        )
    await engine.dispose()
    return url


SettingsFactory = Callable[..., GatewaySettings]


@pytest.fixture(scope="module")
def make_settings(gateway_db: str, jwt_keys: tuple[Path, Path]) -> SettingsFactory:
    """Gateway settings on the test database; every upstream is down unless given."""

    def make(**overrides: Any) -> GatewaySettings:
        values: dict[str, Any] = {
            "environment": "test",
            "database_url": gateway_db,
            "jwt_private_key_path": jwt_keys[0],
            "jwt_public_key_path": jwt_keys[1],
            # No Kafka here: the webhook dispatcher and sender stay off.
            "webhooks_enabled": False,
        }
        down = {service.name: f"http://127.0.0.1:{free_port()}" for service in SERVICES}
        values["upstreams"] = down | overrides.pop("upstreams", {})
        values.update(overrides)
        return GatewaySettings(**values)

    return make


GatewayFactory = Callable[[GatewaySettings], AbstractAsyncContextManager[httpx.AsyncClient]]
AppFactory = Callable[[GatewaySettings], AbstractAsyncContextManager[FastAPI]]
ClientAt = Callable[..., httpx.AsyncClient]


def client_to(app: FastAPI, address: str = "127.0.0.1", **options: Any) -> httpx.AsyncClient:
    """An HTTP client of ``app`` whose requests come from ``address``."""
    transport = httpx.ASGITransport(app=app, client=(address, 40000), **options)
    return httpx.AsyncClient(transport=transport, base_url="http://gateway")


@pytest.fixture(scope="module")
def gateway_app_for() -> AppFactory:
    """Run a gateway app with these settings (its lifespan started); yields the app."""

    @asynccontextmanager
    async def run(settings: GatewaySettings) -> AsyncIterator[FastAPI]:
        app = create_app(settings)
        async with app.router.lifespan_context(app):
            yield app

    return run


@pytest.fixture(scope="module")
def client_at() -> ClientAt:
    """``client_at(app, address="127.0.0.1", **transport_options)``: a client of a running
    gateway app, from that source address."""
    return client_to


@pytest.fixture(scope="module")
def gateway_for(gateway_app_for: AppFactory) -> GatewayFactory:
    """Run a gateway app with these settings; yields an HTTP client talking to it."""

    @asynccontextmanager
    async def run(settings: GatewaySettings) -> AsyncIterator[httpx.AsyncClient]:
        async with gateway_app_for(settings) as app, client_to(app) as client:
            yield client

    return run


@pytest.fixture(scope="module")
async def gateway(
    gateway_for: GatewayFactory,
    make_settings: SettingsFactory,
    upstream: tuple[StubService, ServedApp],
) -> AsyncIterator[httpx.AsyncClient]:
    """The gateway routing the job market to the stub; the other upstreams are down."""
    async with gateway_for(make_settings(upstreams={"job_market": upstream[1].url})) as client:
        yield client


@pytest.fixture(scope="module")
async def regional_token(gateway: httpx.AsyncClient) -> str:
    """An access token of the regional client, from the gateway's token endpoint."""
    response = await gateway.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": REGIONAL_ID,
            "client_secret": REGIONAL_SECRET,
        },
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture(scope="module")
async def metrics_token(gateway: httpx.AsyncClient) -> str:
    """An access token with the scope ``metrics:read`` (a monitoring system's)."""
    response = await gateway.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": MONITOR_ID,
            "client_secret": MONITOR_SECRET,
        },
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


@pytest.fixture(scope="module")
def regional_client() -> dict[str, Any]:
    """The credentials and grants of the regional client in ``gateway_db``."""
    return {
        "client_id": REGIONAL_ID,
        "client_secret": REGIONAL_SECRET,
        "regions": ["32.16"],
        "scopes": REGIONAL_SCOPES,
    }
