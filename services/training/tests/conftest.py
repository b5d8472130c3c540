"""Fixtures of the training tests: the app on a migrated database, tokens, Kafka topic, bodies."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from shared.events.training import TOPIC
from shared.identifiers import nik_for
from shared.settings import Settings
from sinergi_local.testing import Rows, ServiceUnderTest
from training.main import create_app

SCOPES = ("training:read", "training:write")
SERVICE = ServiceUnderTest(name="training", topic=TOPIC, create_app=create_app, scopes=SCOPES)

service_settings, app_client, token = SERVICE.fixtures()
sql = SERVICE.sql_fixture()


@pytest.fixture(scope="module")
def outbox_events(service_settings: Settings) -> Rows:
    """The outbox events of one entity (by id), oldest first: type and CloudEvent data."""
    rows = SERVICE.outbox(service_settings)

    async def events(key: str) -> list[dict[str, Any]]:
        return [{"type": r["event_type"], "data": r["payload"]["data"]} for r in await rows(key)]

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
