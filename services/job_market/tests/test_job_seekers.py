"""Job seekers through the service API on real PostgreSQL, with the outbox reaching Kafka."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import sqlalchemy as sa
from shared.db import create_engine
from shared.events.job_market import TOPIC
from shared.identifiers import nik_for, person_ref
from shared.settings import Settings
from sinergi_local.testing import event_reader

Headers = Callable[..., dict[str, str]]
Builder = Callable[..., dict[str, Any]]
URL = "/api/v1/job-market/job-seekers"


async def outbox_rows(settings: Settings, key: str) -> list[dict[str, Any]]:
    engine = create_engine(settings.database_url, pool_size=1)
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.text("SELECT event_type, payload FROM outbox WHERE key = :k ORDER BY seq"),
            {"k": key},
        )
        result = [dict(r._mapping) for r in rows]
    await engine.dispose()
    return result


async def test_first_write_creates_and_replay_returns_same_id(
    app_client: httpx.AsyncClient, token: Headers, service_settings: Settings, job_seeker: Builder
) -> None:
    body = job_seeker()
    first = await app_client.post(URL, json=body, headers=token("32.16"))
    assert first.status_code == 201, first.text
    again = await app_client.post(URL, json=body, headers=token("32.16"))
    assert again.status_code == 200
    assert again.json()["id"] == first.json()["id"]
    assert again.json()["change"] == "unchanged"
    events = await outbox_rows(service_settings, first.json()["id"])
    assert [e["event_type"] for e in events] == [
        "id.go.kemnaker.sinergi.job_market.job_seeker.registered.v1"
    ]


async def test_correction_bumps_revision_and_publishes_an_update(
    app_client: httpx.AsyncClient, token: Headers, service_settings: Settings, job_seeker: Builder
) -> None:
    body = job_seeker()
    created = (await app_client.post(URL, json=body, headers=token("32.16", "32.73"))).json()
    moved = await app_client.post(
        URL, json=body | {"region_code": "3273"}, headers=token("32.16", "32.73")
    )
    assert moved.status_code == 200
    assert moved.json() == created | {"revision": 2, "change": "updated"}
    events = await outbox_rows(service_settings, created["id"])
    assert [e["payload"]["data"]["region_code"] for e in events] == ["32.16", "32.73"]
    assert events[1]["payload"]["data"]["revision"] == 2


async def test_events_carry_person_ref_and_never_the_nik_or_name(
    app_client: httpx.AsyncClient, token: Headers, service_settings: Settings, job_seeker: Builder
) -> None:
    body = job_seeker()
    created = (await app_client.post(URL, json=body, headers=token("32.16"))).json()
    consumer = event_reader(service_settings, TOPIC)
    await consumer.start()
    try:
        found = None
        async with asyncio.timeout(30):
            while found is None:
                batches = await consumer.getmany(timeout_ms=500)
                for record in (r for rs in batches.values() for r in rs):
                    if record.key == created["id"].encode():
                        found = record
    finally:
        await consumer.stop()
    raw = found.value.decode()
    assert body["nik"] not in raw and body["full_name"] not in raw
    event = json.loads(raw)
    assert event["specversion"] == "1.0" and event["subject"] == created["id"]
    ref = person_ref(body["nik"], secret=service_settings.person_ref_secret)
    assert event["data"]["person_ref"] == ref


async def test_write_outside_token_regions_is_forbidden(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Builder
) -> None:
    response = await app_client.post(URL, json=job_seeker(), headers=token("32.73"))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert "32.16" in response.json()["detail"]


async def test_invalid_records_get_a_problem_naming_the_field_and_write_nothing(
    app_client: httpx.AsyncClient, token: Headers, service_settings: Settings, job_seeker: Builder
) -> None:
    base = job_seeker()
    cases = {
        "nik": base | {"nik": "12345"},
        "birth_date": base | {"birth_date": "1998-03-15"},
        "sex": base | {"sex": "M"},
        "region_code": base | {"region_code": "99.99"},
        "education_level": base | {"education_level": "PhD"},
    }
    for field, body in cases.items():
        response = await app_client.post(URL, json=body, headers=token("32.16"))
        assert response.status_code == 422, (field, response.text)
        problem = response.json()
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in problem["errors"]] == [field]
    listing = await app_client.get(
        URL, params={"external_id": base["external_id"]}, headers=token("32.16")
    )
    assert listing.json()["items"] == []
    engine = create_engine(service_settings.database_url, pool_size=1)
    async with engine.connect() as conn:
        assert await conn.scalar(sa.text("SELECT count(*) FROM job_seekers")) == await conn.scalar(
            sa.text("SELECT count(*) FROM outbox WHERE event_type LIKE '%job_seeker.registered%'")
        )
    await engine.dispose()


async def test_a_nik_from_a_district_that_does_not_exist_is_rejected(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Builder
) -> None:
    birth = date(1990, 1, 2)
    nik = nik_for(district="32.16.99", birth_date=birth, sex="M", serial=1)
    body = job_seeker(nik=nik, birth_date=birth.isoformat(), sex="M")
    response = await app_client.post(URL, json=body, headers=token("32.16"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "nik"


async def test_a_woman_born_in_2004_is_accepted(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Builder
) -> None:
    # python-stdnum reads the NIK's year as 1904; the record's 2004 must still agree.
    birth = date(2004, 2, 29)
    nik = nik_for(district="33.25.01", birth_date=birth, sex="F", serial=3)
    body = job_seeker(nik=nik, birth_date=birth.isoformat(), region_code="33.25")
    response = await app_client.post(URL, json=body, headers=token("33.25"))
    assert response.status_code == 201, response.text


async def test_reads_are_scoped_to_the_token_regions(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Builder
) -> None:
    bekasi = (await app_client.post(URL, json=job_seeker(), headers=token("32.16"))).json()
    own = await app_client.get(f"{URL}/{bekasi['id']}", headers=token("32.16"))
    assert own.status_code == 200
    other = await app_client.get(f"{URL}/{bekasi['id']}", headers=token("32.73"))
    assert other.status_code == 404
    assert other.headers["content-type"] == "application/problem+json"
    listing = await app_client.get(URL, headers=token("32.73"), params={"limit": 500})
    assert all(item["region_code"] == "32.73" for item in listing.json()["items"])
    ministry = await app_client.get(f"{URL}/{bekasi['id']}", headers=token("*"))
    assert ministry.status_code == 200


async def test_tokens_are_required_and_scopes_enforced(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Builder
) -> None:
    assert (await app_client.post(URL, json=job_seeker())).status_code == 401
    bad = {"Authorization": "Bearer not-a-jwt"}
    assert (await app_client.post(URL, json=job_seeker(), headers=bad)).status_code == 401
    read_only = token("32.16", scopes=("job-market:read",))
    response = await app_client.post(URL, json=job_seeker(), headers=read_only)
    assert response.status_code == 403


async def test_answers_carry_no_part_of_the_nik_and_search_takes_it_in_the_body(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Builder
) -> None:
    nik = nik_for(district="32.16.01", birth_date=date(1998, 3, 14), sex="F", serial=4321)
    body = job_seeker(nik=nik)
    created = (await app_client.post(URL, json=body, headers=token("32.16"))).json()
    read = await app_client.get(f"{URL}/{created['id']}", headers=token("32.16"))
    listing = await app_client.get(
        URL, params={"external_id": body["external_id"]}, headers=token("32.16")
    )
    assert not any("nik" in key for key in read.json())
    for answer in (read, listing):
        # Neither the district and serial (what a mask used to show) nor the birth-date part.
        text = answer.text.replace(created["id"], "").replace(body["external_id"], "")
        for part in (body["nik"][:6], body["nik"][6:12], body["nik"][-4:]):
            assert part not in text
    found = await app_client.post(
        f"{URL}/search", json={"nik": body["nik"]}, headers=token("32.16")
    )
    assert found.status_code == 200, found.text
    assert [item["id"] for item in found.json()["items"]] == [created["id"]]
    elsewhere = await app_client.post(
        f"{URL}/search", json={"nik": body["nik"]}, headers=token("32.73")
    )
    assert elsewhere.json()["items"] == []
    malformed = await app_client.post(f"{URL}/search", json={"nik": "123"}, headers=token("32.16"))
    assert malformed.status_code == 422


async def test_nik_and_name_are_encrypted_at_rest(
    app_client: httpx.AsyncClient, token: Headers, service_settings: Settings, job_seeker: Builder
) -> None:
    body = job_seeker()
    created = (await app_client.post(URL, json=body, headers=token("32.16"))).json()
    engine = create_engine(service_settings.database_url, pool_size=1)
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                sa.text("SELECT nik, full_name FROM job_seekers WHERE id = :id"),
                {"id": created["id"]},
            )
        ).one()
    await engine.dispose()
    assert body["nik"] not in row.nik and body["nik"][6:12] not in row.nik
    assert body["full_name"] not in row.full_name
    assert re.fullmatch(r"[A-Za-z0-9]+:[A-Za-z0-9_=-]+", row.nik)
    assert re.fullmatch(r"[A-Za-z0-9]+:[A-Za-z0-9_=-]+", row.full_name)


async def test_one_problem_names_every_schema_and_rule_mistake(
    app_client: httpx.AsyncClient, token: Headers, service_settings: Settings, job_seeker: Builder
) -> None:
    birth = date(1990, 1, 2)
    nik = nik_for(district="32.16.99", birth_date=birth, sex="M", serial=1)  # no such district
    body = job_seeker(nik=nik, birth_date=birth.isoformat(), sex="M") | {
        "disabilty": True,  # a typo of "disability": refused, not dropped
        "graduation_year": "2010",  # a string is not a number
        "registered_at": 1700000000,  # a timestamp is not a date
        "full_name": "Budi\u0000",
    }
    response = await app_client.post(URL, json=body, headers=token("32.16"))
    assert response.status_code == 422, response.text
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"nik", "disabilty", "graduation_year", "registered_at", "full_name"}
    listing = await app_client.get(
        URL, params={"external_id": body["external_id"]}, headers=token("32.16")
    )
    assert listing.json()["items"] == []


async def test_bad_query_parameters_are_refused(
    app_client: httpx.AsyncClient, token: Headers
) -> None:
    cases = [
        {"offset": str(10**20)},
        {"limit": "0"},
        {"limit": "501"},
        {"sttaus": "active"},
        {"external_id": "A\u0000"},
        {"registered_from": "1700000000"},
    ]
    for params in cases:
        response = await app_client.get(URL, params=params, headers=token("32.16"))
        assert response.status_code == 422, (params, response.text)
        assert response.headers["content-type"] == "application/problem+json"
