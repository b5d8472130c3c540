"""Fixtures of the inspection tests: the app on a migrated database, tokens, Kafka, builders."""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from inspection.main import create_app
from shared.auth import TokenIssuer
from shared.db import create_engine
from shared.events.inspection import TOPIC
from shared.identifiers import Sex, nik_for
from shared.kafka import make_consumer
from shared.settings import Settings
from sinergi_local.kafka import KafkaBroker, ensure_topics
from sinergi_local.testing import MigratedDb

COMPANIES = "/api/v1/inspection/companies"
INSPECTIONS = "/api/v1/inspection/inspections"
ACCIDENTS = "/api/v1/inspection/accidents"

Headers = Callable[..., dict[str, str]]
Builder = Callable[..., dict[str, Any]]
Register = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture(scope="module")
async def service_settings(
    migrated_db: MigratedDb, kafka: KafkaBroker, jwt_keys: tuple[Path, Path]
) -> Settings:
    await ensure_topics(kafka.bootstrap_servers, [TOPIC])
    return Settings(
        environment="test",
        database_url=await migrated_db("inspection"),
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
        async with httpx.AsyncClient(transport=transport, base_url="http://inspection") as c:
            yield c


@pytest.fixture(scope="module")
def token(service_settings: Settings) -> Headers:
    """Authorization headers for a client with the given regions and scopes."""
    issuer = TokenIssuer(
        private_key_pem=service_settings.jwt_private_key_path.read_bytes(),
        issuer=service_settings.jwt_issuer,
        audience=service_settings.jwt_audience,
    )

    def headers(
        *regions: str,
        scopes: tuple[str, ...] = ("inspection:read", "inspection:write"),
        client_id: str = "disnaker-test",
    ) -> dict[str, str]:
        jwt = issuer.issue(client_id=client_id, scopes=scopes, regions=regions, ttl=300)
        return {"Authorization": f"Bearer {jwt}"}

    return headers


def new_nib() -> str:
    return "91" + "".join(random.choices("0123456789", k=11))


def _company(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "nib": new_nib(),
        "name": "PT Sinar Logam Cikarang",
        "kbli_code": "24101",
        "region_code": "32.16",
        "workers_male": 180,
        "workers_female": 45,
    }
    return body | overrides


def _inspection(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_id": f"INS-{uuid.uuid4().hex[:10]}",
        "company_nib": "9100000000000",
        "region_code": "32.16",
        "inspected_at": "2026-09-15",
        "type": "routine",
        "findings": [
            {"norm": "wages", "status": "notice_1"},
            {"norm": "k3", "status": "open"},
        ],
        "inspector_name": "Budi Santoso",
    }
    return body | overrides


def _victim(
    *, birth: date = date(1991, 4, 23), sex: Sex = "M", serial: int | None = None
) -> dict[str, Any]:
    """A valid victim (born in 32.16.01) with a fresh serial unless one is given."""
    serial = serial if serial is not None else random.randint(1, 9999)
    nik = nik_for(district="32.16.01", birth_date=birth, sex=sex, serial=serial)
    name = "Agus Pratama" if sex == "M" else "Dewi Lestari"
    return {"nik": nik, "full_name": name, "birth_date": birth.isoformat(), "sex": sex}


def _accident(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_id": f"ACC-{uuid.uuid4().hex[:10]}",
        "company_nib": "9100000000000",
        "region_code": "32.16",
        "occurred_at": "2026-08-02",
        "outcome": "disability",
        "victims": [_victim()],
        "lost_days": 30,
        "injury": "crushed hand",
    }
    return body | overrides


@pytest.fixture
def company() -> Builder:
    """Builder of a valid company body (a steel works in 32.16 with a fresh NIB)."""
    return _company


@pytest.fixture
def inspection() -> Builder:
    """Builder of a valid inspection body with two findings (set company_nib)."""
    return _inspection


@pytest.fixture
def accident() -> Builder:
    """Builder of a valid accident body with one victim (set company_nib)."""
    return _accident


@pytest.fixture
def victim() -> Builder:
    """Builder of a valid victim (born in 32.16.01; keyword birth, sex, serial)."""
    return _victim


@pytest.fixture
def registered_company(app_client: httpx.AsyncClient, token: Headers) -> Register:
    """Register a company (region 32.16 unless overridden); returns its request body."""

    async def register(**overrides: Any) -> dict[str, Any]:
        body = _company(**overrides)
        response = await app_client.post(COMPANIES, json=body, headers=token(body["region_code"]))
        assert response.status_code == 201, response.text
        return body

    return register


@pytest.fixture
def outbox_events(service_settings: Settings) -> Callable[[str], Awaitable[list[dict[str, Any]]]]:
    """The outbox rows (event_type, payload) of one entity id, oldest first."""

    async def rows(key: str) -> list[dict[str, Any]]:
        engine = create_engine(service_settings.database_url, pool_size=1)
        async with engine.connect() as conn:
            result = await conn.execute(
                sa.text("SELECT event_type, payload FROM outbox WHERE key = :k ORDER BY seq"),
                {"k": key},
            )
            found = [dict(r._mapping) for r in result]
        await engine.dispose()
        return found

    return rows


@pytest.fixture
def count_rows(service_settings: Settings) -> Callable[[str], Awaitable[int]]:
    """The number of rows of one table."""

    async def count(table: str) -> int:
        engine = create_engine(service_settings.database_url, pool_size=1)
        async with engine.connect() as conn:
            value = await conn.scalar(sa.text(f"SELECT count(*) FROM {table}"))  # noqa: S608
        await engine.dispose()
        return int(value or 0)

    return count


@pytest.fixture
def published(service_settings: Settings) -> Callable[..., Awaitable[str]]:
    """The raw CloudEvent the relay published on Kafka for an entity id (latest revision)."""

    async def fetch(key: str, *, revision: int = 1) -> str:
        consumer = make_consumer(service_settings.kafka_bootstrap, TOPIC, group_id=uuid.uuid4().hex)
        await consumer.start()
        try:
            async with asyncio.timeout(30):
                while True:
                    batches = await consumer.getmany(timeout_ms=500)
                    for record in (r for rs in batches.values() for r in rs):
                        if record.key == key.encode():
                            raw: str = record.value.decode()
                            if json.loads(raw)["data"]["revision"] == revision:
                                return raw
        finally:
            await consumer.stop()

    return fetch
