"""Enrolments through the service API on real PostgreSQL, with the outbox reaching Kafka."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from shared.events.training import TOPIC
from shared.identifiers import person_ref
from shared.settings import Settings
from sinergi_local.testing import event_reader

Headers = Callable[..., dict[str, str]]
Builder = Callable[..., dict[str, Any]]
Events = Callable[[str], Awaitable[list[dict[str, Any]]]]
Sql = Callable[..., Awaitable[list[dict[str, Any]]]]
URL = "/api/v1/training/enrollments"
PROGRAMS = "/api/v1/training/programs"
PREFIX = "id.go.kemnaker.sinergi.training."


async def a_program(
    client: httpx.AsyncClient, headers: dict[str, str], program: Builder, **kw: Any
) -> dict[str, Any]:
    """Create a program; its body plus ``id``."""
    body = program(**kw)
    response = await client.post(PROGRAMS, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return body | {"id": response.json()["id"]}


async def test_first_write_creates_and_replay_returns_same_id(
    app_client: httpx.AsyncClient,
    token: Headers,
    outbox_events: Events,
    program: Builder,
    enrollment: Builder,
    service_settings: Settings,
) -> None:
    course = await a_program(app_client, token("32.16"), program)
    body = enrollment(course["external_id"])
    first = await app_client.post(URL, json=body, headers=token("32.16"))
    assert first.status_code == 201, first.text
    again = await app_client.post(URL, json=body, headers=token("32.16"))
    assert again.status_code == 200
    assert again.json() == first.json() | {"change": "unchanged"}
    events = await outbox_events(first.json()["id"])
    assert events == [
        {
            "type": PREFIX + "enrollment.recorded.v1",
            "data": {
                "id": first.json()["id"],
                "revision": 1,
                "program_id": course["id"],
                "region_code": "32.16",
                "person_ref": person_ref(body["nik"], secret=service_settings.person_ref_secret),
                "sex": "M",
                "birth_year": 2001,
                "enrolled_at": "2026-08-03",
                "status": "registered",
                "completed_at": None,
                "certified": False,
            },
        }
    ]


async def test_completion_and_certification_are_a_correction_with_a_new_snapshot(
    app_client: httpx.AsyncClient,
    token: Headers,
    outbox_events: Events,
    program: Builder,
    enrollment: Builder,
) -> None:
    headers = token("32.16")
    course = await a_program(app_client, headers, program)
    body = enrollment(course["external_id"])
    created = (await app_client.post(URL, json=body, headers=headers)).json()
    completed = body | {
        "status": "completed",
        "completed_at": "2026-09-25",
        "certified": True,
        "certificate_number": "BNSP-62-0001-2026",
        "lsp_name": "LSP Pengelasan Indonesia",
        "score": 87.5,
    }
    response = await app_client.post(URL, json=completed, headers=headers)
    assert response.status_code == 200
    assert response.json() == created | {"revision": 2, "change": "updated"}
    replay = await app_client.post(URL, json=completed, headers=headers)
    assert replay.json()["change"] == "unchanged" and replay.json()["revision"] == 2
    events = await outbox_events(created["id"])
    assert [e["type"] for e in events] == [
        PREFIX + "enrollment.recorded.v1",
        PREFIX + "enrollment.updated.v1",
    ]
    update = events[1]["data"]
    assert (update["revision"], update["status"], update["completed_at"], update["certified"]) == (
        2,
        "completed",
        "2026-09-25",
        True,
    )
    assert (
        update["enrolled_at"] == "2026-08-03"
        and update["person_ref"] == events[0]["data"]["person_ref"]
    )
    read = (await app_client.get(f"{URL}/{created['id']}", headers=headers)).json()
    assert read["certificate_number"] == "BNSP-62-0001-2026" and read["score"] == 87.5
    dropped = body | {"status": "dropped_out"}
    undone = await app_client.post(URL, json=dropped, headers=headers)
    assert undone.json()["revision"] == 3
    last = (await outbox_events(created["id"]))[-1]["data"]
    assert (last["status"], last["completed_at"], last["certified"]) == ("dropped_out", None, False)


async def test_events_carry_person_ref_and_never_the_nik_or_name(
    app_client: httpx.AsyncClient,
    token: Headers,
    service_settings: Settings,
    program: Builder,
    enrollment: Builder,
) -> None:
    course = await a_program(app_client, token("32.16"), program)
    body = enrollment(course["external_id"], full_name="Wahyuni Kusumawardhani")
    created = (await app_client.post(URL, json=body, headers=token("32.16"))).json()
    consumer = event_reader(service_settings, TOPIC)
    await consumer.start()
    try:
        found = None
        async with asyncio.timeout(30):
            while found is None:
                batches = await consumer.getmany(timeout_ms=500)
                for record in (r for rs in batches.values() for r in rs):
                    if record.key == created["id"].encode():
                        found = record
    finally:
        await consumer.stop()
    raw = found.value.decode()
    assert body["nik"] not in raw and body["full_name"] not in raw
    event = json.loads(raw)
    assert event["specversion"] == "1.0" and event["subject"] == created["id"]
    assert event["type"] == PREFIX + "enrollment.recorded.v1"
    assert event["source"] == "/sinergi/training"
    ref = person_ref(body["nik"], secret=service_settings.person_ref_secret)
    assert event["data"]["person_ref"] == ref


async def test_invalid_enrollments_get_a_problem_naming_the_field_and_write_nothing(
    app_client: httpx.AsyncClient,
    token: Headers,
    program: Builder,
    enrollment: Builder,
    sql: Sql,
) -> None:
    headers = token("32.16")
    course = await a_program(app_client, headers, program)
    base = enrollment(course["external_id"])
    done = base | {"status": "completed", "completed_at": "2026-09-25"}
    cases = [
        ("nik", base | {"nik": "12345"}),
        ("birth_date", base | {"birth_date": "2001-06-22"}),
        ("sex", base | {"sex": "F"}),
        ("program_external_id", base | {"program_external_id": "no-such-program"}),
        ("status", base | {"status": "graduated"}),
        ("enrolled_at", base | {"enrolled_at": "2099-01-04"}),
        ("completed_at", base | {"status": "completed"}),
        ("completed_at", base | {"completed_at": "2026-09-25"}),
        ("completed_at", base | {"status": "dropped_out", "completed_at": "2026-09-25"}),
        ("completed_at", done | {"completed_at": "2026-08-02"}),
        ("completed_at", done | {"completed_at": "2099-01-04"}),
        ("certified", base | {"certified": True, "certificate_number": "BNSP-1"}),
        ("certificate_number", done | {"certified": True}),
        ("certificate_number", done | {"certificate_number": "BNSP-1"}),
        (
            "certificate_valid_until",
            done
            | {
                "certified": True,
                "certificate_number": "B",
                "certificate_valid_until": "2026-09-01",
            },
        ),
        ("score", done | {"score": 101}),
    ]
    for field, body in cases:
        response = await app_client.post(URL, json=body, headers=headers)
        assert response.status_code == 422, (field, body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == [field], (field, body)
    stored = await sql("SELECT id FROM enrollments WHERE external_id = :e", e=base["external_id"])
    assert stored == []
    recorded = await sql("SELECT key FROM outbox WHERE event_type LIKE '%enrollment.recorded%'")
    rows = await sql("SELECT id FROM enrollments")
    assert sorted(r["key"] for r in recorded) == sorted(str(r["id"]) for r in rows)


async def test_a_program_is_only_found_among_the_callers_own(
    app_client: httpx.AsyncClient, token: Headers, program: Builder, enrollment: Builder
) -> None:
    theirs = await a_program(app_client, token("32.16", client_id="lpk-portal"), program)
    response = await app_client.post(
        URL, json=enrollment(theirs["external_id"]), headers=token("32.16")
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "program_external_id"


async def test_enrolling_in_a_program_outside_the_token_regions_is_forbidden(
    app_client: httpx.AsyncClient,
    token: Headers,
    program: Builder,
    enrollment: Builder,
    sql: Sql,
) -> None:
    bandung = await a_program(app_client, token("32.16", "32.73"), program, region_code="32.73")
    body = enrollment(bandung["external_id"])
    response = await app_client.post(URL, json=body, headers=token("32.16"))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert "32.73" in response.json()["detail"]
    assert (
        await sql("SELECT id FROM enrollments WHERE external_id = :e", e=body["external_id"]) == []
    )


async def test_one_person_is_enrolled_once_per_program(
    app_client: httpx.AsyncClient, token: Headers, program: Builder, enrollment: Builder
) -> None:
    headers = token("32.16")
    course = await a_program(app_client, headers, program)
    first = enrollment(course["external_id"])
    assert (await app_client.post(URL, json=first, headers=headers)).status_code == 201
    resent = first | {"external_id": f"ENR-{uuid.uuid4().hex[:10]}"}
    response = await app_client.post(URL, json=resent, headers=headers)
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "nik"
    assert first["external_id"] in response.json()["detail"]
    other = await a_program(app_client, headers, program, vocational_field="Otomotif")
    elsewhere = resent | {"program_external_id": other["external_id"]}
    assert (await app_client.post(URL, json=elsewhere, headers=headers)).status_code == 201
    # The first record withdrawn (sent under the wrong id), the person is sent again: accepted.
    created = (await app_client.post(URL, json=first, headers=headers)).json()
    assert (await app_client.delete(f"{URL}/{created['id']}", headers=headers)).status_code == 204
    again = first | {"external_id": f"ENR-{uuid.uuid4().hex[:10]}"}
    assert (await app_client.post(URL, json=again, headers=headers)).status_code == 201


async def test_reads_are_scoped_to_the_token_regions(
    app_client: httpx.AsyncClient, token: Headers, program: Builder, enrollment: Builder
) -> None:
    course = await a_program(app_client, token("32.16"), program)
    body = enrollment(course["external_id"])
    bekasi = (await app_client.post(URL, json=body, headers=token("32.16"))).json()
    own = await app_client.get(f"{URL}/{bekasi['id']}", headers=token("32.16"))
    assert own.status_code == 200
    assert not any("nik" in key for key in own.json())
    assert body["nik"][-4:] not in own.text.replace(bekasi["id"], "").replace(course["id"], "")
    assert own.json()["program_id"] == course["id"]
    other = await app_client.get(f"{URL}/{bekasi['id']}", headers=token("32.73"))
    assert other.status_code == 404
    assert other.headers["content-type"] == "application/problem+json"
    listing = await app_client.get(URL, headers=token("32.73"), params={"limit": 500})
    assert all(item["region_code"] == "32.73" for item in listing.json()["items"])
    assert bekasi["id"] not in {item["id"] for item in listing.json()["items"]}
    ministry = await app_client.get(f"{URL}/{bekasi['id']}", headers=token("*"))
    assert ministry.status_code == 200
    national = await app_client.get(URL, headers=token("*"), params={"program_id": course["id"]})
    assert [item["id"] for item in national.json()["items"]] == [bekasi["id"]]


async def test_listing_filters_by_program_status_and_certification(
    app_client: httpx.AsyncClient, token: Headers, program: Builder, enrollment: Builder
) -> None:
    headers = token("82.04")
    course = await a_program(app_client, headers, program, region_code="82.04")
    ext = course["external_id"]
    bodies = [
        enrollment(ext),
        enrollment(ext, status="dropped_out"),
        enrollment(ext, status="completed", completed_at="2026-09-25"),
        enrollment(
            ext,
            status="completed",
            completed_at="2026-09-25",
            certified=True,
            certificate_number="BNSP-82-7",
        ),
    ]
    for body in bodies:
        assert (await app_client.post(URL, json=body, headers=headers)).status_code == 201
    params = {"program_id": course["id"]}
    assert len((await app_client.get(URL, headers=headers, params=params)).json()["items"]) == 4
    done = await app_client.get(URL, headers=headers, params=params | {"status": "completed"})
    assert len(done.json()["items"]) == 2
    certified = await app_client.get(URL, headers=headers, params=params | {"certified": "true"})
    assert [i["external_id"] for i in certified.json()["items"]] == [bodies[3]["external_id"]]
    first = await app_client.get(
        URL, headers=headers, params=params | {"limit": 3, "count": "true"}
    )
    assert len(first.json()["items"]) == 3 and first.json()["total"] == 4
    page = await app_client.get(first.json()["next"], headers=headers)
    assert len(page.json()["items"]) == 1 and page.json()["next"] is None


async def test_tokens_are_required_and_scopes_enforced(
    app_client: httpx.AsyncClient, token: Headers, program: Builder, enrollment: Builder
) -> None:
    course = await a_program(app_client, token("32.16"), program)
    body = enrollment(course["external_id"])
    assert (await app_client.post(URL, json=body)).status_code == 401
    bad = {"Authorization": "Bearer not-a-jwt"}
    assert (await app_client.post(URL, json=body, headers=bad)).status_code == 401
    read_only = token("32.16", scopes=("training:read",))
    response = await app_client.post(URL, json=body, headers=read_only)
    assert response.status_code == 403
    assert (await app_client.get(URL, headers=read_only)).status_code == 200
    assert (await app_client.get(URL, headers=token("32.16", scopes=()))).status_code == 403


async def test_search_by_nik_in_the_body_finds_the_callers_enrolments_only(
    app_client: httpx.AsyncClient, token: Headers, program: Builder, enrollment: Builder
) -> None:
    course = await a_program(app_client, token("32.16"), program)
    body = enrollment(course["external_id"])
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
