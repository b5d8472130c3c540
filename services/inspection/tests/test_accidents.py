"""Workplace accidents and their victims: NIK checks, person_ref in events, corrections."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import httpx
from shared.identifiers import person_ref
from shared.settings import Settings

Headers = Callable[..., dict[str, str]]
Builder = Callable[..., dict[str, Any]]
Register = Callable[..., Awaitable[dict[str, Any]]]
Outbox = Callable[[str], Awaitable[list[dict[str, Any]]]]
URL = "/api/v1/inspection/accidents"


async def test_an_accident_is_reported_once_and_published_without_nik_or_name(
    app_client: httpx.AsyncClient,
    token: Headers,
    accident: Builder,
    victim: Builder,
    registered_company: Register,
    outbox_events: Outbox,
    published: Callable[..., Awaitable[str]],
    service_settings: Settings,
) -> None:
    nib = (await registered_company())["nib"]
    woman = victim(birth=date(2001, 11, 5), sex="F")
    body = accident(company_nib=nib, outcome="death", victims=[victim(), woman])
    first = await app_client.post(URL, json=body, headers=token("32.16"))
    assert first.status_code == 201, first.text
    again = await app_client.post(URL, json=body, headers=token("32.16"))
    assert again.status_code == 200 and again.json() == first.json() | {"change": "unchanged"}
    assert len(await outbox_events(first.json()["id"])) == 1
    raw = await published(first.json()["id"])
    for person in body["victims"]:
        assert person["nik"] not in raw and person["full_name"] not in raw
    event = json.loads(raw)
    assert event["type"] == "id.go.kemnaker.sinergi.inspection.accident.reported.v1"
    assert event["subject"] == first.json()["id"]
    secret = service_settings.person_ref_secret
    assert event["data"] == {
        "id": first.json()["id"],
        "revision": 1,
        "company_nib": nib,
        "region_code": "32.16",
        "occurred_at": "2026-08-02",
        "outcome": "death",
        "victims": [
            {
                "person_ref": person_ref(body["victims"][0]["nik"], secret=secret),
                "sex": "M",
                "birth_year": 1991,
            },
            {"person_ref": person_ref(woman["nik"], secret=secret), "sex": "F", "birth_year": 2001},
        ],
    }


async def test_reading_an_accident_shows_no_part_of_the_victims_nik(
    app_client: httpx.AsyncClient,
    token: Headers,
    accident: Builder,
    registered_company: Register,
) -> None:
    company = await registered_company(kbli_code="10792")
    body = accident(company_nib=company["nib"])
    created = (await app_client.post(URL, json=body, headers=token("32.16"))).json()
    read = (await app_client.get(f"{URL}/{created['id']}", headers=token("32.16"))).json()
    nik = body["victims"][0]["nik"]
    assert read["victims"] == [
        {
            "full_name": "Agus Pratama",
            "birth_date": "1991-04-23",
            "sex": "M",
        }
    ]
    assert nik not in json.dumps(read)
    assert read["kbli_code"] == "10792"  # the company's, as none was sent
    listed = await app_client.get(
        URL, params={"external_id": body["external_id"]}, headers=token("32.16")
    )
    assert listed.json()["items"] == [read]


async def test_a_victim_added_later_is_a_new_revision(
    app_client: httpx.AsyncClient,
    token: Headers,
    accident: Builder,
    victim: Builder,
    registered_company: Register,
    outbox_events: Outbox,
    service_settings: Settings,
) -> None:
    nib = (await registered_company())["nib"]
    body = accident(company_nib=nib)
    created = (await app_client.post(URL, json=body, headers=token("32.16"))).json()
    second = victim(birth=date(1985, 1, 30))
    both = body | {"victims": [*body["victims"], second]}
    added = await app_client.post(URL, json=both, headers=token("32.16"))
    assert added.status_code == 200
    assert added.json() == created | {"revision": 2, "change": "updated"}
    died = await app_client.post(URL, json=both | {"outcome": "death"}, headers=token("32.16"))
    assert died.json()["revision"] == 3
    events = await outbox_events(created["id"])
    assert [e["event_type"].rsplit(".", 2)[-2] for e in events] == [
        "reported",
        "updated",
        "updated",
    ]
    data = [e["payload"]["data"] for e in events]
    assert [len(d["victims"]) for d in data] == [1, 2, 2]
    assert [d["outcome"] for d in data] == ["disability", "disability", "death"]
    ref = person_ref(second["nik"], secret=service_settings.person_ref_secret)
    assert data[1]["victims"][1] == {"person_ref": ref, "sex": "M", "birth_year": 1985}
    read = (await app_client.get(f"{URL}/{created['id']}", headers=token("32.16"))).json()
    assert len(read["victims"]) == 2 and read["outcome"] == "death"
    deaths = await app_client.get(
        URL, params={"outcome": "death", "company_nib": nib}, headers=token("32.16")
    )
    assert [a["id"] for a in deaths.json()["items"]] == [created["id"]]


async def test_invalid_accidents_get_a_problem_naming_the_field_and_write_nothing(
    app_client: httpx.AsyncClient,
    token: Headers,
    accident: Builder,
    victim: Builder,
    registered_company: Register,
    count_rows: Callable[[str], Awaitable[int]],
) -> None:
    nib = (await registered_company())["nib"]
    base = accident(company_nib=nib)
    good = base["victims"][0]
    woman = victim(birth=date(1999, 6, 1), sex="F")
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    cases = {
        "victims.0.nik": base | {"victims": [good | {"nik": "12345"}]},
        "victims.0.birth_date": base | {"victims": [good | {"birth_date": "1991-04-24"}]},
        "victims.1.sex": base | {"victims": [good, woman | {"sex": "M"}]},
        "victims.1.nik": base | {"victims": [good, good]},
        "victims.0.full_name": base | {"victims": [good | {"full_name": ""}]},
        "victims": base | {"victims": []},
        "company_nib": base | {"company_nib": "9199999999999"},
        "outcome": base | {"outcome": "fatal"},
        "occurred_at": base | {"occurred_at": tomorrow},
        "lost_days": base | {"lost_days": -2},
        "region_code": base | {"region_code": "32"},
    }
    before = [await count_rows(t) for t in ("accidents", "accident_victims", "outbox")]
    for field, body in cases.items():
        response = await app_client.post(URL, json=body, headers=token("32.16"))
        assert response.status_code == 422, (field, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field]
    assert [await count_rows(t) for t in ("accidents", "accident_victims", "outbox")] == before


async def test_search_by_a_victims_nik_in_the_body_finds_the_callers_accidents_only(
    app_client: httpx.AsyncClient, token: Headers, accident: Builder, registered_company: Register
) -> None:
    company = await registered_company()
    body = accident(company_nib=company["nib"])
    created = (await app_client.post(URL, json=body, headers=token("32.16"))).json()
    nik = body["victims"][0]["nik"]
    found = await app_client.post(f"{URL}/search", json={"nik": nik}, headers=token("32.16"))
    assert found.status_code == 200, found.text
    assert created["id"] in [item["id"] for item in found.json()["items"]]
    assert nik not in found.text
    elsewhere = await app_client.post(f"{URL}/search", json={"nik": nik}, headers=token("32.73"))
    assert elsewhere.json()["items"] == []


async def test_every_mistake_of_an_accident_is_named_in_one_problem(
    app_client: httpx.AsyncClient, token: Headers, accident: Builder
) -> None:
    body = accident(company_nib="9999999999999")  # registered nowhere
    victim = body["victims"][0]
    body["victims"] = [
        victim | {"nik": victim["nik"][:6] + "999999" + victim["nik"][12:]},  # no such date
        victim | {"sex": "F"},  # disagrees with the NIK
    ]
    body["lost_days"] = "3"  # a string is not a number
    response = await app_client.post(URL, json=body, headers=token("32.16"))
    assert response.status_code == 422, response.text
    fields = {e["field"] for e in response.json()["errors"]}
    assert fields == {"company_nib", "victims.0.nik", "victims.1.sex", "lost_days"}
