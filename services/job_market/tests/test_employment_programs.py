"""Employment-expansion programs and their beneficiaries: upserts and corrections with their
events, the program reference and its window, one participation per person, region scoping,
strict input, events without NIKs or names, withdrawal."""

from __future__ import annotations

import random
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx
import pytest
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
