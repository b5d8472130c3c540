"""The client registry: registration rules, idempotent upserts and the operators' CLI."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa
from gateway.clients import (
    InvalidClient,
    authenticate,
    list_clients,
    register_client,
    rotate_secret,
    upsert_client,
)
from gateway.models import Client, clients
from shared.db import create_engine, session_factory
from sqlalchemy.ext.asyncio import AsyncSession


@pytest.fixture
async def session(gateway_db: str) -> AsyncIterator[AsyncSession]:
    engine = create_engine(gateway_db, pool_size=1)
    async with session_factory(engine)() as session:
        yield session
    await engine.dispose()


async def test_registered_client_authenticates_with_its_generated_secret(
    session: AsyncSession,
) -> None:
    issued = await register_client(
        session,
        name="Disnaker Kota Bandung",
        regions=["3273"],
        scopes=["job-market:write", "job-market:read"],
    )

    assert issued.client.regions == ("32.73",)
    assert issued.client.scopes == ("job-market:read", "job-market:write")
    found = await authenticate(
        session, client_id=issued.client.client_id, secret=issued.client_secret
    )
    assert found is not None and found.name == "Disnaker Kota Bandung"
    assert await authenticate(session, client_id=issued.client.client_id, secret="wrong") is None


async def test_registering_an_existing_client_id_is_refused(session: AsyncSession) -> None:
    await register_client(
        session, client_id="dup-client", name="first", regions=["32.16"], scopes=["indicators:read"]
    )
    with pytest.raises(InvalidClient) as caught:
        await register_client(
            session,
            client_id="dup-client",
            name="second",
            regions=["*"],
            scopes=["indicators:read"],
        )
    assert caught.value.field == "client_id"


@pytest.mark.parametrize(
    ("regions", "scopes", "field"),
    [
        (["99.99"], ["job-market:read"], "regions"),
        (["*", "32.16"], ["job-market:read"], "regions"),
        ([], ["job-market:read"], "regions"),
        (["32.16"], ["job-market:admin"], "scopes"),
        (["32.16"], [], "scopes"),
    ],
)
async def test_bad_regions_or_scopes_are_refused(
    session: AsyncSession, regions: list[str], scopes: list[str], field: str
) -> None:
    with pytest.raises(InvalidClient) as caught:
        await register_client(session, name="bad", regions=regions, scopes=scopes)
    assert caught.value.field == field


async def test_upsert_is_idempotent_and_applies_changes(session: AsyncSession) -> None:
    async def upsert(secret: str, scopes: list[str]) -> Client:
        return await upsert_client(
            session,
            client_id="demo-32-73",
            client_secret=secret,
            name="Disnaker Kota Bandung",
            regions=["32.73"],
            scopes=scopes,
        )

    first = await upsert("demo-secret-3273-abcdef", ["job-market:read"])
    hash_before = await _hash(session, "demo-32-73")
    again = await upsert("demo-secret-3273-abcdef", ["job-market:read"])
    assert again == first
    assert await _hash(session, "demo-32-73") == hash_before

    changed = await upsert("another-secret-0123456789", ["indicators:read"])
    assert changed.scopes == ("indicators:read",)
    assert changed.created_at == first.created_at
    count = sa.select(sa.func.count()).where(clients.c.client_id == "demo-32-73")
    assert (await session.execute(count)).scalar_one() == 1
    old = await authenticate(session, client_id="demo-32-73", secret="demo-secret-3273-abcdef")
    new = await authenticate(session, client_id="demo-32-73", secret="another-secret-0123456789")
    assert old is None and new is not None


async def test_rotating_the_secret_retires_the_old_one(session: AsyncSession) -> None:
    issued = await register_client(
        session, name="BPJS Ketenagakerjaan", regions=["*"], scopes=["social-security:write"]
    )
    rotated = await rotate_secret(session, client_id=issued.client.client_id)
    assert rotated is not None
    cid = issued.client.client_id
    assert await authenticate(session, client_id=cid, secret=issued.client_secret) is None
    assert await authenticate(session, client_id=cid, secret=rotated.client_secret) is not None


async def _hash(session: AsyncSession, client_id: str) -> str:
    statement = sa.select(clients.c.secret_hash).where(clients.c.client_id == client_id)
    return str((await session.execute(statement)).scalar_one())


def _cli(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SINERGI_DATABASE_URL": database_url}
    return subprocess.run(  # noqa: S603 (fixed argv: this interpreter and our module)
        [sys.executable, "-m", "gateway.clients", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


async def test_cli_add_prints_the_secret_once_and_list_never_shows_it(
    session: AsyncSession, gateway_db: str
) -> None:
    added = await asyncio.to_thread(
        _cli,
        "add",
        "--name",
        "Disnaker Kab. Bogor",
        "--regions",
        "32.01",
        "--scopes",
        "job-market:read,indicators:read",
        "--client-id",
        "cli-32-01",
        database_url=gateway_db,
    )
    assert added.returncode == 0, added.stderr
    created = json.loads(added.stdout)
    assert created["client_id"] == "cli-32-01"
    assert created["regions"] == ["32.01"]
    assert (
        await authenticate(session, client_id="cli-32-01", secret=created["client_secret"])
        is not None
    )

    listed = await asyncio.to_thread(_cli, "list", database_url=gateway_db)
    assert listed.returncode == 0, listed.stderr
    assert "cli-32-01" in listed.stdout
    assert created["client_secret"] not in listed.stdout
    assert "argon2" not in listed.stdout
    assert "cli-32-01" in {c.client_id for c in await list_clients(session)}


async def test_cli_refuses_an_unknown_region_naming_it(gateway_db: str) -> None:
    result = await asyncio.to_thread(
        _cli,
        "add",
        "--name",
        "x",
        "--regions",
        "77.77",
        "--scopes",
        "job-market:read",
        database_url=gateway_db,
    )
    assert result.returncode == 2
    assert "regions" in result.stderr and "77.77" in result.stderr
