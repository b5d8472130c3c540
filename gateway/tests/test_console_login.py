"""Signing in to the web console: the form's CSRF cookie, wrong passwords, the session cookie's
attributes, pages kept behind the session, signing out, and failed sign-ins throttled per
username and per address like the token endpoint's (in the shared gateway database)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from gateway.console.accounts import authenticate_user, upsert_user
from shared.db import create_engine, session_factory

from gateway.console import users

OFFICER, PASSWORD = "petugas-uji-3216", "kata-sandi-yang-panjang-0123"


@pytest.fixture(scope="module")
async def officer(gateway_db: str) -> str:
    engine = create_engine(gateway_db, pool_size=1)
    async with session_factory(engine)() as session:
        await upsert_user(
            session,
            username=OFFICER,
            password=PASSWORD,
            full_name="Petugas Uji",
            role="regional_officer",
            regions=["32.16"],
        )
    await engine.dispose()
    return OFFICER


@pytest.fixture(scope="module")
async def app(gateway_app_for: Any, make_settings: Any, officer: str) -> AsyncIterator[FastAPI]:
    settings = make_settings(
        rate_limit_token_failures_per_client="5/10 minutes",
        rate_limit_token_failures_per_address="8/10 minutes",
    )
    async with gateway_app_for(settings) as running:
        yield running


async def _form(client: httpx.AsyncClient) -> str:
    """Open the sign-in page; its CSRF token (the client keeps the cookie)."""
    page = await client.get("/login")
    assert page.status_code == 200
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None
    return found.group(1)


async def _sign_in(
    client: httpx.AsyncClient, password: str, username: str = OFFICER
) -> httpx.Response:
    csrf = await _form(client)
    return await client.post(
        "/login",
        data={"username": username, "password": password, "csrf": csrf, "next": "/dashboard"},
    )


async def test_the_sign_in_page_links_nothing_external_and_is_locked_down(
    app: FastAPI, client_at: Any
) -> None:
    async with client_at(app, "192.0.2.1") as client:
        page = await client.get("/login")
    assert not re.search(r'(src|href)="(https?:)?//', page.text)
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy and "script-src 'self'" in policy
    cookie = page.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie


async def test_a_session_needs_the_form_token_and_the_right_password(
    app: FastAPI, client_at: Any
) -> None:
    await app.state.rate_limits.reset()
    async with client_at(app, "192.0.2.2") as client:
        # A page without a session leads to the sign-in page.
        first = await client.get("/dashboard/completeness")
        assert first.status_code == 303
        assert first.headers["location"] == "/login?next=/dashboard/completeness"
        # A posted form without the sign-in page's token is refused, whatever the password.
        forged = await client.post(
            "/login", data={"username": OFFICER, "password": PASSWORD, "csrf": "guess"}
        )
        assert forged.status_code == 403 and "sinergi_session" not in forged.headers.get(
            "set-cookie", ""
        )
        wrong = await _sign_in(client, "not-the-password-at-all")
        assert wrong.status_code == 401 and "sinergi_session=" not in wrong.headers.get(
            "set-cookie", ""
        )
        right = await _sign_in(client, PASSWORD)
        assert right.status_code == 303 and right.headers["location"] == "/dashboard"
        session = next(
            c for c in right.headers.get_list("set-cookie") if c.startswith("sinergi_session=")
        )
        assert "HttpOnly" in session and "SameSite=strict" in session and "Path=/" in session
        # Signing out needs the session's own CSRF token, and ends the session.
        refused = await client.post("/logout", data={"csrf": "guess"})
        assert refused.status_code == 403
        page = await client.get("/dashboard/language/en")  # any page of the session
        assert page.status_code == 303


async def test_failed_sign_ins_are_throttled_per_username_and_per_address(
    app: FastAPI, client_at: Any
) -> None:
    await app.state.rate_limits.reset()
    async with client_at(app, "192.0.2.3") as client:
        failures = [await _sign_in(client, f"wrong-password-{n:04}") for n in range(5)]
        assert [r.status_code for r in failures] == [401] * 5
        # The username's window is full: even the right password is refused for now.
        throttled = await _sign_in(client, PASSWORD)
        assert throttled.status_code == 429
        assert 1 <= int(throttled.headers["retry-after"]) <= 600
    async with client_at(app, "192.0.2.4") as elsewhere:
        # Another address, the same person: still throttled (the count is per username).
        assert (await _sign_in(elsewhere, PASSWORD)).status_code == 429
    async with client_at(app, "192.0.2.5") as guesser:
        # Eight failures of eight usernames fill this address's window: the ninth is refused.
        tries = [await _sign_in(guesser, "x" * 20, username=f"tebakan-{n}") for n in range(8)]
        assert [r.status_code for r in tries] == [401] * 8
        assert (await _sign_in(guesser, "x" * 20, username="tebakan-9")).status_code == 429


async def test_the_users_command_adds_lists_and_deactivates_people(
    gateway_db: str, capsys: pytest.CaptureFixture[str]
) -> None:
    def run(*argv: str) -> int:
        return users.main(["--database-url", gateway_db, *argv])

    added = await asyncio.to_thread(
        run, "add", "--username", "analis-uji", "--full-name", "Analis Uji",
        "--role", "ministry_analyst", "--regions", "*",
    )  # fmt: skip
    assert added == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["role"] == "ministry_analyst" and len(shown["password"]) >= 12
    assert await asyncio.to_thread(run, "list") == 0
    assert "analis-uji" in capsys.readouterr().out
    engine = create_engine(gateway_db, pool_size=1)
    async with session_factory(engine)() as session:
        assert (
            await authenticate_user(session, username="analis-uji", password=shown["password"])
            is not None
        )
        assert await asyncio.to_thread(run, "deactivate", "analis-uji") == 0
        assert (
            await authenticate_user(session, username="analis-uji", password=shown["password"])
            is None
        )
    await engine.dispose()
    assert await asyncio.to_thread(run, "deactivate", "nobody-here") == 1
    bad = await asyncio.to_thread(
        run, "add", "--username", "x", "--full-name", "X", "--role", "admin", "--regions", "*"
    )
    assert bad == 2
