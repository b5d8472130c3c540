"""Vacancies and placements: upserts, the link to a registered job seeker, region rules."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
from shared.identifiers import nik_for

Headers = Callable[..., dict[str, str]]
Builder = Callable[..., dict[str, Any]]
VACANCIES = "/api/v1/job-market/vacancies"
PLACEMENTS = "/api/v1/job-market/placements"
JOB_SEEKERS = "/api/v1/job-market/job-seekers"


def vacancy(**overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_id": f"V-{uuid.uuid4().hex[:10]}",
        "employer_nib": "9120001234567",
        "employer_name": "PT Maju Bersama",
        "kbli_code": "10792",
        "occupation_code": "8160",
        "title": "Operator produksi",
        "positions": 12,
        "region_code": "32.16",
        "posted_at": "2026-10-01",
    }
    return body | overrides


async def registered(
    client: httpx.AsyncClient, headers: dict[str, str], job_seeker: Builder, **kw: Any
) -> str:
    serial = int(uuid.uuid4().int % 9000) + 1
    birth = date(1995, 7, 9)
    nik = nik_for(district="32.16.02", birth_date=birth, sex="M", serial=serial)
    body = job_seeker(nik=nik, birth_date=birth.isoformat(), sex="M", **kw)
    response = await client.post(JOB_SEEKERS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return nik


async def test_vacancy_upsert_and_field_checks(
    app_client: httpx.AsyncClient, token: Headers
) -> None:
    body = vacancy()
    first = await app_client.post(VACANCIES, json=body, headers=token("32.16"))
    assert first.status_code == 201, first.text
    more = await app_client.post(VACANCIES, json=body | {"positions": 15}, headers=token("32.16"))
    assert more.status_code == 200 and more.json()["revision"] == 2
    read = await app_client.get(f"{VACANCIES}/{first.json()['id']}", headers=token("32.16"))
    assert read.json()["positions"] == 15
    cases = {
        "employer_nib": body | {"employer_nib": "12"},
        "positions": body | {"positions": 0},
        "closes_at": body | {"closes_at": "2026-09-01"},
        "wage_max_idr": body | {"wage_min_idr": 5_000_000, "wage_max_idr": 4_000_000},
    }
    for field, bad in cases.items():
        response = await app_client.post(VACANCIES, json=bad, headers=token("32.16"))
        assert response.status_code == 422, field
        assert response.json()["errors"][0]["field"] == field


async def test_placement_links_a_registered_job_seeker_and_vacancy(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Builder
) -> None:
    headers = token("32.16")
    nik = await registered(app_client, headers, job_seeker)
    post = vacancy()
    await app_client.post(VACANCIES, json=post, headers=headers)
    body = {
        "external_id": f"P-{uuid.uuid4().hex[:10]}",
        "nik": nik,
        "employer_nib": "9120001234567",
        "placed_at": "2026-10-20",
        "mechanism": "AKL",
        "region_code": "32.16",
        "vacancy_external_id": post["external_id"],
    }
    created = await app_client.post(PLACEMENTS, json=body, headers=headers)
    assert created.status_code == 201, created.text
    again = await app_client.post(PLACEMENTS, json=body, headers=headers)
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    read = (await app_client.get(f"{PLACEMENTS}/{created.json()['id']}", headers=headers)).json()
    assert read["vacancy_id"] is not None and read["mechanism"] == "AKL"
    assert (
        await app_client.get(f"{PLACEMENTS}/{read['id']}", headers=token("12.75"))
    ).status_code == 404


async def test_placement_of_an_unknown_person_or_vacancy_is_rejected(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Builder
) -> None:
    headers = token("32.16")
    stranger = nik_for(district="32.16.03", birth_date=date(1980, 1, 1), sex="M", serial=9)
    body = {
        "external_id": f"P-{uuid.uuid4().hex[:10]}",
        "nik": stranger,
        "employer_nib": "9120001234567",
        "placed_at": "2026-10-20",
        "mechanism": "AKAD",
        "region_code": "32.16",
    }
    response = await app_client.post(PLACEMENTS, json=body | {"mechanism": "AKL"}, headers=headers)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "nik"
    nik = await registered(app_client, headers, job_seeker)
    response = await app_client.post(
        PLACEMENTS, json=body | {"nik": nik, "vacancy_external_id": "nope"}, headers=headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "vacancy_external_id"
    response = await app_client.post(
        PLACEMENTS, json=body | {"nik": nik, "mechanism": "XYZ"}, headers=headers
    )
    assert response.json()["errors"][0]["field"] == "mechanism"


async def test_a_job_seeker_of_another_region_is_never_revealed_nor_linked(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Builder
) -> None:
    bandung = token("32.73")
    elsewhere = await registered(app_client, bandung, job_seeker, region_code="32.73")
    nobody = nik_for(district="32.73.01", birth_date=date(1985, 5, 5), sex="M", serial=42)
    body = {
        "employer_nib": "9120001234567",
        "placed_at": "2026-10-20",
        "mechanism": "AKL",
        "region_code": "32.16",
    }
    answers = []
    for nik in (elsewhere, nobody):
        one = body | {"external_id": f"P-{uuid.uuid4().hex[:10]}", "nik": nik}
        answers.append(await app_client.post(PLACEMENTS, json=one, headers=token("32.16")))
    assert [a.status_code for a in answers] == [422, 422]
    assert answers[0].json()["errors"] == answers[1].json()["errors"]
    # Between regions (AKAD) the placement is accepted either way, linked to no one's record.
    for nik in (elsewhere, nobody):
        one = body | {"external_id": f"P-{uuid.uuid4().hex[:10]}", "nik": nik, "mechanism": "AKAD"}
        created = await app_client.post(PLACEMENTS, json=one, headers=token("32.16"))
        assert created.status_code == 201, created.text
        read = await app_client.get(f"{PLACEMENTS}/{created.json()['id']}", headers=token("32.16"))
        assert read.json()["job_seeker_id"] is None
