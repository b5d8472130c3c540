"""Fixtures of the training tests: the app on a migrated database, tokens, Kafka topic, bodies."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from shared.auth import TokenIssuer
from shared.db import create_engine
from shared.events.training import TOPIC
from shared.identifiers import nik_for
from shared.settings import Settings
from sinergi_local.kafka import KafkaBroker, ensure_topics
from sinergi_local.testing import MigratedDb
from training.main import create_app

PROGRAMS = "/api/v1/training/programs"
ENROLLMENTS = "/api/v1/training/enrollments"


@pytest.fixture(scope="module")
async def service_settings(
    migrated_db: MigratedDb, kafka: KafkaBroker, jwt_keys: tuple[Path, Path]
) -> Settings:
    await ensure_topics(kafka.bootstrap_servers, [TOPIC])
    return Settings(
        environment="test",
        database_url=await migrated_db("training"),
        kafka_bootstrap=kafka.bootstrap_servers,
        jwt_private_key_path=jwt_keys[0],
        jwt_public_key_path=jwt_keys[1],
        outbox_poll_seconds=0.05,
    )


@pytest.fixture(scope="module")
async def app_client(service_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(service_settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://training") as c:
            yield c


@pytest.fixture(scope="module")
def token(service_settings: Settings) -> Callable[..., dict[str, str]]:
    """Authorization headers for a client with the given regions and scopes."""
    issuer = TokenIssuer(
        private_key_pem=service_settings.jwt_private_key_path.read_bytes(),
        issuer=service_settings.jwt_issuer,
        audience=service_settings.jwt_audience,
    )

    def headers(
        *regions: str,
        scopes: tuple[str, ...] = ("training:read", "training:write"),
        client_id: str = "disnaker-test",
    ) -> dict[str, str]:
        jwt = issuer.issue(client_id=client_id, scopes=scopes, regions=regions, ttl=300)
        return {"Authorization": f"Bearer {jwt}"}

    return headers


@pytest.fixture(scope="module")
def sql(service_settings: Settings) -> Callable[..., Awaitable[list[dict[str, Any]]]]:
    """Run a query on the service's database (to see what was, or was not, written)."""

    async def run(query: str, **params: Any) -> list[dict[str, Any]]:
        engine = create_engine(service_settings.database_url, pool_size=1)
        async with engine.connect() as conn:
            rows = [dict(r._mapping) for r in await conn.execute(sa.text(query), params)]
        await engine.dispose()
        return rows

    return run


@pytest.fixture(scope="module")
def outbox_events(
    sql: Callable[..., Awaitable[list[dict[str, Any]]]],
) -> Callable[[str], Awaitable[list[dict[str, Any]]]]:
    """The outbox events of one entity (by id), oldest first: type and CloudEvent data."""

    async def events(key: str) -> list[dict[str, Any]]:
        rows = await sql(
            "SELECT event_type, payload FROM outbox WHERE key = :k ORDER BY seq", k=key
        )
        return [{"type": r["event_type"], "data": r["payload"]["data"]} for r in rows]

    return events


def _program(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_id": f"PRG-{uuid.uuid4().hex[:10]}",
        "name": "Pelatihan Juru Las SMAW 3G",
        "provider_type": "BPVP",
        "provider_name": "BPVP Bekasi",
        "vocational_field": "Teknik Las",
        "region_code": "32.16",
        "start_date": "2026-08-10",
        "end_date": "2026-09-25",
        "capacity": 16,
    }
    return body | overrides


def _enrollment(program_external_id: str, **overrides: Any) -> dict[str, Any]:
    birth = date(2001, 6, 21)
    serial = uuid.uuid4().int % 9000 + 1
    body: dict[str, Any] = {
        "external_id": f"ENR-{uuid.uuid4().hex[:10]}",
        "program_external_id": program_external_id,
        "nik": nik_for(district="32.16.05", birth_date=birth, sex="M", serial=serial),
        "full_name": "Agus Setiawan",
        "birth_date": birth.isoformat(),
        "sex": "M",
        "enrolled_at": "2026-08-03",
        "status": "registered",
    }
    return body | overrides


@pytest.fixture
def program() -> Callable[..., dict[str, Any]]:
    """Builder of a valid program body (a welding course in 32.16), with overrides."""
    return _program


@pytest.fixture
def enrollment() -> Callable[..., dict[str, Any]]:
    """Builder of a valid registered enrolment (a man born 2001, new NIK) in a given program."""
    return _enrollment
