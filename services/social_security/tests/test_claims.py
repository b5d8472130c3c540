"""Claims: on a program of the client's own membership, in its region, following its changes."""

from __future__ import annotations

import uuid
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
MEMBERSHIPS = "/api/v1/social-security/memberships"
CLAIMS = "/api/v1/social-security/claims"
SUBMITTED = "id.go.kemnaker.sinergi.social_security.claim.submitted.v1"
UPDATED = "id.go.kemnaker.sinergi.social_security.claim.updated.v1"


def claim(membership: dict[str, Any], **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "external_id": f"C-{uuid.uuid4().hex[:10]}",
        "membership_external_id": membership["external_id"],
        "program": "JKK",
        "claimed_at": "2026-08-12",
        "amount_idr": 12_500_000,
        "status": "submitted",
    }
    return body | overrides


async def member(
    client: httpx.AsyncClient, headers: dict[str, str], membership: Builder, **kw: Any
) -> tuple[dict[str, Any], str]:
    body = membership(**kw)
    response = await client.post(MEMBERSHIPS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return body, response.json()["id"]


async def test_claim_upsert_and_its_event(
    app_client: httpx.AsyncClient,
    token: Headers,
    service_settings: Settings,
    outbox_rows: Rows,
    published: Published,
    membership: Builder,
) -> None:
    headers = token("*")
    owner, membership_id = await member(app_client, headers, membership, region_code="12.75")
    body = claim(owner)
    first = await app_client.post(CLAIMS, json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = await app_client.post(CLAIMS, json=body, headers=headers)
    assert again.status_code == 200
    assert again.json() == first.json() | {"change": "unchanged"}
    claim_id = first.json()["id"]
    read = (await app_client.get(f"{CLAIMS}/{claim_id}", headers=headers)).json()
    assert read["region_code"] == "12.75" and read["membership_id"] == membership_id
    record = await published(claim_id)
    assert owner["nik"] not in record["raw"] and owner["full_name"] not in record["raw"]
    assert record["event"]["type"] == SUBMITTED
    assert record["event"]["data"] == {
        "id": claim_id,
        "revision": 1,
        "membership_id": membership_id,
        "person_ref": person_ref(owner["nik"], secret=service_settings.person_ref_secret),
        "region_code": "12.75",
        "program": "JKK",
        "claimed_at": "2026-08-12",
        "amount_idr": 12_500_000,
        "status": "submitted",
    }
    paid = await app_client.post(
        CLAIMS, json=body | {"status": "paid", "amount_idr": 11_000_000}, headers=headers
    )
    assert paid.status_code == 200 and paid.json()["revision"] == 2
    events = await outbox_rows(claim_id)
    assert [e["event_type"] for e in events] == [SUBMITTED, UPDATED]
    latest = events[1]["payload"]["data"]
    assert (latest["revision"], latest["status"], latest["amount_idr"]) == (2, "paid", 11_000_000)


async def test_amounts_beyond_32_bits_are_kept_exactly(
    app_client: httpx.AsyncClient, token: Headers, outbox_rows: Rows, membership: Builder
) -> None:
    headers = token("*")
    owner, _ = await member(app_client, headers, membership, programs=["JHT"])
    body = claim(owner, program="JHT", amount_idr=4_321_000_000)
    created = (await app_client.post(CLAIMS, json=body, headers=headers)).json()
    read = await app_client.get(f"{CLAIMS}/{created['id']}", headers=headers)
    assert read.json()["amount_idr"] == 4_321_000_000
    events = await outbox_rows(created["id"])
    assert events[0]["payload"]["data"]["amount_idr"] == 4_321_000_000


async def test_invalid_claims_get_a_problem_naming_the_field_and_write_nothing(
    app_client: httpx.AsyncClient, token: Headers, count_rows: Count, membership: Builder
) -> None:
    headers = token("*")
    owner, _ = await member(app_client, headers, membership, programs=["JKK", "JHT"])
    base = claim(owner)
    tomorrow = (date.today() + timedelta(days=1)).isoformat()
    cases: dict[str, list[dict[str, Any]]] = {
        "membership_external_id": [base | {"membership_external_id": "M-unknown"}],
        "program": [base | {"program": "JP"}, base | {"program": "JKN"}],
        "claimed_at": [base | {"claimed_at": "2026-02-28"}, base | {"claimed_at": tomorrow}],
        "amount_idr": [base | {"amount_idr": -1}, base | {"amount_idr": 2**63}],
        "status": [base | {"status": "pending"}],
    }
    before = await count_rows("claims"), await count_rows("outbox")
    for field, bodies in cases.items():
        for body in bodies:
            response = await app_client.post(CLAIMS, json=body, headers=headers)
            assert response.status_code == 422, (field, response.text)
            assert response.headers["content-type"] == "application/problem+json"
            assert [e["field"] for e in response.json()["errors"]] == [field], body
    assert (await count_rows("claims"), await count_rows("outbox")) == before
    on_start = await app_client.post(
        CLAIMS, json=base | {"claimed_at": "2026-03-01"}, headers=headers
    )
    assert on_start.status_code == 201, on_start.text


async def test_a_claim_names_a_membership_of_the_same_client(
    app_client: httpx.AsyncClient, token: Headers, membership: Builder
) -> None:
    bpjs = token("*")
    owner, _ = await member(app_client, bpjs, membership)
    regional = token("32.16", client_id="disnaker-bekasi")
    response = await app_client.post(CLAIMS, json=claim(owner), headers=regional)
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "membership_external_id"


async def test_regional_clients_write_and_read_claims_of_their_regions_only(
    app_client: httpx.AsyncClient, token: Headers, count_rows: Count, membership: Builder
) -> None:
    jabar = token("32.16", "32.73", client_id="disnaker-jabar")
    owner, _ = await member(app_client, jabar, membership)
    body = claim(owner)
    created = await app_client.post(CLAIMS, json=body, headers=jabar)
    assert created.status_code == 201, created.text
    claim_id = created.json()["id"]
    # The same client with a token that no longer covers the membership's region.
    bandung_only = token("32.73", client_id="disnaker-jabar")
    before = await count_rows("claims")
    forbidden = await app_client.post(CLAIMS, json=claim(owner), headers=bandung_only)
    assert forbidden.status_code == 403
    assert forbidden.headers["content-type"] == "application/problem+json"
    assert await count_rows("claims") == before
    correction = await app_client.post(
        CLAIMS, json=body | {"status": "approved"}, headers=bandung_only
    )
    assert correction.status_code == 403
    assert (await app_client.get(f"{CLAIMS}/{claim_id}", headers=bandung_only)).status_code == 404
    binjai = token("12.75", client_id="disnaker-binjai")
    assert (await app_client.get(f"{CLAIMS}/{claim_id}", headers=binjai)).status_code == 404
    listing = await app_client.get(CLAIMS, headers=binjai, params={"limit": 500})
    assert claim_id not in {item["id"] for item in listing.json()["items"]}
    assert all(item["region_code"] == "12.75" for item in listing.json()["items"])
    own = await app_client.get(CLAIMS, headers=jabar, params={"external_id": body["external_id"]})
    assert [item["id"] for item in own.json()["items"]] == [claim_id]
    national = await app_client.get(f"{CLAIMS}/{claim_id}", headers=token("*"))
    assert national.status_code == 200 and national.json()["status"] == "submitted"


async def test_claims_follow_their_membership_to_a_new_region_and_person(
    app_client: httpx.AsyncClient,
    token: Headers,
    service_settings: Settings,
    outbox_rows: Rows,
    membership: Builder,
) -> None:
    headers = token("*")
    owner, membership_id = await member(app_client, headers, membership, programs=["JKK", "JHT"])
    jkk = (await app_client.post(CLAIMS, json=claim(owner), headers=headers)).json()
    jht = claim(owner, program="JHT", claimed_at="2026-09-01", amount_idr=30_000_000)
    jht_id = (await app_client.post(CLAIMS, json=jht, headers=headers)).json()["id"]
    # BPJS corrects the membership: the worker belongs to Batang, and the NIK had a typo.
    birth = date(1992, 5, 17)
    nik = nik_for(district="33.25.02", birth_date=birth, sex="M", serial=uuid.uuid4().int % 9000)
    corrected = owner | {"region_code": "33.25", "nik": nik}
    response = await app_client.post(MEMBERSHIPS, json=corrected, headers=headers)
    assert response.status_code == 200 and response.json()["revision"] == 2
    ref = person_ref(nik, secret=service_settings.person_ref_secret)
    for claim_id in (jkk["id"], jht_id):
        events = await outbox_rows(claim_id)
        assert [e["event_type"] for e in events] == [SUBMITTED, UPDATED]
        latest = events[1]["payload"]["data"]
        assert (latest["revision"], latest["region_code"], latest["person_ref"]) == (
            2,
            "33.25",
            ref,
        )
        assert latest["membership_id"] == membership_id
    batang = token("33.25", client_id="disnaker-batang")
    assert (await app_client.get(f"{CLAIMS}/{jht_id}", headers=batang)).status_code == 200
    # A correction that leaves region and person alone does not touch the claims.
    wage = await app_client.post(
        MEMBERSHIPS, json=corrected | {"reported_wage_idr": 6_000_000}, headers=headers
    )
    assert wage.json()["revision"] == 3
    assert len(await outbox_rows(jht_id)) == 2


async def test_listing_filters_claims(
    app_client: httpx.AsyncClient, token: Headers, membership: Builder
) -> None:
    headers = token("*")
    owner, membership_id = await member(app_client, headers, membership, programs=["JKK", "JHT"])
    jkk = (await app_client.post(CLAIMS, json=claim(owner), headers=headers)).json()["id"]
    jht_body = claim(owner, program="JHT", claimed_at="2026-10-02", status="paid")
    jht = (await app_client.post(CLAIMS, json=jht_body, headers=headers)).json()["id"]

    async def found(**params: str) -> list[str]:
        page = await app_client.get(
            CLAIMS, headers=headers, params={"membership_id": membership_id} | params
        )
        return [item["id"] for item in page.json()["items"]]

    assert await found() == [jkk, jht]  # the sync order: least recently changed first
    assert await found(program="JHT") == [jht]
    assert await found(status="submitted") == [jkk]
    assert await found(claimed_from="2026-09-01") == [jht]
    assert await found(claimed_to="2026-09-01") == [jkk]


async def test_tokens_are_required_and_scopes_enforced(
    app_client: httpx.AsyncClient, token: Headers, membership: Builder
) -> None:
    owner, _ = await member(app_client, token("*"), membership)
    assert (await app_client.post(CLAIMS, json=claim(owner))).status_code == 401
    read_only = token("*", scopes=("social-security:read",))
    assert (await app_client.post(CLAIMS, json=claim(owner), headers=read_only)).status_code == 403
    write_only = token("*", scopes=("social-security:write",))
    assert (await app_client.get(CLAIMS, headers=write_only)).status_code == 403
