"""Fixtures of the social-security tests: the app on a migrated database, tokens, Kafka topic."""

from __future__ import annotations

import asyncio
import json
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
from shared.events.social_security import TOPIC
from shared.identifiers import nik_for
from shared.kafka import make_consumer
from shared.settings import Settings
from sinergi_local.kafka import KafkaBroker, ensure_topics
from sinergi_local.testing import MigratedDb
from social_security.main import create_app

SCOPES = ("social-security:read", "social-security:write")


@pytest.fixture(scope="module")
async def service_settings(
    migrated_db: MigratedDb, kafka: KafkaBroker, jwt_keys: tuple[Path, Path]
) -> Settings:
    await ensure_topics(kafka.bootstrap_servers, [TOPIC])
    return Settings(
        environment="test",
        database_url=await migrated_db("social_security"),
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
        async with httpx.AsyncClient(transport=transport, base_url="http://social-security") as c:
            yield c


@pytest.fixture(scope="module")
def token(service_settings: Settings) -> Callable[..., dict[str, str]]:
    """Authorization headers for a client with the given regions and scopes.

    The default client is BPJS Ketenagakerjaan's; pass ``client_id`` for a regional one.
    """
    issuer = TokenIssuer(
        private_key_pem=service_settings.jwt_private_key_path.read_bytes(),
        issuer=service_settings.jwt_issuer,
        audience=service_settings.jwt_audience,
    )

    def headers(
        *regions: str, scopes: tuple[str, ...] = SCOPES, client_id: str = "bpjs-test"
    ) -> dict[str, str]:
        jwt = issuer.issue(client_id=client_id, scopes=scopes, regions=regions, ttl=300)
        return {"Authorization": f"Bearer {jwt}"}

    return headers


def _membership(**overrides: Any) -> dict[str, Any]:
    birth = date(1992, 5, 17)
    serial = uuid.uuid4().int % 9000 + 1
    body: dict[str, Any] = {
        "external_id": f"M-{uuid.uuid4().hex[:10]}",
        "nik": nik_for(district="32.16.01", birth_date=birth, sex="M", serial=serial),
        "full_name": "Agus Setiawan",
        "birth_date": birth.isoformat(),
        "sex": "M",
        "employer_nib": "9120001234567",
        "region_code": "32.16",
        "programs": ["JKK", "JKM", "JHT"],
        "status": "active",
        "started_at": "2026-03-01",
    }
    body.update(overrides)
    return body


@pytest.fixture
def membership() -> Callable[..., dict[str, Any]]:
    """Builder of a valid membership body (a man born 1992 in 32.16.01, new NIK each call)."""
    return _membership


@pytest.fixture
def outbox_rows(service_settings: Settings) -> Callable[[str], Awaitable[list[dict[str, Any]]]]:
    """The outbox events of one entity (by its id), oldest first."""

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
    """How many rows a table of the service database holds."""

    async def count(table: str) -> int:
        engine = create_engine(service_settings.database_url, pool_size=1)
        async with engine.connect() as conn:
            total = await conn.scalar(sa.text(f"SELECT count(*) FROM {table}"))  # noqa: S608
        await engine.dispose()
        return int(total or 0)

    return count


@pytest.fixture
def published(service_settings: Settings) -> Callable[[str], Awaitable[dict[str, Any]]]:
    """The raw text and JSON of the first Kafka record keyed by an entity id."""

    async def first(key: str) -> dict[str, Any]:
        consumer = make_consumer(service_settings.kafka_bootstrap, TOPIC, group_id=uuid.uuid4().hex)
        await consumer.start()
        try:
            async with asyncio.timeout(30):
                while True:
                    batches = await consumer.getmany(timeout_ms=500)
                    for record in (r for rs in batches.values() for r in rs):
                        if record.key == key.encode():
                            raw = record.value.decode()
                            return {"raw": raw, "event": json.loads(raw)}
        finally:
            await consumer.stop()

    return first
