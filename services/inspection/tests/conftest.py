"""Fixtures of the inspection tests: the app on a migrated database, tokens, Kafka, builders."""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx
import pytest
from inspection.main import create_app
from shared.events.inspection import TOPIC
from shared.identifiers import Sex, nik_for
from shared.settings import Settings
from sinergi_local.testing import Headers, ServiceUnderTest

COMPANIES = "/api/v1/inspection/companies"
INSPECTIONS = "/api/v1/inspection/inspections"
ACCIDENTS = "/api/v1/inspection/accidents"

Builder = Callable[..., dict[str, Any]]
Register = Callable[..., Awaitable[dict[str, Any]]]

SCOPES = ("inspection:read", "inspection:write")
SERVICE = ServiceUnderTest(name="inspection", topic=TOPIC, create_app=create_app, scopes=SCOPES)

service_settings, app_client, token = SERVICE.fixtures()
outbox_events = SERVICE.outbox_fixture()
count_rows = SERVICE.count_rows_fixture()


@pytest.fixture(scope="module")
def published(service_settings: Settings) -> Callable[..., Awaitable[str]]:
    """The raw CloudEvent the relay published on Kafka for an entity id (revision 1 by default)."""

    async def fetch(key: str, *, revision: int = 1) -> str:
        return await SERVICE.first_published(service_settings, key, revision=revision)

    return fetch


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
