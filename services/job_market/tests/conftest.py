"""Fixtures of the job-market tests: the app on a migrated database, tokens, Kafka topic."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
from job_market.main import create_app
from shared.auth import TokenIssuer
from shared.events.job_market import TOPIC
from shared.identifiers import nik_for
from shared.settings import Settings
from sinergi_local.kafka import KafkaBroker, ensure_topics
from sinergi_local.testing import MigratedDb

Client = Callable[..., httpx.AsyncClient]


@pytest.fixture(scope="module")
async def service_settings(
    migrated_db: MigratedDb, kafka: KafkaBroker, jwt_keys: tuple[Path, Path]
) -> Settings:
    await ensure_topics(kafka.bootstrap_servers, [TOPIC])
    return Settings(
        environment="test",
        database_url=await migrated_db("job_market"),
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
        async with httpx.AsyncClient(transport=transport, base_url="http://job-market") as c:
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
        scopes: tuple[str, ...] = ("job-market:read", "job-market:write"),
        client_id: str = "disnaker-test",
    ) -> dict[str, str]:
        jwt = issuer.issue(client_id=client_id, scopes=scopes, regions=regions, ttl=300)
        return {"Authorization": f"Bearer {jwt}"}

    return headers


def _job_seeker(**overrides: Any) -> dict[str, Any]:
    birth = date(1998, 3, 14)
    body: dict[str, Any] = {
        "external_id": f"JS-{uuid.uuid4().hex[:10]}",
        "nik": nik_for(district="32.16.01", birth_date=birth, sex="F", serial=7),
        "full_name": "Siti Rahmawati",
        "birth_date": birth.isoformat(),
        "sex": "F",
        "education_level": "SMK",
        "region_code": "32.16",
        "registered_at": "2026-10-05",
    }
    body.update(overrides)
    return body


@pytest.fixture
def job_seeker() -> Callable[..., dict[str, Any]]:
    """Builder of a valid job-seeker body (a woman born 1998 in 32.16.01), with overrides."""
    return _job_seeker
