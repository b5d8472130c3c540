"""The first end-to-end slice: a regional write reaches the national indicators.

Through the real gateway, services as processes, real PostgreSQL and Kafka (what `make run`
starts).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx
from shared.identifiers import nik_for

Tokens = Callable[[str], Awaitable[dict[str, str]]]
ValueOf = Callable[..., Awaitable[float | None]]
Eventually = Callable[..., Awaitable[Any]]
BEKASI = "disnaker-3216"
BANDUNG = "disnaker-3273"
MINISTRY = "kemnaker-pusdatin"
JOB_SEEKERS = "/api/v1/job-market/job-seekers"


def job_seeker(
    serial: int, *, region: str = "32.16", registered_at: str = "2026-09-14"
) -> dict[str, Any]:
    birth = date(1999, 12, 1)
    return {
        "external_id": f"E2E-{uuid.uuid4().hex[:12]}",
        "nik": nik_for(district="32.16.05", birth_date=birth, sex="M", serial=serial),
        "full_name": "Budi Santoso",
        "birth_date": birth.isoformat(),
        "sex": "M",
        "education_level": "SMA",
        "region_code": region,
        "registered_at": registered_at,
    }


async def test_token_endpoint_contract(gateway: httpx.AsyncClient, demo: dict[str, Any]) -> None:
    assert demo["gateway"].startswith("http://127.0.0.1:")
    bekasi = next(c for c in demo["clients"] if c["regions"] == ["32.16"])
    assert set(bekasi["scopes"]) >= {"job-market:read", "job-market:write", "indicators:read"}
    ministry = next(c for c in demo["clients"] if c["regions"] == ["*"])
    assert not any(scope.endswith(":write") for scope in ministry["scopes"])
    assert "indicators:read-exact" in ministry["scopes"]
    assert len(demo["clients"]) >= 9
    good = await gateway.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": bekasi["client_id"],
            "client_secret": bekasi["client_secret"],
        },
    )
    assert good.status_code == 200
    body = good.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    assert "job-market:write" in body["scope"].split()
    bad = await gateway.post(
        "/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": bekasi["client_id"],
            "client_secret": "wrong-secret-wrong-secret",
        },
    )
    assert bad.status_code == 401


async def test_a_job_seeker_is_counted_for_regency_province_and_nation(
    gateway: httpx.AsyncClient, auth: Tokens, value_of: ValueOf, eventually: Eventually
) -> None:
    period = "2026-09"
    # A month nobody sent anything for reads as not reported (no value): nothing counted.
    before = {
        r: await value_of("job_seekers_registered", r, period) or 0 for r in ("32.16", "32", "ID")
    }
    response = await gateway.post(JOB_SEEKERS, json=job_seeker(11), headers=await auth(BEKASI))
    assert response.status_code == 201, response.text
    assert response.headers["x-request-id"]
    for region, old in before.items():
        seen = await eventually(
            lambda r=region: value_of("job_seekers_registered", r, period), old + 1
        )
        assert seen == old + 1, region
    other_province = await value_of("job_seekers_registered", "33", period)
    assert (other_province or 0) == 0


async def test_region_rules_hold_through_the_gateway(
    gateway: httpx.AsyncClient, auth: Tokens
) -> None:
    bekasi = await auth(BEKASI)
    created = await gateway.post(JOB_SEEKERS, json=job_seeker(12), headers=bekasi)
    assert created.status_code == 201
    record_id = created.json()["id"]
    replay = await gateway.post(
        JOB_SEEKERS,
        json=job_seeker(12) | {"external_id": created.json()["external_id"]},
        headers=bekasi,
    )
    assert replay.status_code == 200 and replay.json()["id"] == record_id
    bandung = await auth(BANDUNG)
    foreign = await gateway.post(JOB_SEEKERS, json=job_seeker(13), headers=bandung)
    assert foreign.status_code == 403
    assert foreign.headers["content-type"].startswith("application/problem+json")
    assert (await gateway.get(f"{JOB_SEEKERS}/{record_id}", headers=bandung)).status_code == 404
    ministry = await auth(MINISTRY)
    assert (await gateway.get(f"{JOB_SEEKERS}/{record_id}", headers=ministry)).status_code == 200
    assert (
        await gateway.post(JOB_SEEKERS, json=job_seeker(14), headers=ministry)
    ).status_code == 403
    assert (await gateway.post(JOB_SEEKERS, json=job_seeker(15))).status_code == 401
    invalid = await gateway.post(
        JOB_SEEKERS, json=job_seeker(16) | {"birth_date": "1999-12-02"}, headers=bekasi
    )
    assert invalid.status_code == 422
    assert invalid.json()["errors"][0]["field"] == "birth_date"


async def test_one_openapi_document_covers_the_public_surface(gateway: httpx.AsyncClient) -> None:
    document = (await gateway.get("/openapi.json")).json()
    paths = set(document["paths"])
    assert {"/oauth/token", JOB_SEEKERS, "/api/v1/indicators/values"} <= paths
    assert (await gateway.get("/docs")).status_code == 200
