"""A laid-off worker through the gateway, from the layoff report to the next job: each record
written by the client that owns it, the aggregation linking them by ``person_ref`` alone, and
every linked indicator moving as the person's story unfolds."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx
from shared.identifiers import nik_for

Tokens = Callable[[str], Awaitable[dict[str, str]]]
ValueOf = Callable[..., Awaitable[float | None]]
Eventually = Callable[..., Awaitable[Any]]
BATANG, BPJS = "disnaker-3325", "bpjs-ketenagakerjaan"
EMPLOYER, NEXT_EMPLOYER = "8120005550001", "8120005550002"


def person(serial: int, name: str, birth: date) -> dict[str, str]:
    nik = nik_for(district="33.25.01", birth_date=birth, sex="F", serial=serial)
    return {"nik": nik, "full_name": name, "birth_date": birth.isoformat(), "sex": "F"}


WORKER = person(61, "Sri Wahyuni", date(1994, 2, 11))
COLLEAGUE = person(62, "Endang Lestari", date(1989, 9, 30))


async def post(
    gateway: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]
) -> None:
    response = await gateway.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text


async def test_a_laid_off_worker_registers_claims_jkp_and_is_placed(
    gateway: httpx.AsyncClient, auth: Tokens, value_of: ValueOf, eventually: Eventually
) -> None:
    region, bpjs = await auth(BATANG), await auth(BPJS)
    for who, key in ((WORKER, "LO-M1"), (COLLEAGUE, "LO-M2")):
        await post(gateway, "/api/v1/social-security/memberships", who | {
            "external_id": key, "employer_nib": EMPLOYER, "region_code": "33.25",
            "programs": ["JHT", "JKK", "JKM", "JKP", "JP"], "status": "inactive",
            "started_at": "2019-06-01", "ended_at": "2023-03-31",
        }, bpjs)  # fmt: skip
    await post(gateway, "/api/v1/industrial-relations/layoffs", {
        "external_id": "LO-PHK", "employer_nib": EMPLOYER, "region_code": "33.25",
        "reported_at": "2023-03-20", "effective_at": "2023-03-31", "reason": "efficiency",
        "workers": [WORKER, COLLEAGUE], "severance_total_idr": 84_000_000,
    }, region)  # fmt: skip
    month = ("33.25", "2023-03")
    assert await eventually(lambda: value_of("workers_laid_off", *month), 2) == 2
    rates = {
        "registered": "laid_off_registered_within_3_months_rate",
        "jkp": "laid_off_jkp_claim_rate",
        "reemployed": "laid_off_reemployed_within_6_months_rate",
    }
    for code in rates.values():
        assert await value_of(code, *month) == 0

    # Two weeks later she registers as a job seeker ...
    await post(gateway, "/api/v1/job-market/job-seekers", WORKER | {
        "external_id": "LO-JS", "education_level": "SMA", "region_code": "33.25",
        "registered_at": "2023-04-15",
    }, region)  # fmt: skip
    assert await eventually(lambda: value_of(rates["registered"], *month), 0.5) == 0.5
    # ... claims the job-loss benefit ...
    await post(gateway, "/api/v1/social-security/claims", {
        "external_id": "LO-JKP", "membership_external_id": "LO-M1", "program": "JKP",
        "claimed_at": "2023-04-20", "amount_idr": 12_600_000, "status": "paid",
    }, bpjs)  # fmt: skip
    assert await eventually(lambda: value_of(rates["jkp"], *month), 0.5) == 0.5
    # ... joins a labour-intensive program while looking ...
    await post(gateway, "/api/v1/job-market/employment-programs", {
        "external_id": "LO-PK", "region_code": "33.25", "kind": "labour_intensive",
        "start_date": "2023-05-01", "end_date": "2023-06-30", "budget_idr": 300_000_000,
    }, region)  # fmt: skip
    await post(gateway, "/api/v1/job-market/program-beneficiaries", WORKER | {
        "external_id": "LO-PKB", "program_external_id": "LO-PK", "joined_at": "2023-05-02",
    }, region)  # fmt: skip
    joined = ("beneficiaries_registered_job_seekers_rate", "33.25", "2023-05")
    assert await eventually(lambda: value_of(*joined), 1) == 1
    # ... and is placed with another employer in July, within six months.
    await post(gateway, "/api/v1/job-market/placements", {
        "external_id": "LO-PL", "nik": WORKER["nik"], "employer_nib": NEXT_EMPLOYER,
        "placed_at": "2023-07-10", "mechanism": "AKL", "region_code": "33.25",
    }, region)  # fmt: skip
    assert await eventually(lambda: value_of(rates["reemployed"], *month), 0.5) == 0.5
    # Nationally the same, and the province (Central Java) too.
    for area in ("33", "ID"):
        assert await value_of(rates["reemployed"], area, "2023-03") == 0.5
