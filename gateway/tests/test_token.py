"""The token endpoint against the real, migrated gateway database."""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa
from gateway.clients import set_active, upsert_client
from gateway.models import clients
from shared.auth import TokenVerifier
from shared.db import create_engine, session_factory


def _verifier(public_key: Path) -> TokenVerifier:
    return TokenVerifier(
        public_key_pem=public_key.read_bytes(), issuer="sinergi-gateway", audience="sinergi"
    )


def _form(client: dict[str, Any], **extra: str) -> dict[str, str]:
    return {
        "grant_type": "client_credentials",
        "client_id": client["client_id"],
        "client_secret": client["client_secret"],
        **extra,
    }


async def test_right_secret_gets_a_token_carrying_scopes_and_regions(
    gateway: httpx.AsyncClient, regional_client: dict[str, Any], jwt_keys: tuple[Path, Path]
) -> None:
    response = await gateway.post("/oauth/token", data=_form(regional_client))

    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert set(body["scope"].split()) == set(regional_client["scopes"])
    principal = _verifier(jwt_keys[1]).verify(body["access_token"])
    assert principal.client_id == regional_client["client_id"]
    assert principal.scopes == frozenset(regional_client["scopes"])
    assert principal.regions == frozenset({"32.16"})


async def test_http_basic_client_authentication_is_accepted(
    gateway: httpx.AsyncClient, regional_client: dict[str, Any]
) -> None:
    response = await gateway.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(regional_client["client_id"], regional_client["client_secret"]),
    )
    assert response.status_code == 200
    assert response.json()["access_token"]


async def test_wrong_secret_is_401_invalid_client(
    gateway: httpx.AsyncClient, regional_client: dict[str, Any]
) -> None:
    response = await gateway.post(
        "/oauth/token", data=_form({**regional_client, "client_secret": "not-the-secret"})
    )
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/json"
    assert response.json()["error"] == "invalid_client"
    assert "access_token" not in response.json()


async def test_wrong_basic_secret_is_401_with_a_basic_challenge(
    gateway: httpx.AsyncClient, regional_client: dict[str, Any]
) -> None:
    credentials = base64.b64encode(f"{regional_client['client_id']}:nope".encode()).decode()
    response = await gateway.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        headers={"Authorization": f"Basic {credentials}"},
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")


async def test_unknown_client_is_401_invalid_client(gateway: httpx.AsyncClient) -> None:
    response = await gateway.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "nobody", "client_secret": "x" * 20},
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_scope_narrows_the_token(
    gateway: httpx.AsyncClient, regional_client: dict[str, Any], jwt_keys: tuple[Path, Path]
) -> None:
    response = await gateway.post(
        "/oauth/token", data=_form(regional_client, scope="job-market:read")
    )
    assert response.status_code == 200
    assert response.json()["scope"] == "job-market:read"
    principal = _verifier(jwt_keys[1]).verify(response.json()["access_token"])
    assert principal.scopes == frozenset({"job-market:read"})


async def test_scope_not_granted_is_400_invalid_scope(
    gateway: httpx.AsyncClient, regional_client: dict[str, Any]
) -> None:
    response = await gateway.post(
        "/oauth/token", data=_form(regional_client, scope="job-market:read training:write")
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"
    assert "training:write" in response.json()["error_description"]


async def test_unsupported_grant_type_is_400(
    gateway: httpx.AsyncClient, regional_client: dict[str, Any]
) -> None:
    response = await gateway.post(
        "/oauth/token", data={**_form(regional_client), "grant_type": "authorization_code"}
    )
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


async def test_deactivated_client_gets_no_token(
    gateway: httpx.AsyncClient, gateway_db: str
) -> None:
    engine = create_engine(gateway_db, pool_size=1)
    sessions = session_factory(engine)
    secret = "ministry-secret-0123456789"
    async with sessions() as session:
        await upsert_client(
            session,
            client_id="kemnaker-retired",
            client_secret=secret,
            name="Retired system",
            regions=["*"],
            scopes=["indicators:read"],
        )
    form = {"grant_type": "client_credentials", "client_id": "kemnaker-retired"}
    before = await gateway.post("/oauth/token", data={**form, "client_secret": secret})
    async with sessions() as session:
        await set_active(session, client_id="kemnaker-retired", active=False)
    after = await gateway.post("/oauth/token", data={**form, "client_secret": secret})
    await engine.dispose()

    assert before.status_code == 200
    assert after.status_code == 401
    assert after.json()["error"] == "invalid_client"


async def test_secrets_are_stored_only_as_argon2id_hashes(
    gateway_db: str, regional_client: dict[str, Any]
) -> None:
    engine = create_engine(gateway_db, pool_size=1)
    async with engine.connect() as conn:
        stored = (
            await conn.execute(
                sa.select(clients.c.secret_hash).where(
                    clients.c.client_id == regional_client["client_id"]
                )
            )
        ).scalar_one()
    await engine.dispose()
    assert stored.startswith("$argon2id$")
    assert regional_client["client_secret"] not in stored


async def test_a_client_id_the_registry_cannot_hold_is_an_unknown_client(
    gateway: httpx.AsyncClient,
) -> None:
    # NUL cannot be stored in PostgreSQL text, a lone surrogate is not UTF-8: never looked up.
    for client_id in (b"a%00b", b"%ED%A0%80", b"x" * 10_000):
        response = await gateway.post(
            "/oauth/token",
            content=b"grant_type=client_credentials&client_secret=x&client_id=" + client_id,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        assert response.status_code == 401, response.text
        assert response.json()["error"] == "invalid_client"
