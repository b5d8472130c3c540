"""Layoff reports and their workers: NIK checks, events without NIKs or names, corrections,
the bounded worker list, search by NIK, withdrawal."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx
from shared.identifiers import person_ref
from shared.settings import Settings

Headers = Callable[..., dict[str, str]]
Builder = Callable[..., dict[str, Any]]
Outbox = Callable[[str], Awaitable[list[dict[str, Any]]]]
URL = "/api/v1/industrial-relations/layoffs"


async def test_a_layoff_is_recorded_once_and_published_without_niks_or_names(
    app_client: httpx.AsyncClient,
    token: Headers,
    layoff: Builder,
    outbox_events: Outbox,
    published: Callable[..., Awaitable[str]],
    service_settings: Settings,
) -> None:
    body = layoff()
    first = await app_client.post(URL, json=body, headers=token("32.16"))
    assert first.status_code == 201, first.text
    again = await app_client.post(URL, json=body, headers=token("32.16"))
    assert again.status_code == 200 and again.json() == first.json() | {"change": "unchanged"}
    assert len(await outbox_events(first.json()["id"])) == 1
    raw = await published(first.json()["id"])
    for worker in body["workers"]:
        assert worker["nik"] not in raw and worker["full_name"] not in raw
    event = json.loads(raw)
    assert event["type"] == "id.go.kemnaker.sinergi.industrial_relations.layoff.recorded.v1"
    secret = service_settings.person_ref_secret
    assert event["data"] == {
        "id": first.json()["id"],
        "revision": 1,
        "employer_nib": body["employer_nib"],
        "region_code": "32.16",
        "reported_at": "2026-09-02",
        "effective_at": "2026-09-30",
        "reason": "efficiency",
        "severance_total_idr": 96_000_000,
        "workers": [
            {"person_ref": person_ref(w["nik"], secret=secret), "sex": "M", "birth_year": 1990}
            for w in body["workers"]
        ],
    }


async def test_reading_a_layoff_shows_no_part_of_a_nik_and_search_takes_it_in_the_body(
    app_client: httpx.AsyncClient, token: Headers, layoff: Builder
) -> None:
    body = layoff()
    created = (await app_client.post(URL, json=body, headers=token("32.16"))).json()
    read = await app_client.get(f"{URL}/{created['id']}", headers=token("32.16"))
    assert read.status_code == 200
    assert read.json()["workers"] == [
        {"full_name": w["full_name"], "birth_date": w["birth_date"], "sex": w["sex"]}
        for w in body["workers"]
    ]
    for worker in body["workers"]:
        assert worker["nik"][-4:] + '"' not in read.text and worker["nik"] not in read.text
    found = await app_client.post(
        f"{URL}/search", json={"nik": body["workers"][1]["nik"]}, headers=token("32.16")
    )
    assert found.status_code == 200
    assert [item["id"] for item in found.json()["items"]] == [created["id"]]
    # Another region's clerk finds nothing for the same NIK.
    elsewhere = await app_client.post(
        f"{URL}/search", json={"nik": body["workers"][1]["nik"]}, headers=token("32.73")
    )
    assert elsewhere.json()["items"] == []


async def test_a_corrected_worker_list_is_a_new_revision_with_the_new_workers(
    app_client: httpx.AsyncClient,
    token: Headers,
    layoff: Builder,
    workers: Callable[[int], list[dict[str, Any]]],
    outbox_events: Outbox,
) -> None:
    body = layoff()
    created = (await app_client.post(URL, json=body, headers=token("32.16"))).json()
    corrected = body | {"workers": [*body["workers"], *workers(1)]}
    answer = await app_client.post(URL, json=corrected, headers=token("32.16"))
    assert answer.status_code == 200
    assert answer.json() | {} == created | {"revision": 2, "change": "updated"}
    events = await outbox_events(created["id"])
    assert [e["event_type"].rsplit(".", 2)[-2] for e in events] == ["recorded", "updated"]
    assert len(events[-1]["payload"]["data"]["workers"]) == 3
    read = (await app_client.get(f"{URL}/{created['id']}", headers=token("32.16"))).json()
    assert len(read["workers"]) == 3


async def test_every_bad_field_is_named_at_once_and_nothing_is_written(
    app_client: httpx.AsyncClient,
    token: Headers,
    layoff: Builder,
    workers: Callable[[int], list[dict[str, Any]]],
    count_rows: Callable[..., Awaitable[int]],
) -> None:
    before = await count_rows("layoffs")
    listed = workers(3)
    listed[1] = listed[1] | {"birth_date": "1985-01-01"}  # disagrees with the NIK
    listed[2] = dict(listed[0])  # the same person twice
    body = layoff(
        workers=listed,
        reason="downsizing",
        severance_total_idr="96000000",  # a JSON string is not a number
        surprise=True,
    )
    answer = await app_client.post(URL, json=body, headers=token("32.16"))
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    named = {error["field"] for error in answer.json()["errors"]}
    assert {
        "reason",
        "severance_total_idr",
        "surprise",
        "workers.1.birth_date",
        "workers.2.nik",
    } <= named
    assert await count_rows("layoffs") == before


async def test_a_report_names_at_most_5000_workers(
    app_client: httpx.AsyncClient, token: Headers, layoff: Builder, workers: Callable[..., Any]
) -> None:
    too_many = layoff(workers=[workers(1)[0]] * 5001)
    answer = await app_client.post(URL, json=too_many, headers=token("32.16"))
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["workers"]
    empty = await app_client.post(URL, json=layoff(workers=[]), headers=token("32.16"))
    assert empty.status_code == 422


async def test_a_withdrawn_layoff_publishes_its_withdrawal_once(
    app_client: httpx.AsyncClient, token: Headers, layoff: Builder, outbox_events: Outbox
) -> None:
    created = (await app_client.post(URL, json=layoff(), headers=token("32.16"))).json()
    gone = await app_client.delete(f"{URL}/{created['id']}", headers=token("32.16"))
    assert gone.status_code == 204, gone.text
    again = await app_client.delete(f"{URL}/{created['id']}", headers=token("32.16"))
    assert again.status_code == 204
    types = [e["event_type"].rsplit(".", 2)[-2] for e in await outbox_events(created["id"])]
    assert types == ["recorded", "withdrawn"]
    listed = await app_client.get(URL, headers=token("32.16"), params={"limit": 500})
    assert created["id"] not in {item["id"] for item in listed.json()["items"]}


async def test_dates_must_have_happened_and_lie_near_the_report(
    app_client: httpx.AsyncClient, token: Headers, layoff: Builder
) -> None:
    future = date.today().replace(year=date.today().year + 1).isoformat()
    answer = await app_client.post(
        URL,
        json=layoff(reported_at=future, effective_at=future),
        headers=token("32.16"),
    )
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} == {"reported_at"}
    far = await app_client.post(
        URL,
        json=layoff(reported_at="2026-01-05", effective_at="2027-06-30"),
        headers=token("32.16"),
    )
    assert far.status_code == 422
    assert {e["field"] for e in far.json()["errors"]} == {"effective_at"}
