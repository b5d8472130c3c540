"""Employment-expansion programs and their beneficiaries: upserts and corrections with their
events, the program reference and its window, one participation per person, region scoping,
strict input, events without NIKs or names, NIK and name encrypted and their reads audited,
withdrawal."""

from __future__ import annotations

import random
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from shared.db import create_engine
from shared.identifiers import nik_for, person_ref
from shared.settings import Settings

Headers = Callable[..., dict[str, str]]
Outbox = Callable[[str], Awaitable[list[dict[str, Any]]]]
PROGRAMS = "/api/v1/job-market/employment-programs"
BENEFICIARIES = "/api/v1/job-market/program-beneficiaries"


def program(**overrides: Any) -> dict[str, Any]:
    return {
        "external_id": f"PK-{uuid.uuid4().hex[:10]}",
        "region_code": "32.16",
        "kind": "labour_intensive",
        "name": "Padat Karya Normalisasi Saluran Irigasi",
        "start_date": "2026-07-01",
        "end_date": "2026-08-15",
        "budget_idr": 450_000_000,
    } | overrides


def beneficiary(program_external_id: str, **overrides: Any) -> dict[str, Any]:
    birth = date(1996, 2, 17)
    return {
        "external_id": f"PKB-{uuid.uuid4().hex[:10]}",
        "program_external_id": program_external_id,
        "nik": nik_for(
            district="32.16.01", birth_date=birth, sex="M", serial=random.randint(1, 9999)
        ),
        "full_name": "Rudi Hartono",
        "birth_date": birth.isoformat(),
        "sex": "M",
        "joined_at": "2026-07-01",
    } | overrides


@pytest.fixture
async def running(app_client: httpx.AsyncClient, token: Headers) -> dict[str, Any]:
    """A labour-intensive program of Bekasi, recorded."""
    body = program()
    answer = await app_client.post(PROGRAMS, json=body, headers=token("32.16"))
    assert answer.status_code == 201, answer.text
    return body | {"id": answer.json()["id"]}


async def test_a_beneficiary_joins_a_program_and_is_published_without_nik_or_name(
    app_client: httpx.AsyncClient,
    token: Headers,
    running: dict[str, Any],
    outbox: Outbox,
    service_settings: Settings,
) -> None:
    body = beneficiary(running["external_id"])
    first = await app_client.post(BENEFICIARIES, json=body, headers=token("32.16"))
    assert first.status_code == 201, first.text
    again = await app_client.post(BENEFICIARIES, json=body, headers=token("32.16"))
    assert again.json() == first.json() | {"change": "unchanged"}
    events = await outbox(first.json()["id"])
    assert len(events) == 1
    assert body["nik"] not in str(events) and body["full_name"] not in str(events)
    assert events[0]["payload"]["data"] == {
        "id": first.json()["id"],
        "revision": 1,
        "program_id": running["id"],
        "region_code": "32.16",
        "program_kind": "labour_intensive",
        "person_ref": person_ref(body["nik"], secret=service_settings.person_ref_secret),
        "sex": "M",
        "birth_year": 1996,
        "joined_at": "2026-07-01",
    }
    read = await app_client.get(f"{BENEFICIARIES}/{first.json()['id']}", headers=token("32.16"))
    assert read.status_code == 200 and body["nik"] not in read.text
    found = await app_client.post(
        f"{BENEFICIARIES}/search", json={"nik": body["nik"]}, headers=token("32.16")
    )
    assert [item["id"] for item in found.json()["items"]] == [first.json()["id"]]


async def test_a_corrected_program_moves_its_beneficiaries(
    app_client: httpx.AsyncClient, token: Headers, running: dict[str, Any], outbox: Outbox
) -> None:
    joined = await app_client.post(
        BENEFICIARIES, json=beneficiary(running["external_id"]), headers=token("32.16")
    )
    corrected = {k: v for k, v in running.items() if k != "id"} | {"kind": "self_employment"}
    answer = await app_client.post(PROGRAMS, json=corrected, headers=token("32.16"))
    assert answer.json()["revision"] == 2 and answer.json()["change"] == "updated"
    events = await outbox(joined.json()["id"])
    assert [e["payload"]["data"]["program_kind"] for e in events] == [
        "labour_intensive",
        "self_employment",
    ]


async def test_the_program_must_be_the_callers_and_running_on_the_day_joined(
    app_client: httpx.AsyncClient, token: Headers, running: dict[str, Any]
) -> None:
    unknown = await app_client.post(
        BENEFICIARIES, json=beneficiary("PK-nope"), headers=token("32.16")
    )
    assert unknown.status_code == 422
    assert [e["field"] for e in unknown.json()["errors"]] == ["program_external_id"]
    # Another client of the same region cannot name this client's program.
    stranger = await app_client.post(
        BENEFICIARIES,
        json=beneficiary(running["external_id"]),
        headers=token("32.16", client_id="another-client"),
    )
    assert stranger.status_code == 422
    late = await app_client.post(
        BENEFICIARIES,
        json=beneficiary(running["external_id"], joined_at="2026-09-01"),
        headers=token("32.16"),
    )
    assert late.status_code == 422
    assert [e["field"] for e in late.json()["errors"]] == ["joined_at"]


async def test_one_person_joins_a_program_once(
    app_client: httpx.AsyncClient, token: Headers, running: dict[str, Any]
) -> None:
    body = beneficiary(running["external_id"])
    assert (await app_client.post(BENEFICIARIES, json=body, headers=token("32.16"))).is_success
    twice = body | {"external_id": f"PKB-{uuid.uuid4().hex[:10]}"}
    answer = await app_client.post(BENEFICIARIES, json=twice, headers=token("32.16"))
    assert answer.status_code == 409
    assert [e["field"] for e in answer.json()["errors"]] == ["nik"]


async def test_bad_input_is_named_at_once(
    app_client: httpx.AsyncClient, token: Headers, running: dict[str, Any]
) -> None:
    bad_program = program(
        kind="public_works", budget_idr="450000000", end_date="2026-06-01", extra=1
    )
    answer = await app_client.post(PROGRAMS, json=bad_program, headers=token("32.16"))
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} == {
        "kind",
        "budget_idr",
        "end_date",
        "extra",
    }
    bad_person = beneficiary(running["external_id"], birth_date="1990-01-01", sex="X")
    answer = await app_client.post(BENEFICIARIES, json=bad_person, headers=token("32.16"))
    assert answer.status_code == 422
    assert "sex" in {e["field"] for e in answer.json()["errors"]}


async def test_programs_and_beneficiaries_keep_to_the_token_regions(
    app_client: httpx.AsyncClient, token: Headers, running: dict[str, Any]
) -> None:
    elsewhere = await app_client.post(PROGRAMS, json=program(), headers=token("32.73"))
    assert elsewhere.status_code == 403
    assert (
        await app_client.get(f"{PROGRAMS}/{running['id']}", headers=token("32.73"))
    ).status_code == 404
    listed = await app_client.get(PROGRAMS, params={"limit": 500}, headers=token("32.73"))
    assert running["id"] not in {item["id"] for item in listed.json()["items"]}
    joined = await app_client.post(
        BENEFICIARIES, json=beneficiary(running["external_id"]), headers=token("32.16")
    )
    record = joined.json()["id"]
    assert (
        await app_client.get(f"{BENEFICIARIES}/{record}", headers=token("32.73"))
    ).status_code == 404


async def test_a_withdrawn_beneficiary_publishes_its_withdrawal(
    app_client: httpx.AsyncClient, token: Headers, running: dict[str, Any], outbox: Outbox
) -> None:
    joined = await app_client.post(
        BENEFICIARIES, json=beneficiary(running["external_id"]), headers=token("32.16")
    )
    record = joined.json()["id"]
    gone = await app_client.delete(f"{BENEFICIARIES}/{record}", headers=token("32.16"))
    assert gone.status_code == 204
    assert [e["event_type"].rsplit(".", 2)[-2] for e in await outbox(record)] == [
        "recorded",
        "withdrawn",
    ]


def _program_fields(running: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in running.items() if k != "id"}


def _kinds(events: list[dict[str, Any]]) -> list[str]:
    # "...employment_program.recorded.v1" -> "recorded"
    return [e["event_type"].rsplit(".", 2)[-2] for e in events]


async def test_a_program_replayed_is_unchanged_and_corrected_is_revision_2_with_an_update(
    app_client: httpx.AsyncClient, token: Headers, running: dict[str, Any], outbox: Outbox
) -> None:
    replay = await app_client.post(PROGRAMS, json=_program_fields(running), headers=token("32.16"))
    assert replay.status_code == 200, replay.text
    assert replay.json() | {} == {
        "id": running["id"],
        "external_id": running["external_id"],
        "revision": 1,
        "change": "unchanged",
    }
    corrected = _program_fields(running) | {"budget_idr": 500_000_000, "end_date": "2026-09-30"}
    answer = await app_client.post(PROGRAMS, json=corrected, headers=token("32.16"))
    assert answer.json()["revision"] == 2 and answer.json()["change"] == "updated"
    events = await outbox(running["id"])
    assert _kinds(events) == ["recorded", "updated"]
    assert events[1]["payload"]["data"] == {
        "id": running["id"],
        "revision": 2,
        "region_code": "32.16",
        "kind": "labour_intensive",
        "start_date": "2026-07-01",
        "end_date": "2026-09-30",
        "budget_idr": 500_000_000,
    }
    read = await app_client.get(f"{PROGRAMS}/{running['id']}", headers=token("32.16"))
    assert read.json()["budget_idr"] == 500_000_000 and read.json()["revision"] == 2


async def test_a_corrected_beneficiary_is_revision_2_with_an_update(
    app_client: httpx.AsyncClient, token: Headers, running: dict[str, Any], outbox: Outbox
) -> None:
    body = beneficiary(running["external_id"])
    first = await app_client.post(BENEFICIARIES, json=body, headers=token("32.16"))
    assert first.status_code == 201, first.text
    corrected = await app_client.post(
        BENEFICIARIES, json=body | {"joined_at": "2026-07-15"}, headers=token("32.16")
    )
    assert corrected.json() == first.json() | {"revision": 2, "change": "updated"}
    events = await outbox(first.json()["id"])
    assert _kinds(events) == ["recorded", "updated"]
    assert events[1]["payload"]["data"]["joined_at"] == "2026-07-15"
    assert events[1]["payload"]["data"]["revision"] == 2


async def test_another_region_can_neither_join_the_program_nor_find_its_beneficiaries(
    app_client: httpx.AsyncClient, token: Headers, running: dict[str, Any]
) -> None:
    body = beneficiary(running["external_id"])
    assert (await app_client.post(BENEFICIARIES, json=body, headers=token("32.16"))).is_success
    # The same client, with a token of another regency only: the program is out of its reach.
    intruder = beneficiary(running["external_id"])
    answer = await app_client.post(BENEFICIARIES, json=intruder, headers=token("32.73"))
    assert answer.status_code == 403
    assert [e["field"] for e in answer.json()["errors"]] == ["program_external_id"]
    found = await app_client.post(
        f"{BENEFICIARIES}/search", json={"nik": body["nik"]}, headers=token("32.73")
    )
    assert found.status_code == 200 and found.json()["items"] == []
    listed = await app_client.get(
        BENEFICIARIES, params={"external_id": body["external_id"]}, headers=token("32.73")
    )
    assert listed.json()["items"] == []


async def test_a_withdrawn_program_takes_no_new_beneficiaries_and_leaves_its_own_as_they_are(
    app_client: httpx.AsyncClient, token: Headers, running: dict[str, Any], outbox: Outbox
) -> None:
    joined = await app_client.post(
        BENEFICIARIES, json=beneficiary(running["external_id"]), headers=token("32.16")
    )
    gone = await app_client.delete(f"{PROGRAMS}/{running['id']}", headers=token("32.16"))
    assert gone.status_code == 204
    assert _kinds(await outbox(running["id"])) == ["recorded", "withdrawn"]
    # As with a withdrawn vacancy and its placements: new records cannot name it, the
    # existing ones stay (their sender withdraws them if they were wrong too).
    late = await app_client.post(
        BENEFICIARIES, json=beneficiary(running["external_id"]), headers=token("32.16")
    )
    assert late.status_code == 422
    assert [e["field"] for e in late.json()["errors"]] == ["program_external_id"]
    kept = await app_client.get(f"{BENEFICIARIES}/{joined.json()['id']}", headers=token("32.16"))
    assert kept.status_code == 200 and kept.json()["withdrawn_at"] is None
    assert _kinds(await outbox(joined.json()["id"])) == ["recorded"]
    # Sending the program again revives it, and it takes beneficiaries again.
    revived = await app_client.post(PROGRAMS, json=_program_fields(running), headers=token("32.16"))
    assert revived.json()["revision"] == 3 and revived.json()["change"] == "updated"
    again = await app_client.post(
        BENEFICIARIES, json=beneficiary(running["external_id"]), headers=token("32.16")
    )
    assert again.status_code == 201, again.text


async def test_a_withdrawn_participation_does_not_stop_the_person_being_sent_again(
    app_client: httpx.AsyncClient, token: Headers, running: dict[str, Any]
) -> None:
    wrong = beneficiary(running["external_id"])
    first = await app_client.post(BENEFICIARIES, json=wrong, headers=token("32.16"))
    await app_client.delete(f"{BENEFICIARIES}/{first.json()['id']}", headers=token("32.16"))
    right = wrong | {"external_id": f"PKB-{uuid.uuid4().hex[:10]}"}
    answer = await app_client.post(BENEFICIARIES, json=right, headers=token("32.16"))
    assert answer.status_code == 201, answer.text
    # Reviving the withdrawn one now would count the person twice.
    revived = await app_client.post(BENEFICIARIES, json=wrong, headers=token("32.16"))
    assert revived.status_code == 409
    assert [e["field"] for e in revived.json()["errors"]] == ["nik"]


async def test_a_beneficiarys_nik_and_name_are_encrypted_and_its_reads_audited(
    app_client: httpx.AsyncClient,
    token: Headers,
    running: dict[str, Any],
    service_settings: Settings,
) -> None:
    body = beneficiary(running["external_id"])
    record = (await app_client.post(BENEFICIARIES, json=body, headers=token("32.16"))).json()["id"]
    engine = create_engine(service_settings.database_url, pool_size=1)
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                sa.text("SELECT nik, full_name FROM program_beneficiaries WHERE id = :id"),
                {"id": record},
            )
        ).one()
    await engine.dispose()
    assert body["nik"] not in row.nik and body["nik"][6:12] not in row.nik
    assert body["full_name"] not in row.full_name
    assert re.fullmatch(r"[A-Za-z0-9]+:[A-Za-z0-9_=-]+", row.nik)
    assert re.fullmatch(r"[A-Za-z0-9]+:[A-Za-z0-9_=-]+", row.full_name)

    read = await app_client.get(f"{BENEFICIARIES}/{record}", headers=token("32.16"))
    assert read.status_code == 200 and not any("nik" in key for key in read.json())
    trail = await app_client.get(
        "/api/v1/job-market/audit",
        params={"entity": "program_beneficiaries", "record_id": record},
        headers=token("*", scopes=("audit:read",)),
    )
    assert trail.status_code == 200, trail.text
    entries = trail.json()["items"]
    assert [e["action"] for e in entries] == ["create", "read"]
    assert body["nik"] not in str(entries) and body["full_name"] not in str(entries)
