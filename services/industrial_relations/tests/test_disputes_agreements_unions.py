"""Disputes, agreements and unions: upserts and corrections with their events, the rules
that tie their fields together (named in one 422), listings and filters, and region scoping
of every collection."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx
import pytest

Headers = Callable[..., dict[str, str]]
Builder = Callable[..., dict[str, Any]]
Outbox = Callable[[str], Awaitable[list[dict[str, Any]]]]
BASE = "/api/v1/industrial-relations"


async def test_a_dispute_settles_as_a_new_revision_of_the_same_record(
    app_client: httpx.AsyncClient, token: Headers, dispute: Builder, outbox_events: Outbox
) -> None:
    body = dispute()
    created = await app_client.post(f"{BASE}/disputes", json=body, headers=token("32.16"))
    assert created.status_code == 201, created.text
    settled = body | {
        "stage": "mediation",
        "status": "settled",
        "settled_at": "2026-09-14",
        "settlement": "joint_agreement",
    }
    answer = await app_client.post(f"{BASE}/disputes", json=settled, headers=token("32.16"))
    assert answer.json() == created.json() | {"revision": 2, "change": "updated"}
    events = await outbox_events(created.json()["id"])
    assert [e["event_type"].rsplit(".", 2)[-2] for e in events] == ["recorded", "updated"]
    assert events[-1]["payload"]["data"] | {} == {
        "id": created.json()["id"],
        "revision": 2,
        "employer_nib": body["employer_nib"],
        "region_code": "32.16",
        "registered_at": "2026-08-03",
        "type": "rights",
        "stage": "mediation",
        "status": "settled",
        "settled_at": "2026-09-14",
        "settlement": "joint_agreement",
        "workers_involved": 37,
    }
    listed = await app_client.get(
        f"{BASE}/disputes", params={"status": "settled", "limit": 500}, headers=token("32.16")
    )
    assert created.json()["id"] in {item["id"] for item in listed.json()["items"]}


@pytest.mark.parametrize(
    ("fields", "named"),
    [
        # Settled without saying when or how.
        ({"status": "settled"}, {"settled_at", "settlement"}),
        # Open with a settlement, settled before it was registered.
        (
            {"status": "open", "settlement": "joint_agreement", "settled_at": "2026-08-01"},
            {"settled_at", "settlement"},
        ),
        # Decided at the bipartite stage (only arbitration or the court decides).
        (
            {"status": "decided", "settled_at": "2026-09-01", "settlement": "court_decision"},
            {"settlement"},
        ),
        # Wrong JSON types and an unknown field, with a rule problem, all at once.
        (
            {"workers_involved": "37", "type": "wages", "stage": 2, "comment": "x"},
            {"workers_involved", "type", "stage", "comment"},
        ),
    ],
)
async def test_a_dispute_names_every_field_that_disagrees(
    app_client: httpx.AsyncClient,
    token: Headers,
    dispute: Builder,
    count_rows: Callable[..., Awaitable[int]],
    fields: dict[str, Any],
    named: set[str],
) -> None:
    before = await count_rows("disputes")
    answer = await app_client.post(
        f"{BASE}/disputes", json=dispute(**fields), headers=token("32.16")
    )
    assert answer.status_code == 422, answer.text
    assert {error["field"] for error in answer.json()["errors"]} == named
    assert await count_rows("disputes") == before


async def test_an_agreement_is_valid_no_longer_than_the_law_allows(
    app_client: httpx.AsyncClient, token: Headers, agreement: Builder
) -> None:
    # A PKB: 2 years, extended once by at most 1 (3 in all); a PP: 2 years.
    three_years = agreement(valid_from="2026-08-01", valid_until="2029-07-31")
    assert (
        await app_client.post(f"{BASE}/agreements", json=three_years, headers=token("32.16"))
    ).status_code == 201
    for body in (
        agreement(valid_from="2026-08-01", valid_until="2029-08-01"),
        agreement(kind="pp", valid_from="2026-08-01", valid_until="2028-08-01"),
        agreement(valid_from="2026-08-01", valid_until="2026-07-31"),
    ):
        answer = await app_client.post(f"{BASE}/agreements", json=body, headers=token("32.16"))
        assert answer.status_code == 422, body
        assert [e["field"] for e in answer.json()["errors"]] == ["valid_until"]


async def test_agreements_in_force_on_a_day_are_listed(
    app_client: httpx.AsyncClient, token: Headers, agreement: Builder
) -> None:
    early = agreement(
        valid_from="2025-01-01", valid_until="2025-12-31", employer_nib="9120009990001"
    )
    late = agreement(
        valid_from="2026-01-01", valid_until="2027-12-31", employer_nib="9120009990001"
    )
    ids = {}
    for body in (early, late):
        answer = await app_client.post(f"{BASE}/agreements", json=body, headers=token("32.16"))
        ids[body["external_id"]] = answer.json()["id"]
    listed = await app_client.get(
        f"{BASE}/agreements",
        params={"employer_nib": "9120009990001", "in_force_on": "2026-03-01"},
        headers=token("32.16"),
    )
    assert [item["id"] for item in listed.json()["items"]] == [ids[late["external_id"]]]


async def test_a_union_records_its_members_and_refuses_a_negative_count(
    app_client: httpx.AsyncClient, token: Headers, union: Builder, outbox_events: Outbox
) -> None:
    body = union()
    created = await app_client.post(f"{BASE}/unions", json=body, headers=token("32.16"))
    assert created.status_code == 201, created.text
    event = (await outbox_events(created.json()["id"]))[0]["payload"]["data"]
    assert event["members"] == 412 and "name" not in event
    negative = await app_client.post(
        f"{BASE}/unions", json=union(members=-1), headers=token("32.16")
    )
    assert negative.status_code == 422
    assert [e["field"] for e in negative.json()["errors"]] == ["members"]


@pytest.mark.parametrize("collection", ["layoffs", "disputes", "agreements", "unions"])
async def test_every_collection_keeps_to_the_token_regions(
    app_client: httpx.AsyncClient,
    token: Headers,
    layoff: Builder,
    dispute: Builder,
    agreement: Builder,
    union: Builder,
    collection: str,
) -> None:
    build = {"layoffs": layoff, "disputes": dispute, "agreements": agreement, "unions": union}
    url = f"{BASE}/{collection}"
    body = build[collection]()
    created = await app_client.post(url, json=body, headers=token("32.16"))
    assert created.status_code == 201, created.text
    record = created.json()["id"]

    # Bandung's client may not write Bekasi's records, nor move one into Bekasi.
    forbidden = await app_client.post(url, json=build[collection](), headers=token("32.73"))
    assert forbidden.status_code == 403
    # It does not see Bekasi's record, by id or in a listing.
    assert (await app_client.get(f"{url}/{record}", headers=token("32.73"))).status_code == 404
    listed = await app_client.get(url, params={"limit": 500}, headers=token("32.73"))
    assert record not in {item["id"] for item in listed.json()["items"]}
    # Nor withdraws it.
    assert (await app_client.delete(f"{url}/{record}", headers=token("32.73"))).status_code == 404
    # A token without the domain's scopes reads nothing.
    other = token("32.16", scopes=("job-market:read",))
    assert (await app_client.get(f"{url}/{record}", headers=other)).status_code == 403


# A correction of each collection: the field changed and its new value in the event.
CORRECTIONS: dict[str, tuple[str, Any]] = {
    "disputes": ("stage", "mediation"),
    "agreements": ("workers_covered", 655),
    "unions": ("members", 430),
}


@pytest.mark.parametrize("collection", sorted(CORRECTIONS))
async def test_each_record_is_written_once_corrected_as_revision_2_and_withdrawn(
    app_client: httpx.AsyncClient,
    token: Headers,
    dispute: Builder,
    agreement: Builder,
    union: Builder,
    outbox_events: Outbox,
    collection: str,
) -> None:
    build = {"disputes": dispute, "agreements": agreement, "unions": union}
    url = f"{BASE}/{collection}"
    body = build[collection]()
    created = await app_client.post(url, json=body, headers=token("32.16"))
    assert created.status_code == 201, created.text
    assert created.json()["revision"] == 1 and created.json()["change"] == "created"
    record = created.json()["id"]

    again = await app_client.post(url, json=body, headers=token("32.16"))
    assert again.status_code == 200
    assert again.json() == created.json() | {"change": "unchanged"}

    field, value = CORRECTIONS[collection]
    corrected = await app_client.post(url, json=body | {field: value}, headers=token("32.16"))
    assert corrected.status_code == 200
    assert corrected.json() == created.json() | {"revision": 2, "change": "updated"}
    read = await app_client.get(f"{url}/{record}", headers=token("32.16"))
    assert read.json()[field] == value and read.json()["revision"] == 2

    gone = await app_client.delete(f"{url}/{record}", headers=token("32.16"))
    assert gone.status_code == 204, gone.text
    # Read back marked withdrawn (a new revision), and left out of the listing.
    withdrawn = (await app_client.get(f"{url}/{record}", headers=token("32.16"))).json()
    assert withdrawn["withdrawn_at"] is not None and withdrawn["revision"] == 3
    listed = await app_client.get(url, params={"limit": 500}, headers=token("32.16"))
    assert record not in {item["id"] for item in listed.json()["items"]}

    events = await outbox_events(record)
    assert [e["event_type"].rsplit(".", 2)[-2] for e in events] == [
        "recorded",
        "updated",
        "withdrawn",
    ]
    assert events[1]["payload"]["data"][field] == value
    assert events[1]["payload"]["data"]["revision"] == 2


# Each collection's unknown field, JSON-typed-wrong field and out-of-range number.
LAX: dict[str, dict[str, Any]] = {
    "disputes": {"note": "x", "registered_at": 20260803, "workers_involved": 0},
    "agreements": {"note": "x", "kind": ["pkb"], "workers_covered": 2**31},
    "unions": {"note": "x", "name": None, "members": -1, "federation": "F" * 201},
}


@pytest.mark.parametrize("collection", sorted(LAX))
async def test_each_collection_refuses_lax_input_naming_every_field_in_one_problem(
    app_client: httpx.AsyncClient,
    token: Headers,
    dispute: Builder,
    agreement: Builder,
    union: Builder,
    count_rows: Callable[..., Awaitable[int]],
    collection: str,
) -> None:
    build = {"disputes": dispute, "agreements": agreement, "unions": union}
    before = await count_rows(collection)
    answer = await app_client.post(
        f"{BASE}/{collection}", json=build[collection](**LAX[collection]), headers=token("32.16")
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"].startswith("application/problem+json")
    problem = answer.json()
    assert problem["status"] == 422 and problem["type"] and problem["title"]
    assert {e["field"] for e in problem["errors"]} == set(LAX[collection])
    assert await count_rows(collection) == before


async def test_a_dispute_has_no_date_in_the_future(
    app_client: httpx.AsyncClient, token: Headers, dispute: Builder
) -> None:
    future = date.today().replace(year=date.today().year + 1).isoformat()
    answer = await app_client.post(
        f"{BASE}/disputes",
        json=dispute(
            registered_at="2026-08-03",
            status="settled",
            settled_at=future,
            settlement="joint_agreement",
            stage="mediation",
        ),
        headers=token("32.16"),
    )
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["settled_at"]
