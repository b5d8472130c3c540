"""Fixtures of the job-market tests: the app on a migrated database, tokens, Kafka topic."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from job_market.main import create_app
from shared.events.job_market import TOPIC
from shared.identifiers import nik_for
from sinergi_local.testing import ServiceUnderTest

SCOPES = ("job-market:read", "job-market:write")
SERVICE = ServiceUnderTest(name="job_market", topic=TOPIC, create_app=create_app, scopes=SCOPES)

service_settings, app_client, token = SERVICE.fixtures()


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


outbox = SERVICE.outbox_fixture()
