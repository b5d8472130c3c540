"""Memberships through the service API on real PostgreSQL, with the outbox reaching Kafka."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import httpx
from shared.identifiers import nik_for, person_ref
from shared.settings import Settings

Headers = Callable[..., dict[str, str]]
Builder = Callable[..., dict[str, Any]]
Rows = Callable[[str], Awaitable[list[dict[str, Any]]]]
Count = Callable[[str], Awaitable[int]]
Published = Callable[[str], Awaitable[dict[str, Any]]]
URL = "/api/v1/social-security/memberships"
REGISTERED = "id.go.kemnaker.sinergi.social_security.membership.registered.v1"
UPDATED = "id.go.kemnaker.sinergi.social_security.membership.updated.v1"


async def test_first_write_creates_and_replay_returns_same_id(
    app_client: httpx.AsyncClient, token: Headers, outbox_rows: Rows, membership: Builder
) -> None:
    body = membership()
    first = await app_client.post(URL, json=body, headers=token("*"))
    assert first.status_code == 201, first.text
    assert first.json()["change"] == "created" and first.json()["revision"] == 1
    again = await app_client.post(URL, json=body, headers=token("*"))
    assert again.status_code == 200
    assert again.json() == first.json() | {"change": "unchanged"}
    # The same programs in another order are the same membership.
    reordered = body | {"programs": ["JHT", "JKM", "JKK"]}
    same = await app_client.post(URL, json=reordered, headers=token("*"))
    assert same.status_code == 200 and same.json()["change"] == "unchanged"
    events = await outbox_rows(first.json()["id"])
    assert [e["event_type"] for e in events] == [REGISTERED]


async def test_the_event_carries_the_whole_state_without_nik_or_name(
    app_client: httpx.AsyncClient,
    token: Headers,
    service_settings: Settings,
    published: Published,
    membership: Builder,
) -> None:
    body = membership(
        programs=["JP", "JKK", "JHT", "JKM"],
        kpj_number="12345678901",
        employer_npp="87654321",
        reported_wage_idr=5_250_000,
    )
    created = (await app_client.post(URL, json=body, headers=token("*"))).json()
    record = await published(created["id"])
    assert body["nik"] not in record["raw"] and body["full_name"] not in record["raw"]
    assert body["kpj_number"] not in record["raw"]
    event = record["event"]
    assert event["type"] == REGISTERED
    assert event["source"] == "/sinergi/social-security"
    assert event["subject"] == created["id"]
    assert event["data"] == {
        "id": created["id"],
        "revision": 1,
        "person_ref": person_ref(body["nik"], secret=service_settings.person_ref_secret),
        "employer_nib": "9120001234567",
        "region_code": "32.16",
        "sex": "M",
        "birth_year": 1992,
        "programs": ["JHT", "JKK", "JKM", "JP"],
        "status": "active",
        "started_at": "2026-03-01",
        "ended_at": None,
    }


async def test_ending_a_membership_bumps_revision_and_publishes_an_update(
    app_client: httpx.AsyncClient, token: Headers, outbox_rows: Rows, membership: Builder
) -> None:
    body = membership()
    created = (await app_client.post(URL, json=body, headers=token("*"))).json()
    ended = await app_client.post(
        URL, json=body | {"status": "inactive", "ended_at": "2026-09-30"}, headers=token("*")
    )
    assert ended.status_code == 200
    assert ended.json() == created | {"revision": 2, "change": "updated"}
    events = await outbox_rows(created["id"])
    assert [e["event_type"] for e in events] == [REGISTERED, UPDATED]
    latest = events[1]["payload"]["data"]
    assert (latest["revision"], latest["status"], latest["ended_at"]) == (
        2,
        "inactive",
        "2026-09-30",
    )
    read = await app_client.get(f"{URL}/{created['id']}", headers=token("*"))
    assert read.json()["status"] == "inactive" and read.json()["revision"] == 2


async def test_a_regional_client_moving_a_record_between_its_regions(
    app_client: httpx.AsyncClient, token: Headers, outbox_rows: Rows, membership: Builder
) -> None:
    headers = token("32.16", "32.73", client_id="disnaker-jabar")
    body = membership()
    created = (await app_client.post(URL, json=body, headers=headers)).json()
    moved = await app_client.post(URL, json=body | {"region_code": "3273"}, headers=headers)
    assert moved.status_code == 200 and moved.json()["revision"] == 2
    events = await outbox_rows(created["id"])
    assert [e["payload"]["data"]["region_code"] for e in events] == ["32.16", "32.73"]


async def test_write_outside_token_regions_is_forbidden(
    app_client: httpx.AsyncClient, token: Headers, count_rows: Count, membership: Builder
) -> None:
    before = await count_rows("memberships")
    headers = token("32.73", client_id="disnaker-bandung")
    response = await app_client.post(URL, json=membership(), headers=headers)
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert "32.16" in response.json()["detail"]
    assert await count_rows("memberships") == before


async def test_a_record_stays_with_its_region_when_the_token_loses_it(
    app_client: httpx.AsyncClient, token: Headers, membership: Builder
) -> None:
    body = membership()
    wide = token("32.16", "32.73", client_id="disnaker-jabar")
    assert (await app_client.post(URL, json=body, headers=wide)).status_code == 201
    narrow = token("32.73", client_id="disnaker-jabar")
    response = await app_client.post(URL, json=body | {"region_code": "32.73"}, headers=narrow)
    assert response.status_code == 403


async def test_invalid_records_get_a_problem_naming_the_field_and_write_nothing(
    app_client: httpx.AsyncClient, token: Headers, count_rows: Count, membership: Builder
) -> None:
    base = membership()
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    cases: dict[str, list[dict[str, Any]]] = {
        "nik": [base | {"nik": "12345"}],
        "birth_date": [base | {"birth_date": "1992-05-18"}],
        "sex": [base | {"sex": "F"}],
        "region_code": [base | {"region_code": "99.99"}],
        "employer_nib": [base | {"employer_nib": "912000"}],
        "programs": [base | {"programs": []}, base | {"programs": ["JKK", "JHT", "JKK"]}],
        "programs.1": [base | {"programs": ["JKK", "JKN"]}],
        "status": [base | {"status": "suspended"}],
        "started_at": [base | {"started_at": tomorrow}],
        "ended_at": [
            base | {"ended_at": "2026-02-28"},
            base | {"status": "inactive"},
            base | {"status": "inactive", "ended_at": None},
        ],
        "kpj_number": [base | {"kpj_number": "1234567890"}],
        "employer_npp": [base | {"employer_npp": "NPP-1234"}],
        "reported_wage_idr": [base | {"reported_wage_idr": -1}],
    }
    before = await count_rows("memberships"), await count_rows("outbox")
    for field, bodies in cases.items():
        for body in bodies:
            response = await app_client.post(URL, json=body, headers=token("*"))
            assert response.status_code == 422, (field, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert [e["field"] for e in response.json()["errors"]] == [field], body
    assert (await count_rows("memberships"), await count_rows("outbox")) == before
    listing = await app_client.get(
        URL, params={"external_id": base["external_id"]}, headers=token("*")
    )
    assert listing.json()["items"] == []


async def test_a_membership_may_end_on_the_day_it_started(
    app_client: httpx.AsyncClient, token: Headers, membership: Builder
) -> None:
    body = membership(status="inactive", started_at="2026-04-01", ended_at="2026-04-01")
    response = await app_client.post(URL, json=body, headers=token("*"))
    assert response.status_code == 201, response.text


async def test_wages_beyond_32_bits_are_kept_exactly(
    app_client: httpx.AsyncClient, token: Headers, membership: Builder
) -> None:
    body = membership(reported_wage_idr=3_000_000_000)
    created = (await app_client.post(URL, json=body, headers=token("*"))).json()
    read = await app_client.get(f"{URL}/{created['id']}", headers=token("*"))
    assert read.json()["reported_wage_idr"] == 3_000_000_000


async def test_reads_are_scoped_to_the_token_regions(
    app_client: httpx.AsyncClient, token: Headers, membership: Builder
) -> None:
    bekasi_client = token("32.16", client_id="disnaker-bekasi")
    bekasi = (await app_client.post(URL, json=membership(), headers=bekasi_client)).json()
    binjai_body = membership(region_code="12.75")
    binjai = (await app_client.post(URL, json=binjai_body, headers=token("*"))).json()
    own = await app_client.get(f"{URL}/{bekasi['id']}", headers=bekasi_client)
    assert own.status_code == 200
    assert not any("nik" in key for key in own.json()) and "person_ref" not in own.json()
    bandung = token("32.73", client_id="disnaker-bandung")
    other = await app_client.get(f"{URL}/{bekasi['id']}", headers=bandung)
    assert other.status_code == 404
    assert other.headers["content-type"] == "application/problem+json"
    listing = await app_client.get(URL, headers=bekasi_client, params={"limit": 500})
    ids = {item["id"] for item in listing.json()["items"]}
    assert bekasi["id"] in ids and binjai["id"] not in ids
    assert all(item["region_code"] == "32.16" for item in listing.json()["items"])
    filtered = await app_client.get(URL, headers=bekasi_client, params={"region_code": "12.75"})
    assert filtered.json()["items"] == []
    ministry = await app_client.get(URL, headers=token("*"), params={"limit": 500})
    national_ids = {item["id"] for item in ministry.json()["items"]}
    assert {bekasi["id"], binjai["id"]} <= national_ids
    assert (await app_client.get(f"{URL}/{binjai['id']}", headers=token("*"))).status_code == 200


async def test_listing_filters_by_program_status_and_employer(
    app_client: httpx.AsyncClient, token: Headers, membership: Builder
) -> None:
    employer = "9129990000001"
    headers = token("*")
    with_jp = membership(employer_nib=employer, programs=["JKK", "JP"])
    without_jp = membership(employer_nib=employer, programs=["JKK", "JKM"])
    ended = membership(
        employer_nib=employer, programs=["JP"], status="inactive", ended_at="2026-06-30"
    )
    ids = {}
    for name, body in (("with_jp", with_jp), ("without_jp", without_jp), ("ended", ended)):
        ids[name] = (await app_client.post(URL, json=body, headers=headers)).json()["id"]

    async def found(**params: str) -> set[str]:
        page = await app_client.get(
            URL, headers=headers, params={"employer_nib": employer} | params
        )
        return {item["id"] for item in page.json()["items"]}

    assert await found() == set(ids.values())
    assert await found(program="JP") == {ids["with_jp"], ids["ended"]}
    assert await found(program="JP", status="active") == {ids["with_jp"]}
    bad = await app_client.get(URL, headers=headers, params={"program": "BPJS"})
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "query.program"


async def test_a_woman_born_in_2004_is_accepted(
    app_client: httpx.AsyncClient, token: Headers, membership: Builder
) -> None:
    # python-stdnum reads the NIK's year as 1904; the record's 2004 must still agree.
    birth = date(2004, 2, 29)
    nik = nik_for(district="33.25.01", birth_date=birth, sex="F", serial=3)
    body = membership(nik=nik, birth_date=birth.isoformat(), sex="F", region_code="33.25")
    response = await app_client.post(URL, json=body, headers=token("*"))
    assert response.status_code == 201, response.text


async def test_tokens_are_required_and_scopes_enforced(
    app_client: httpx.AsyncClient, token: Headers, membership: Builder
) -> None:
    assert (await app_client.post(URL, json=membership())).status_code == 401
    bad = {"Authorization": "Bearer not-a-jwt"}
    assert (await app_client.post(URL, json=membership(), headers=bad)).status_code == 401
    assert (await app_client.get(URL, headers=bad)).status_code == 401
    read_only = token("*", scopes=("social-security:read",))
    assert (await app_client.post(URL, json=membership(), headers=read_only)).status_code == 403
    other_domain = token("*", scopes=("job-market:read", "job-market:write"))
    assert (await app_client.get(URL, headers=other_domain)).status_code == 403
    assert (await app_client.post(URL, json=membership(), headers=other_domain)).status_code == 403


async def test_search_by_nik_in_the_body_finds_the_callers_memberships_only(
    app_client: httpx.AsyncClient, token: Headers, membership: Builder
) -> None:
    body = membership()
    created = (await app_client.post(URL, json=body, headers=token("32.16"))).json()
    found = await app_client.post(
        f"{URL}/search", json={"nik": body["nik"]}, headers=token("32.16")
    )
    assert found.status_code == 200, found.text
    assert created["id"] in [item["id"] for item in found.json()["items"]]
    assert body["nik"] not in found.text
    elsewhere = await app_client.post(
        f"{URL}/search", json={"nik": body["nik"]}, headers=token("32.73")
    )
    assert elsewhere.json()["items"] == []
