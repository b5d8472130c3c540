"""The inspection audit trail: accidents (their victims are personal data), companies not."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx

Headers = Callable[..., dict[str, str]]
Builder = Callable[..., dict[str, Any]]
Register = Callable[..., Awaitable[dict[str, Any]]]
ACCIDENTS = "/api/v1/inspection/accidents"
COMPANIES = "/api/v1/inspection/companies"
AUDIT = "/api/v1/inspection/audit"


async def actions(
    client: httpx.AsyncClient, token: Headers, entity: str, record_id: str
) -> list[tuple[str, str | None]]:
    response = await client.get(
        AUDIT,
        params={"entity": entity, "record_id": record_id},
        headers=token("*", scopes=("audit:read",)),
    )
    assert response.status_code == 200, response.text
    return [(e["action"], e["request_id"]) for e in response.json()["items"]]


async def test_an_accident_whose_victims_alone_change_is_audited_as_updated(
    app_client: httpx.AsyncClient,
    token: Headers,
    registered_company: Register,
    accident: Builder,
    victim: Builder,
) -> None:
    headers = token("32.16")
    company = await registered_company()
    body = accident(company_nib=company["nib"])
    created = await app_client.post(ACCIDENTS, json=body, headers=headers | {"X-Request-ID": "i-1"})
    record = created.json()["id"]
    more = body | {"victims": [*body["victims"], victim()]}
    again = await app_client.post(ACCIDENTS, json=more, headers=headers | {"X-Request-ID": "i-2"})
    assert again.json()["change"] == "updated"
    await app_client.get(f"{ACCIDENTS}/{record}", headers=headers | {"X-Request-ID": "i-3"})
    listed = await app_client.get(
        ACCIDENTS,
        params={"external_id": body["external_id"]},
        headers=headers | {"X-Request-ID": "i-4"},
    )
    assert len(listed.json()["items"]) == 1
    assert await actions(app_client, token, "accidents", record) == [
        ("create", "i-1"),
        ("update", "i-2"),
        ("read", "i-3"),
        ("list", "i-4"),
    ]


async def test_company_reads_are_not_audited(
    app_client: httpx.AsyncClient, token: Headers, company: Builder
) -> None:
    body = company()
    created = await app_client.post(COMPANIES, json=body, headers=token("32.16"))
    record = created.json()["id"]
    assert (await app_client.get(f"{COMPANIES}/{record}", headers=token("32.16"))).is_success
    assert [a for a, _ in await actions(app_client, token, "companies", record)] == ["create"]
