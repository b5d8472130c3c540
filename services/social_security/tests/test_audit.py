"""The social-security audit trail: memberships and claims are both audited on read."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx

Headers = Callable[..., dict[str, str]]
Builder = Callable[..., dict[str, Any]]
MEMBERSHIPS = "/api/v1/social-security/memberships"
CLAIMS = "/api/v1/social-security/claims"
AUDIT = "/api/v1/social-security/audit"


async def trail(
    client: httpx.AsyncClient, token: Headers, entity: str, record_id: str
) -> list[dict[str, Any]]:
    response = await client.get(
        AUDIT,
        params={"entity": entity, "record_id": record_id},
        headers=token("*", scopes=("audit:read",)),
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_membership_and_claim_accesses_name_the_bpjs_client(
    app_client: httpx.AsyncClient, token: Headers, membership: Builder
) -> None:
    bpjs = token("*")
    member = membership()
    member_id = (await app_client.post(MEMBERSHIPS, json=member, headers=bpjs)).json()["id"]
    await app_client.get(f"{MEMBERSHIPS}/{member_id}", headers=bpjs)
    claim = {
        "external_id": f"C-{uuid.uuid4().hex[:10]}",
        "membership_external_id": member["external_id"],
        "program": "JKK",
        "claimed_at": "2026-08-12",
        "amount_idr": 12_500_000,
    }
    claim_id = (await app_client.post(CLAIMS, json=claim, headers=bpjs)).json()["id"]
    await app_client.get(CLAIMS, params={"membership_id": member_id}, headers=bpjs)
    memberships = await trail(app_client, token, "memberships", member_id)
    claims = await trail(app_client, token, "claims", claim_id)
    assert [e["action"] for e in memberships] == ["create", "read"]
    assert [e["action"] for e in claims] == ["create", "list"]
    assert {(e["client_id"], tuple(e["regions"])) for e in memberships + claims} == {
        ("bpjs-test", ("*",))
    }
