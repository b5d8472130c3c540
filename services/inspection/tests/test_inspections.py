"""Inspections and their findings: the company link, corrections, field checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import httpx

Headers = Callable[..., dict[str, str]]
Builder = Callable[..., dict[str, Any]]
Register = Callable[..., Awaitable[dict[str, Any]]]
Outbox = Callable[[str], Awaitable[list[dict[str, Any]]]]
COMPANIES = "/api/v1/inspection/companies"
URL = "/api/v1/inspection/inspections"


async def test_an_inspection_is_recorded_once_and_its_event_carries_the_findings(
    app_client: httpx.AsyncClient,
    token: Headers,
    inspection: Builder,
    registered_company: Register,
    outbox_events: Outbox,
) -> None:
    nib = (await registered_company())["nib"]
    body = inspection(company_nib=nib)
    first = await app_client.post(URL, json=body, headers=token("32.16"))
    assert first.status_code == 201, first.text
    again = await app_client.post(URL, json=body, headers=token("32.16"))
    assert again.status_code == 200
    assert again.json() == first.json() | {"change": "unchanged"}
    events = await outbox_events(first.json()["id"])
    assert [e["event_type"] for e in events] == [
        "id.go.kemnaker.sinergi.inspection.inspection.recorded.v1"
    ]
    assert events[0]["payload"]["data"] == {
        "id": first.json()["id"],
        "revision": 1,
        "company_nib": nib,
        "region_code": "32.16",
        "inspected_at": "2026-09-15",
        "type": "routine",
        "findings": [
            {"norm": "wages", "status": "notice_1"},
            {"norm": "k3", "status": "open"},
        ],
    }
    read = (await app_client.get(f"{URL}/{first.json()['id']}", headers=token("32.16"))).json()
    assert read["findings"] == body["findings"] and read["inspector_name"] == "Budi Santoso"


async def test_resolving_a_finding_is_a_new_revision_with_the_whole_state(
    app_client: httpx.AsyncClient,
    token: Headers,
    inspection: Builder,
    registered_company: Register,
    outbox_events: Outbox,
) -> None:
    nib = (await registered_company())["nib"]
    body = inspection(company_nib=nib)
    created = (await app_client.post(URL, json=body, headers=token("32.16"))).json()
    findings = [{"norm": "wages", "status": "resolved"}, {"norm": "k3", "status": "notice_2"}]
    later = await app_client.post(URL, json=body | {"findings": findings}, headers=token("32.16"))
    assert later.status_code == 200
    assert later.json() == created | {"revision": 2, "change": "updated"}
    events = await outbox_events(created["id"])
    assert events[1]["event_type"] == "id.go.kemnaker.sinergi.inspection.inspection.updated.v1"
    assert events[1]["payload"]["data"]["revision"] == 2
    assert events[1]["payload"]["data"]["findings"] == findings
    resolved = await app_client.get(
        URL, params={"finding_status": "resolved", "company_nib": nib}, headers=token("32.16")
    )
    assert [i["id"] for i in resolved.json()["items"]] == [created["id"]]
    still_open = await app_client.get(
        URL, params={"finding_status": "open", "company_nib": nib}, headers=token("32.16")
    )
    assert still_open.json()["items"] == []


async def test_an_inspection_without_violations_has_no_findings(
    app_client: httpx.AsyncClient, token: Headers, inspection: Builder, registered_company: Register
) -> None:
    nib = (await registered_company())["nib"]
    body = inspection(company_nib=nib, type="k3_test")
    del body["findings"]
    created = await app_client.post(URL, json=body, headers=token("32.16"))
    assert created.status_code == 201, created.text
    read = (await app_client.get(f"{URL}/{created.json()['id']}", headers=token("32.16"))).json()
    assert read["findings"] == [] and read["type"] == "k3_test"


async def test_the_company_record_of_the_inspected_region_is_linked(
    app_client: httpx.AsyncClient, token: Headers, inspection: Builder, company: Builder
) -> None:
    # The ministry's WLKP feed and a region may both report the same NIB, in two regions.
    bekasi = company()
    ministry = token("*", client_id="wlkp-kemnaker")
    await app_client.post(COMPANIES, json=bekasi, headers=ministry)
    bandung = await app_client.post(
        COMPANIES, json=bekasi | {"region_code": "32.73"}, headers=token("32.73")
    )
    assert bandung.status_code == 201, bandung.text
    body = inspection(company_nib=bekasi["nib"], region_code="32.73")
    created = await app_client.post(URL, json=body, headers=token("32.73"))
    assert created.status_code == 201, created.text
    read = (await app_client.get(f"{URL}/{created.json()['id']}", headers=token("32.73"))).json()
    assert read["company_id"] == bandung.json()["id"]
    elsewhere = await app_client.post(
        URL, json=inspection(company_nib=bekasi["nib"]), headers=token("32.16")
    )
    assert elsewhere.status_code == 201, elsewhere.text


async def test_invalid_inspections_get_a_problem_naming_the_field_and_write_nothing(
    app_client: httpx.AsyncClient,
    token: Headers,
    inspection: Builder,
    registered_company: Register,
    count_rows: Callable[[str], Awaitable[int]],
) -> None:
    nib = (await registered_company())["nib"]
    base = inspection(company_nib=nib)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    cases = {
        "company_nib": base | {"company_nib": "9199999999999"},
        "findings.1.status": base
        | {"findings": [{"norm": "wages", "status": "open"}, {"norm": "k3", "status": "done"}]},
        "findings.0.norm": base | {"findings": [{"norm": "overtime", "status": "open"}]},
        "type": base | {"type": "audit"},
        "inspected_at": base | {"inspected_at": tomorrow},
        "region_code": base | {"region_code": "99.99"},
        "external_id": base | {"external_id": ""},
    }
    before = await count_rows("inspections"), await count_rows("outbox")
    for field, body in cases.items():
        response = await app_client.post(URL, json=body, headers=token("32.16"))
        assert response.status_code == 422, (field, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field]
    assert (await count_rows("inspections"), await count_rows("outbox")) == before
