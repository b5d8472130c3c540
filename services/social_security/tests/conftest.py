"""Fixtures of the social-security tests: the app on a migrated database, tokens, Kafka topic."""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import pytest
from shared.events.social_security import TOPIC
from shared.identifiers import nik_for
from shared.settings import Settings
from sinergi_local.testing import ServiceUnderTest
from social_security.main import create_app

SCOPES = ("social-security:read", "social-security:write")
# The default client is BPJS Ketenagakerjaan's; tests pass ``client_id`` for a regional one.
SERVICE = ServiceUnderTest(
    name="social_security", topic=TOPIC, create_app=create_app, scopes=SCOPES, client_id="bpjs-test"
)

service_settings, app_client, token = SERVICE.fixtures()
outbox_rows = SERVICE.outbox_fixture()
count_rows = SERVICE.count_rows_fixture()


@pytest.fixture(scope="module")
def published(service_settings: Settings) -> Callable[[str], Awaitable[dict[str, Any]]]:
    """The raw text and JSON of the first Kafka record keyed by an entity id."""

    async def first(key: str) -> dict[str, Any]:
        raw = await SERVICE.first_published(service_settings, key)
        return {"raw": raw, "event": json.loads(raw)}

    return first


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
