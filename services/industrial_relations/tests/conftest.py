"""Fixtures of the industrial-relations tests: the app on a migrated database, tokens, Kafka,
and builders of valid records."""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import pytest
from industrial_relations.main import create_app
from shared.events.industrial_relations import TOPIC
from shared.identifiers import Sex, nik_for
from shared.settings import Settings
from sinergi_local.testing import ServiceUnderTest

Builder = Callable[..., dict[str, Any]]

SCOPES = ("industrial-relations:read", "industrial-relations:write")
SERVICE = ServiceUnderTest(
    name="industrial_relations", topic=TOPIC, create_app=create_app, scopes=SCOPES
)

service_settings, app_client, token = SERVICE.fixtures()
outbox_events = SERVICE.outbox_fixture()
count_rows = SERVICE.count_rows_fixture()


@pytest.fixture(scope="module")
def published(service_settings: Settings) -> Callable[..., Awaitable[str]]:
    """The raw CloudEvent the relay published on Kafka for an entity id (revision 1 by default)."""

    async def fetch(key: str, *, revision: int = 1) -> str:
        return await SERVICE.first_published(service_settings, key, revision=revision)

    return fetch


def _worker(
    *, birth: date = date(1990, 6, 14), sex: Sex = "M", serial: int | None = None
) -> dict[str, Any]:
    """A valid worker (born in 32.16.01) with a fresh serial unless one is given."""
    serial = serial if serial is not None else random.randint(1, 9999)
    nik = nik_for(district="32.16.01", birth_date=birth, sex=sex, serial=serial)
    name = "Joko Susilo" if sex == "M" else "Siti Rahmawati"
    return {"nik": nik, "full_name": name, "birth_date": birth.isoformat(), "sex": sex}


def _workers(count: int) -> list[dict[str, Any]]:
    """``count`` distinct valid workers."""
    return [_worker(serial=serial) for serial in random.sample(range(1, 10000), count)]


def _layoff(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_id": f"PHK-{uuid.uuid4().hex[:10]}",
        "employer_nib": "9120001234567",
        "region_code": "32.16",
        "reported_at": "2026-09-02",
        "effective_at": "2026-09-30",
        "reason": "efficiency",
        "workers": _workers(2),
        "severance_total_idr": 96_000_000,
    }
    return body | overrides


def _dispute(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_id": f"PHI-{uuid.uuid4().hex[:10]}",
        "employer_nib": "9120001234567",
        "region_code": "32.16",
        "registered_at": "2026-08-03",
        "type": "rights",
        "stage": "bipartite",
        "status": "open",
        "workers_involved": 37,
    }
    return body | overrides


def _agreement(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_id": f"PKB-{uuid.uuid4().hex[:10]}",
        "employer_nib": "9120001234567",
        "region_code": "32.16",
        "kind": "pkb",
        "registered_at": "2026-07-20",
        "valid_from": "2026-08-01",
        "valid_until": "2028-07-31",
        "workers_covered": 640,
    }
    return body | overrides


def _union(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_id": f"SP-{uuid.uuid4().hex[:10]}",
        "name": "PUK SP Logam PT Sinar Logam Cikarang",
        "region_code": "32.16",
        "registered_at": "2024-02-12",
        "members": 412,
        "employer_nib": "9120001234567",
        "federation": "FSPMI",
    }
    return body | overrides


@pytest.fixture
def layoff() -> Builder:
    """Builder of a valid layoff report with two workers in 32.16."""
    return _layoff


@pytest.fixture
def workers() -> Callable[[int], list[dict[str, Any]]]:
    """Builder of that many distinct valid workers."""
    return _workers


@pytest.fixture
def dispute() -> Builder:
    """Builder of a valid open dispute in 32.16."""
    return _dispute


@pytest.fixture
def agreement() -> Builder:
    """Builder of a valid two-year PKB in 32.16."""
    return _agreement


@pytest.fixture
def union() -> Builder:
    """Builder of a valid company union in 32.16."""
    return _union
