"""The industrial-relations audit trail: layoffs (their workers are personal data) are audited
on every read; disputes, which name no one, only on their writes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

Headers = Callable[..., dict[str, str]]
Builder = Callable[..., dict[str, Any]]
BASE = "/api/v1/industrial-relations"


async def actions(
    client: httpx.AsyncClient, token: Headers, entity: str, record_id: str
) -> list[tuple[str, str | None]]:
    response = await client.get(
        f"{BASE}/audit",
        params={"entity": entity, "record_id": record_id},
        headers=token("*", scopes=("audit:read",)),
    )
    assert response.status_code == 200, response.text
    return [(e["action"], e["request_id"]) for e in response.json()["items"]]


async def test_reads_of_a_layoff_and_its_workers_are_audited(
    app_client: httpx.AsyncClient, token: Headers, layoff: Builder
) -> None:
    headers = token("32.16")
    body = layoff()
    created = await app_client.post(
        f"{BASE}/layoffs", json=body, headers=headers | {"X-Request-ID": "l-1"}
    )
    record = created.json()["id"]
    await app_client.get(f"{BASE}/layoffs/{record}", headers=headers | {"X-Request-ID": "l-2"})
    await app_client.post(
        f"{BASE}/layoffs/search",
        json={"nik": body["workers"][0]["nik"]},
        headers=headers | {"X-Request-ID": "l-3"},
    )
    assert await actions(app_client, token, "layoffs", record) == [
        ("create", "l-1"),
        ("read", "l-2"),
        ("list", "l-3"),
    ]


async def test_dispute_reads_are_not_audited(
    app_client: httpx.AsyncClient, token: Headers, dispute: Builder
) -> None:
    created = await app_client.post(f"{BASE}/disputes", json=dispute(), headers=token("32.16"))
    record = created.json()["id"]
    assert (await app_client.get(f"{BASE}/disputes/{record}", headers=token("32.16"))).is_success
    assert [a for a, _ in await actions(app_client, token, "disputes", record)] == ["create"]
