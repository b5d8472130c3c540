"""Companies through the service API: upsert by NIB, corrections, field checks, scopes."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

Headers = Callable[..., dict[str, str]]
Builder = Callable[..., dict[str, Any]]
COMPANIES = "/api/v1/inspection/companies"
Outbox = Callable[[str], Awaitable[list[dict[str, Any]]]]


async def test_the_nib_keys_the_company_and_a_replay_changes_nothing(
    app_client: httpx.AsyncClient, token: Headers, company: Builder, outbox_events: Outbox
) -> None:
    body = company()
    first = await app_client.post(COMPANIES, json=body, headers=token("32.16"))
    assert first.status_code == 201, first.text
    assert first.json()["external_id"] == body["nib"]
    again = await app_client.post(COMPANIES, json=body, headers=token("32.16"))
    assert again.status_code == 200
    assert again.json() == first.json() | {"change": "unchanged"}
    events = await outbox_events(first.json()["id"])
    assert [e["event_type"] for e in events] == [
        "id.go.kemnaker.sinergi.inspection.company.registered.v1"
    ]
    assert events[0]["payload"]["data"] == {
        "id": first.json()["id"],
        "revision": 1,
        "nib": body["nib"],
        "region_code": "32.16",
        "kbli_code": "24101",
        "workers_male": 180,
        "workers_female": 45,
    }


async def test_a_new_wlkp_report_updates_the_company_and_publishes_its_state(
    app_client: httpx.AsyncClient,
    token: Headers,
    company: Builder,
    outbox_events: Outbox,
    published: Callable[..., Awaitable[str]],
) -> None:
    body = company()
    created = (await app_client.post(COMPANIES, json=body, headers=token("32.16"))).json()
    report = body | {"workers_female": 60, "p2k3_committee": True, "smk3_status": "initial"}
    updated = await app_client.post(COMPANIES, json=report, headers=token("32.16"))
    assert updated.status_code == 200
    assert updated.json() == created | {"revision": 2, "change": "updated"}
    read = (await app_client.get(f"{COMPANIES}/{created['id']}", headers=token("32.16"))).json()
    assert read["workers_female"] == 60 and read["p2k3_committee"] is True
    assert read["smk3_status"] == "initial" and read["nib"] == body["nib"]
    events = await outbox_events(created["id"])
    assert [e["event_type"].rsplit(".", 2)[-2] for e in events] == ["registered", "updated"]
    event = json.loads(await published(created["id"], revision=2))
    assert event["type"] == "id.go.kemnaker.sinergi.inspection.company.updated.v1"
    assert event["source"] == "/sinergi/inspection"
    assert event["data"]["workers_female"] == 60 and event["data"]["revision"] == 2


async def test_invalid_companies_get_a_problem_naming_the_field_and_write_nothing(
    app_client: httpx.AsyncClient,
    token: Headers,
    company: Builder,
    count_rows: Callable[[str], Awaitable[int]],
) -> None:
    base = company()
    cases = {
        "nib": base | {"nib": "12345"},
        "kbli_code": base | {"kbli_code": "A1"},
        "region_code": base | {"region_code": "99.99"},
        "workers_male": base | {"workers_male": -1},
        "workers_female": base | {"workers_female": -3},
        "smk3_status": base | {"smk3_status": "gold"},
        "name": base | {"name": ""},
    }
    before = await count_rows("companies")
    for field, body in cases.items():
        response = await app_client.post(COMPANIES, json=body, headers=token("32.16"))
        assert response.status_code == 422, (field, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field]
    assert await count_rows("companies") == before


async def test_listing_filters_by_nib_and_kbli(
    app_client: httpx.AsyncClient, token: Headers, company: Builder
) -> None:
    textile = company(kbli_code="13121")
    await app_client.post(COMPANIES, json=textile, headers=token("32.16"))
    by_nib = await app_client.get(COMPANIES, params={"nib": textile["nib"]}, headers=token("32.16"))
    assert [c["nib"] for c in by_nib.json()["items"]] == [textile["nib"]]
    by_kbli = await app_client.get(COMPANIES, params={"kbli_code": "13121"}, headers=token("*"))
    assert {c["kbli_code"] for c in by_kbli.json()["items"]} == {"13121"}
    assert textile["nib"] in {c["nib"] for c in by_kbli.json()["items"]}
