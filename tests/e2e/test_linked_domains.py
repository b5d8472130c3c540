"""One person across domains, through the gateway: the linked indicators move.

A job seeker placed in Kabupaten Sijunjung, trained first, covered by BPJS Ketenagakerjaan
too late for the 30-day window, then an accident: every record is written by the client that
owns it, and the aggregation links them by ``person_ref`` only.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx
from shared.identifiers import nik_for

Tokens = Callable[[str], Awaitable[dict[str, str]]]
ValueOf = Callable[..., Awaitable[float | None]]
Eventually = Callable[..., Awaitable[Any]]
SIJUNJUNG, BPJS = "disnaker-1303", "bpjs-ketenagakerjaan"
BIRTH = date(2001, 7, 4)
NIK = nik_for(district="13.03.04", birth_date=BIRTH, sex="M", serial=41)
PERSON = {"nik": NIK, "full_name": "Rizky Pratama", "birth_date": BIRTH.isoformat(), "sex": "M"}
NIB = "8120003456789"


async def post(
    gateway: httpx.AsyncClient, path: str, body: dict[str, Any], headers: dict[str, str]
) -> dict[str, Any]:
    response = await gateway.post(path, json=body, headers=headers)
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


async def test_a_person_linked_across_domains_moves_the_linked_indicators(
    gateway: httpx.AsyncClient, auth: Tokens, value_of: ValueOf, eventually: Eventually
) -> None:
    region = await auth(SIJUNJUNG)
    bpjs = await auth(BPJS)
    await post(gateway, "/api/v1/training/programs", {
        "external_id": "LINK-TP", "name": "Las Listrik", "provider_type": "BPVP",
        "provider_name": "BPVP Padang", "vocational_field": "Las", "region_code": "13.03",
        "start_date": "2024-01-08", "end_date": "2024-02-23", "capacity": 16,
    }, region)  # fmt: skip
    await post(gateway, "/api/v1/training/enrollments", PERSON | {
        "external_id": "LINK-TE", "program_external_id": "LINK-TP", "enrolled_at": "2024-01-08",
        "status": "completed", "completed_at": "2024-02-23", "certified": False,
    }, region)  # fmt: skip
    graduates = ("graduates_placed_within_6_months_rate", "13.03", "2024-02")
    assert await eventually(lambda: value_of(*graduates), 0) == 0

    await post(gateway, "/api/v1/job-market/job-seekers", PERSON | {
        "external_id": "LINK-JS", "education_level": "SMK", "region_code": "13.03",
        "registered_at": "2024-03-01",
    }, region)  # fmt: skip
    await post(gateway, "/api/v1/job-market/placements", {
        "external_id": "LINK-P", "nik": NIK, "employer_nib": NIB, "placed_at": "2024-05-20",
        "mechanism": "AKL", "region_code": "13.03",
    }, region)  # fmt: skip
    assert await eventually(lambda: value_of(*graduates), 1) == 1
    covered = ("placements_with_social_security_rate", "13.03", "2024-05")
    assert await eventually(lambda: value_of(*covered), 0) == 0

    # BPJS registers him 40 days after the placement: outside the 30-day window ...
    membership = PERSON | {
        "external_id": "LINK-M", "employer_nib": NIB, "region_code": "13.03",
        "programs": ["JKK", "JKM", "JHT"], "status": "active", "started_at": "2024-06-29",
    }  # fmt: skip
    await post(gateway, "/api/v1/social-security/memberships", membership, bpjs)
    assert await eventually(lambda: value_of("ss_new_members", "13.03", "2024-06"), 1) == 1
    assert await value_of(*covered) == 0
    # ... until a correction of the start date brings it inside.
    await post(
        gateway, "/api/v1/social-security/memberships",
        membership | {"started_at": "2024-06-15"}, bpjs,
    )  # fmt: skip
    assert await eventually(lambda: value_of(*covered), 1) == 1

    await post(gateway, "/api/v1/inspection/companies", {
        "nib": NIB, "name": "CV Sinar Sijunjung", "kbli_code": "25111", "region_code": "13.03",
        "workers_male": 30, "workers_female": 4,
    }, region)  # fmt: skip
    await post(gateway, "/api/v1/inspection/accidents", {
        "external_id": "LINK-A", "company_nib": NIB, "region_code": "13.03",
        "occurred_at": "2024-06-10", "outcome": "disability", "victims": [PERSON],
    }, region)  # fmt: skip
    # The accident precedes his JKK cover: he counts as a victim without it, in the
    # regency, its province and the nation.
    for area in ("13.03", "13", "ID"):
        without_jkk = ("accident_victims_without_jkk", area, "2024-06")
        assert await eventually(lambda a=without_jkk: value_of(*a), 1) == 1
