"""Training programs through the service API on real PostgreSQL, outbox included."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

Headers = Callable[..., dict[str, str]]
Builder = Callable[..., dict[str, Any]]
Events = Callable[[str], Awaitable[list[dict[str, Any]]]]
Sql = Callable[..., Awaitable[list[dict[str, Any]]]]
URL = "/api/v1/training/programs"
ENROLLMENTS = "/api/v1/training/enrollments"
PREFIX = "id.go.kemnaker.sinergi.training."


async def test_first_write_creates_and_replay_returns_same_id(
    app_client: httpx.AsyncClient, token: Headers, outbox_events: Events, program: Builder
) -> None:
    body = program()
    first = await app_client.post(URL, json=body, headers=token("32.16"))
    assert first.status_code == 201, first.text
    assert first.json()["revision"] == 1 and first.json()["change"] == "created"
    again = await app_client.post(URL, json=body, headers=token("32.16"))
    assert again.status_code == 200
    assert again.json() == first.json() | {"change": "unchanged"}
    events = await outbox_events(first.json()["id"])
    assert events == [
        {
            "type": PREFIX + "program.created.v1",
            "data": {
                "id": first.json()["id"],
                "revision": 1,
                "region_code": "32.16",
                "provider_type": "BPVP",
                "vocational_field": "Teknik Las",
                "start_date": "2026-08-10",
                "end_date": "2026-09-25",
                "capacity": 16,
            },
        }
    ]


async def test_correction_bumps_revision_and_publishes_an_update(
    app_client: httpx.AsyncClient, token: Headers, outbox_events: Events, program: Builder
) -> None:
    body = program(region_code="3216", hours=240, funding_source="APBN")
    created = (await app_client.post(URL, json=body, headers=token("32.16"))).json()
    corrected = await app_client.post(
        URL, json=body | {"capacity": 20, "end_date": "2026-10-02"}, headers=token("32.16")
    )
    assert corrected.status_code == 200
    assert corrected.json() == created | {"revision": 2, "change": "updated"}
    read = (await app_client.get(f"{URL}/{created['id']}", headers=token("32.16"))).json()
    assert read["capacity"] == 20 and read["region_code"] == "32.16" and read["hours"] == 240
    events = await outbox_events(created["id"])
    assert [e["type"] for e in events] == [
        PREFIX + "program.created.v1",
        PREFIX + "program.updated.v1",
    ]
    assert events[1]["data"]["revision"] == 2
    assert (events[1]["data"]["capacity"], events[1]["data"]["end_date"]) == (20, "2026-10-02")


async def test_a_corrected_program_region_moves_its_enrollments(
    app_client: httpx.AsyncClient,
    token: Headers,
    outbox_events: Events,
    program: Builder,
    enrollment: Builder,
) -> None:
    both = token("32.16", "32.73")
    course = program()
    await app_client.post(URL, json=course, headers=both)
    enrolled = (
        await app_client.post(ENROLLMENTS, json=enrollment(course["external_id"]), headers=both)
    ).json()
    moved = await app_client.post(URL, json=course | {"region_code": "32.73"}, headers=both)
    assert moved.status_code == 200
    read = await app_client.get(f"{ENROLLMENTS}/{enrolled['id']}", headers=token("32.73"))
    assert read.status_code == 200
    assert read.json()["region_code"] == "32.73" and read.json()["revision"] == 2
    events = await outbox_events(enrolled["id"])
    assert [(e["type"], e["data"]["region_code"], e["data"]["revision"]) for e in events] == [
        (PREFIX + "enrollment.recorded.v1", "32.16", 1),
        (PREFIX + "enrollment.updated.v1", "32.73", 2),
    ]
    hidden = await app_client.get(f"{ENROLLMENTS}/{enrolled['id']}", headers=token("32.16"))
    assert hidden.status_code == 404


async def test_write_outside_token_regions_is_forbidden(
    app_client: httpx.AsyncClient, token: Headers, program: Builder, sql: Sql
) -> None:
    body = program()
    response = await app_client.post(URL, json=body, headers=token("32.73"))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert "32.16" in response.json()["detail"]
    stored = await sql("SELECT id FROM programs WHERE external_id = :e", e=body["external_id"])
    assert stored == []


async def test_moving_a_program_out_of_the_token_regions_is_forbidden(
    app_client: httpx.AsyncClient, token: Headers, program: Builder
) -> None:
    body = program()
    created = (await app_client.post(URL, json=body, headers=token("32.16"))).json()
    response = await app_client.post(
        URL, json=body | {"region_code": "12.75"}, headers=token("32.16")
    )
    assert response.status_code == 403
    read = (await app_client.get(f"{URL}/{created['id']}", headers=token("32.16"))).json()
    assert read["region_code"] == "32.16" and read["revision"] == 1


async def test_invalid_programs_get_a_problem_naming_the_field_and_write_nothing(
    app_client: httpx.AsyncClient, token: Headers, program: Builder, sql: Sql
) -> None:
    base = program()
    cases = {
        "end_date": base | {"end_date": "2026-08-09"},
        "capacity": base | {"capacity": 0},
        "provider_type": base | {"provider_type": "SMK"},
        "funding_source": base | {"funding_source": "DONOR"},
        "region_code": base | {"region_code": "99.99"},
        "start_date": base | {"start_date": "10/08/2026"},
        "vocational_field": base | {"vocational_field": ""},
        "hours": base | {"hours": 0},
    }
    for field, body in cases.items():
        response = await app_client.post(URL, json=body, headers=token("32.16"))
        assert response.status_code == 422, (field, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field]
    assert await sql("SELECT id FROM programs WHERE external_id = :e", e=base["external_id"]) == []
    listing = await app_client.get(
        URL, params={"external_id": base["external_id"]}, headers=token("32.16")
    )
    assert listing.json()["items"] == []


async def test_reads_are_scoped_to_the_token_regions(
    app_client: httpx.AsyncClient, token: Headers, program: Builder
) -> None:
    bekasi = (await app_client.post(URL, json=program(), headers=token("32.16"))).json()
    binjai_body = program(region_code="12.75", provider_type="BLK", provider_name="UPTD BLK")
    binjai = (await app_client.post(URL, json=binjai_body, headers=token("12.75"))).json()
    assert (
        await app_client.get(f"{URL}/{bekasi['id']}", headers=token("32.16"))
    ).status_code == 200
    other = await app_client.get(f"{URL}/{bekasi['id']}", headers=token("12.75"))
    assert other.status_code == 404
    assert other.headers["content-type"] == "application/problem+json"
    listing = (await app_client.get(URL, headers=token("12.75"), params={"limit": 500})).json()
    assert {item["region_code"] for item in listing["items"]} == {"12.75"}
    assert binjai["id"] in {item["id"] for item in listing["items"]}
    mine = await app_client.get(
        URL, headers=token("12.75"), params={"region_code": "32.16", "limit": 500}
    )
    assert mine.json()["items"] == []
    national = (await app_client.get(URL, headers=token("*"), params={"limit": 500})).json()
    assert {bekasi["id"], binjai["id"]} <= {item["id"] for item in national["items"]}
    assert (await app_client.get(f"{URL}/{bekasi['id']}", headers=token("*"))).status_code == 200


async def test_listing_filters_and_pages(
    app_client: httpx.AsyncClient, token: Headers, program: Builder
) -> None:
    headers = token("13.03")
    for start in ("2026-03-02", "2026-04-06", "2026-05-04"):
        body = program(
            region_code="13.03", start_date=start, end_date="2026-06-30", provider_type="LPK"
        )
        assert (await app_client.post(URL, json=body, headers=headers)).status_code == 201
    page = await app_client.get(
        URL,
        headers=headers,
        params={"region_code": "1303", "limit": 2, "provider_type": "LPK", "count": "true"},
    )
    assert page.json()["total"] == 3
    # The sync order: least recently changed first.
    assert [i["start_date"] for i in page.json()["items"]] == ["2026-03-02", "2026-04-06"]
    rest = await app_client.get(page.json()["next"], headers=headers)
    assert [i["start_date"] for i in rest.json()["items"]] == ["2026-05-04"]
    assert rest.json()["next"] is None
    later = await app_client.get(URL, headers=headers, params={"starts_from": "2026-04-01"})
    assert len(later.json()["items"]) == 2
    bad = await app_client.get(URL, headers=headers, params={"provider_type": "SMK"})
    assert bad.status_code == 422


async def test_tokens_are_required_and_scopes_enforced(
    app_client: httpx.AsyncClient, token: Headers, program: Builder
) -> None:
    assert (await app_client.post(URL, json=program())).status_code == 401
    bad = {"Authorization": "Bearer not-a-jwt"}
    assert (await app_client.post(URL, json=program(), headers=bad)).status_code == 401
    read_only = token("32.16", scopes=("training:read",))
    assert (await app_client.post(URL, json=program(), headers=read_only)).status_code == 403
    other_domain = token("32.16", scopes=("job-market:read", "job-market:write"))
    assert (await app_client.get(URL, headers=other_domain)).status_code == 403
    assert (await app_client.post(URL, json=program(), headers=other_domain)).status_code == 403
