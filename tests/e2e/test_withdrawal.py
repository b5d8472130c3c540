"""Retraction through the gateway: a withdrawn record stops counting in the indicators, sending
it again counts it once more, and an import with ``mode=withdraw`` withdraws by external id."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx
from shared.identifiers import nik_for

Tokens = Callable[[str], Awaitable[dict[str, str]]]
ValueOf = Callable[..., Awaitable[float | None]]
Eventually = Callable[..., Awaitable[Any]]
BATANG = "disnaker-3325"
JOB_SEEKERS = "/api/v1/job-market/job-seekers"
PLACEMENTS = "/api/v1/job-market/placements"


def person(serial: int) -> dict[str, Any]:
    birth = date(1994, 2, 11)
    nik = nik_for(district="33.25.01", birth_date=birth, sex="F", serial=serial)
    return {"nik": nik, "full_name": "Dewi Lestari", "birth_date": birth.isoformat(), "sex": "F"}


async def test_a_withdrawn_record_stops_counting_and_counts_again_when_sent_again(
    gateway: httpx.AsyncClient, auth: Tokens, value_of: ValueOf, eventually: Eventually
) -> None:
    headers = await auth(BATANG)
    registered = ("job_seekers_registered", "33.25", "2023-02")
    placed = ("placements", "33.25", "2023-03")
    before = await value_of(*registered) or 0
    placed_before = await value_of(*placed) or 0
    seeker = person(61) | {
        "external_id": "WD-JS-1", "education_level": "SMA", "region_code": "33.25",
        "registered_at": "2023-02-14",
    }  # fmt: skip
    created = await gateway.post(JOB_SEEKERS, json=seeker, headers=headers)
    assert created.status_code == 201, created.text
    placement = {
        "external_id": "WD-P-1", "nik": seeker["nik"], "employer_nib": "8120003456789",
        "placed_at": "2023-03-06", "mechanism": "AKL", "region_code": "33.25",
    }  # fmt: skip
    recorded = await gateway.post(PLACEMENTS, json=placement, headers=headers)
    assert recorded.status_code == 201, recorded.text
    assert await eventually(lambda: value_of(*registered), before + 1) == before + 1
    assert await eventually(lambda: value_of(*placed), placed_before + 1) == placed_before + 1

    # The placement was a mistake: withdrawn, it no longer counts.
    gone = await gateway.delete(f"{PLACEMENTS}/{recorded.json()['id']}", headers=headers)
    assert gone.status_code == 204, gone.text
    assert await eventually(lambda: value_of(*placed), placed_before) == placed_before
    read = await gateway.get(f"{PLACEMENTS}/{recorded.json()['id']}", headers=headers)
    assert read.json()["withdrawn_at"] is not None

    # The job seeker is withdrawn by an import naming its external id, then sent again.
    job = await gateway.post(
        JOB_SEEKERS + "/imports",
        params={"mode": "withdraw"},
        json=[{"external_id": "WD-JS-1"}],
        headers=headers | {"Prefer": "wait=30"},
    )
    assert job.status_code == 200 and job.json()["summary"]["withdrawn"] == 1, job.text
    assert await eventually(lambda: value_of(*registered), before) == before
    again = await gateway.post(JOB_SEEKERS, json=seeker, headers=headers)
    assert again.status_code == 200 and again.json()["id"] == created.json()["id"]
    assert await eventually(lambda: value_of(*registered), before + 1) == before + 1
