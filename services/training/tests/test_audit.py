"""The training audit trail: enrolments (personal) audited on read, programs only on write."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

Headers = Callable[..., dict[str, str]]
Builder = Callable[..., dict[str, Any]]
ENROLLMENTS = "/api/v1/training/enrollments"
PROGRAMS = "/api/v1/training/programs"
AUDIT = "/api/v1/training/audit"


async def actions(
    client: httpx.AsyncClient, token: Headers, entity: str, record_id: str
) -> list[tuple[str, str | None]]:
    response = await client.get(
        AUDIT,
        params={"entity": entity, "record_id": record_id},
        headers=token("32.16", scopes=("audit:read",)),
    )
    assert response.status_code == 200, response.text
    return [(e["action"], e["request_id"]) for e in response.json()["items"]]


async def test_enrolments_are_audited_on_every_access_programs_on_writes(
    app_client: httpx.AsyncClient, token: Headers, program: Builder, enrollment: Builder
) -> None:
    headers = token("32.16")
    course = program()
    program_id = (await app_client.post(PROGRAMS, json=course, headers=headers)).json()["id"]
    await app_client.get(f"{PROGRAMS}/{program_id}", headers=headers)
    body = enrollment(course["external_id"])
    created = await app_client.post(
        ENROLLMENTS, json=body, headers=headers | {"X-Request-ID": "t-1"}
    )
    record = created.json()["id"]
    read = await app_client.get(
        f"{ENROLLMENTS}/{record}", headers=headers | {"X-Request-ID": "t-2"}
    )
    assert read.status_code == 200
    await app_client.get(
        ENROLLMENTS,
        params={"program_id": program_id},
        headers=headers | {"X-Request-ID": "t-3"},
    )
    assert await actions(app_client, token, "enrollments", record) == [
        ("create", "t-1"),
        ("read", "t-2"),
        ("list", "t-3"),
    ]
    assert [a for a, _ in await actions(app_client, token, "programs", program_id)] == ["create"]
