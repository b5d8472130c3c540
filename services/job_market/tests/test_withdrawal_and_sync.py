"""Retraction and incremental sync on the job-market service: ``DELETE`` withdraws a record
(and publishes its withdrawal), sending it again revives it; every listing filters by
``external_id`` and ``updated_since`` and pages by cursor in the sync order; a placement marks
its job seeker placed."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
from shared.identifiers import nik_for

Headers = Callable[..., dict[str, str]]
Builder = Callable[..., dict[str, Any]]
Outbox = Callable[[str], Awaitable[list[dict[str, Any]]]]
JOB_SEEKERS = "/api/v1/job-market/job-seekers"
VACANCIES = "/api/v1/job-market/vacancies"
PLACEMENTS = "/api/v1/job-market/placements"
IMPORTS = JOB_SEEKERS + "/imports"
WITHDRAWN = "id.go.kemnaker.sinergi.job_market.job_seeker.withdrawn.v1"


def _person(serial: int) -> dict[str, Any]:
    birth = date(1990, 1, 1) + timedelta(days=serial % 3000)
    nik = nik_for(district="32.16.04", birth_date=birth, sex="M", serial=serial % 9000 + 1)
    return {"nik": nik, "birth_date": birth.isoformat(), "sex": "M"}


async def _created(client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any]) -> str:
    answer = await client.post(JOB_SEEKERS, json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _placement(nik: str) -> dict[str, Any]:
    return {
        "external_id": f"P-{uuid.uuid4().hex[:10]}",
        "nik": nik,
        "employer_nib": "9120001234567",
        "placed_at": "2026-10-20",
        "mechanism": "AKL",
        "region_code": "32.16",
    }


async def test_a_withdrawn_record_is_read_with_withdrawn_at_and_left_out_of_listings(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Builder, outbox: Outbox
) -> None:
    headers = token("32.16")
    body = job_seeker()
    record = await _created(app_client, headers, body)

    gone = await app_client.delete(f"{JOB_SEEKERS}/{record}", headers=headers)
    assert gone.status_code == 204, gone.text
    read = (await app_client.get(f"{JOB_SEEKERS}/{record}", headers=headers)).json()
    assert read["withdrawn_at"] is not None and read["revision"] == 2
    listed = await app_client.get(
        JOB_SEEKERS, params={"external_id": body["external_id"]}, headers=headers
    )
    assert listed.json()["items"] == []
    with_withdrawn = await app_client.get(
        JOB_SEEKERS,
        params={"external_id": body["external_id"], "include_withdrawn": "true"},
        headers=headers,
    )
    assert [r["id"] for r in with_withdrawn.json()["items"]] == [record]

    again = await app_client.delete(f"{JOB_SEEKERS}/{record}", headers=headers)
    assert again.status_code == 204
    events = await outbox(record)
    assert [e["event_type"] for e in events].count(WITHDRAWN) == 1  # withdrawn once
    withdrawal = next(e["payload"] for e in events if e["event_type"] == WITHDRAWN)
    assert withdrawal["data"]["revision"] == 2 and withdrawal["data"]["region_code"] == "32.16"
    assert "nik" not in withdrawal["data"] and "full_name" not in withdrawal["data"]


async def test_sending_a_withdrawn_record_again_revives_it_as_a_new_revision(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Builder, outbox: Outbox
) -> None:
    headers = token("32.16")
    body = job_seeker()
    record = await _created(app_client, headers, body)
    await app_client.delete(f"{JOB_SEEKERS}/{record}", headers=headers)

    revived = await app_client.post(JOB_SEEKERS, json=body, headers=headers)
    assert revived.status_code == 200 and revived.json()["id"] == record
    assert revived.json()["revision"] == 3 and revived.json()["change"] == "updated"
    read = (await app_client.get(f"{JOB_SEEKERS}/{record}", headers=headers)).json()
    assert read["withdrawn_at"] is None
    events = [e["event_type"].rsplit(".", 2)[-2] for e in await outbox(record)]
    assert events == ["registered", "withdrawn", "updated"]


async def test_only_the_sender_withdraws_and_only_inside_its_regions(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Builder
) -> None:
    record = await _created(app_client, token("32.16"), job_seeker())
    other_region = await app_client.delete(f"{JOB_SEEKERS}/{record}", headers=token("12.75"))
    assert other_region.status_code == 404
    other_client = await app_client.delete(
        f"{JOB_SEEKERS}/{record}", headers=token("32.16", client_id="another-client")
    )
    assert other_client.status_code == 403
    read_only = await app_client.delete(
        f"{JOB_SEEKERS}/{record}", headers=token("32.16", scopes=("job-market:read",))
    )
    assert read_only.status_code == 403
    unknown = await app_client.delete(f"{JOB_SEEKERS}/{uuid.uuid4()}", headers=token("32.16"))
    assert unknown.status_code == 404
    read = (await app_client.get(f"{JOB_SEEKERS}/{record}", headers=token("32.16"))).json()
    assert read["withdrawn_at"] is None


async def test_an_import_with_mode_withdraw_withdraws_by_external_id(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Builder
) -> None:
    headers = token("32.16")
    bodies = [job_seeker(**_person(serial)) for serial in range(901, 904)]
    ids = [await _created(app_client, headers, b) for b in bodies]
    csv = "external_id\n" + "".join(f"{b['external_id']}\n" for b in bodies[:2]) + "NO-SUCH\n"
    answer = await app_client.post(
        IMPORTS,
        params={"mode": "withdraw"},
        content=csv.encode(),
        headers=headers | {"Content-Type": "text/csv", "Prefer": "wait=30"},
    )
    assert answer.status_code == 200, answer.text
    job = answer.json()
    assert job["status"] == "done" and job["mode"] == "withdraw"
    assert job["summary"]["withdrawn"] == 2 and job["summary"]["rejected"] == 1
    assert [(c["index"], c["field"], c["code"]) for c in job["conflicts"]] == [
        (3, "external_id", "not_found")
    ]
    reads = [(await app_client.get(f"{JOB_SEEKERS}/{i}", headers=headers)).json() for i in ids]
    assert [r["withdrawn_at"] is not None for r in reads] == [True, True, False]


async def test_a_listing_pages_by_cursor_in_the_sync_order_without_gaps_or_repeats(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Builder
) -> None:
    headers = token("32.15")  # a region of its own: only this test's records
    since = datetime.now(UTC).isoformat()
    made = {
        await _created(app_client, headers, job_seeker(region_code="32.15", **_person(s)))
        for s in range(1001, 1012)
    }
    seen: list[dict[str, Any]] = []
    link: str | None = JOB_SEEKERS + "?limit=4&count=true&region_code=32.15"
    pages = 0
    while link is not None:
        page = (await app_client.get(link, headers=headers)).json()
        assert page["total"] == 11 and len(page["items"]) <= 4
        seen += page["items"]
        link, pages = page["next"], pages + 1
    assert pages == 3 and {r["id"] for r in seen} == made and len(seen) == 11
    order = [(r["updated_at"], r["id"]) for r in seen]
    assert order == sorted(order)

    # Yesterday's sync: what changed since then (a correction moves the record to the end).
    corrected = seen[0]
    fixed = job_seeker(region_code="32.15", **_person(1001)) | {"skills": ["Las"]}
    fixed["external_id"] = (
        await app_client.get(f"{JOB_SEEKERS}/{corrected['id']}", headers=headers)
    ).json()["external_id"]
    await app_client.post(JOB_SEEKERS, json=fixed, headers=headers)
    after = seen[-1]["updated_at"]
    changed = await app_client.get(
        JOB_SEEKERS, params={"updated_since": after, "region_code": "32.15"}, headers=headers
    )
    assert [r["id"] for r in changed.json()["items"]][-1] == corrected["id"]
    assert changed.json()["total"] is None  # counted only when asked
    everything = await app_client.get(
        JOB_SEEKERS, params={"updated_since": since, "region_code": "32.15"}, headers=headers
    )
    assert len(everything.json()["items"]) == 11


async def test_bad_sync_parameters_are_a_422_naming_them(
    app_client: httpx.AsyncClient, token: Headers
) -> None:
    for params, field in [
        ({"updated_since": "2026-12-01"}, "updated_since"),
        ({"updated_since": "1699920000"}, "updated_since"),
        ({"updated_since": "2026-12-01T00:00:00"}, "updated_since"),
        ({"cursor": "not-a-cursor"}, "cursor"),
        ({"offset": "10"}, "offset"),
    ]:
        answer = await app_client.get(JOB_SEEKERS, params=params, headers=token("32.16"))
        assert answer.status_code == 422, (params, answer.text)
        assert any(field in e["field"] for e in answer.json()["errors"]), answer.json()


async def test_vacancies_and_placements_filter_by_external_id(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Builder
) -> None:
    headers = token("32.16")
    person = _person(1201)
    seeker = await _created(app_client, headers, job_seeker(**person))
    posts = [
        {
            "external_id": f"V-{uuid.uuid4().hex[:10]}",
            "employer_nib": "9120001234567",
            "employer_name": "PT Maju Bersama",
            "kbli_code": "10792",
            "occupation_code": "8160",
            "title": "Operator produksi",
            "positions": 3,
            "region_code": "32.16",
            "posted_at": "2026-10-01",
        }
        for _ in range(2)
    ]
    for post in posts:
        assert (await app_client.post(VACANCIES, json=post, headers=headers)).status_code == 201
    found = await app_client.get(
        VACANCIES, params={"external_id": posts[1]["external_id"]}, headers=headers
    )
    assert [v["external_id"] for v in found.json()["items"]] == [posts[1]["external_id"]]

    placement = _placement(person["nik"])
    assert (await app_client.post(PLACEMENTS, json=placement, headers=headers)).status_code == 201
    found = await app_client.get(
        PLACEMENTS, params={"external_id": placement["external_id"]}, headers=headers
    )
    assert [p["external_id"] for p in found.json()["items"]] == [placement["external_id"]]
    none = await app_client.get(PLACEMENTS, params={"external_id": "NO-SUCH"}, headers=headers)
    assert none.json()["items"] == []

    # The placement made its job seeker "placed" (a new revision).
    read = (await app_client.get(f"{JOB_SEEKERS}/{seeker}", headers=headers)).json()
    assert read["status"] == "placed" and read["revision"] == 2


async def test_a_withdrawn_job_seeker_is_not_a_placements_reference(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Builder
) -> None:
    headers = token("32.16")
    person = _person(1301)
    seeker = await _created(app_client, headers, job_seeker(**person))
    await app_client.delete(f"{JOB_SEEKERS}/{seeker}", headers=headers)
    placement = _placement(person["nik"])
    answer = await app_client.post(PLACEMENTS, json=placement, headers=headers)
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["nik"]


async def test_a_job_seeker_placed_by_a_withdrawn_placement_alone_is_active_again(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Builder
) -> None:
    headers = token("32.16")
    person = _person(1401)
    seeker = await _created(app_client, headers, job_seeker(**person))

    async def placed() -> str:
        answer = await app_client.post(PLACEMENTS, json=_placement(person["nik"]), headers=headers)
        assert answer.status_code == 201, answer.text
        return str(answer.json()["id"])

    async def status() -> str:
        return str(
            (await app_client.get(f"{JOB_SEEKERS}/{seeker}", headers=headers)).json()["status"]
        )

    first, second = await placed(), await placed()
    assert await status() == "placed"
    await app_client.delete(f"{PLACEMENTS}/{first}", headers=headers)
    assert await status() == "placed"  # still placed by the second
    await app_client.delete(f"{PLACEMENTS}/{second}", headers=headers)
    assert await status() == "active"
