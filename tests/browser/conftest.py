"""Browser fixtures: Debian's Chromium driven by Playwright against the platform's gateway, a
signed-in page per person, and the figures the tests report (page timings, screenshots)."""

from __future__ import annotations

import json
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright
from sinergi_local.platform import ROOT, Platform

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = ROOT / ".local" / "screenshots"
# Chromium as the machine's own browser: no first-run, sync or component traffic (a closed
# network refuses it), no sandbox (tests run as root in CI).
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
TIMINGS: dict[str, float] = {}
"""First render (navigation duration, ms) of each page, reported at the end of the run."""


@pytest.fixture(scope="session")
def demo_users(platform: Platform) -> dict[str, dict[str, Any]]:
    """The demo people of ``demo-users.json``, by username."""
    data = json.loads((platform.config.state_dir / "demo-users.json").read_text())
    return {user["username"]: user for user in data["users"]}


@pytest.fixture(scope="session")
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        await launched.close()


class Visit:
    """A signed-in browser tab of one person, recording every request it makes."""

    def __init__(self, context: BrowserContext, page: Page, base: str) -> None:
        self.context, self.page, self.base = context, page, base
        self.requests: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))

    async def open(self, path: str, *, name: str | None = None) -> None:
        """Go to ``path``, wait until it rendered, note its timing and keep a screenshot."""
        await self.page.goto(self.base + path, wait_until="load")
        duration = await self.page.evaluate(
            "() => performance.getEntriesByType('navigation')[0].duration"
        )
        if name is not None:
            TIMINGS[name] = float(duration)
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            await self.page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)

    def hosts(self) -> set[str]:
        """Every host the tab sent a request to."""
        return {urlsplit(url).hostname or url for url in self.requests if "://" in url}


SignIn = Callable[[str], Awaitable[Visit]]


@pytest.fixture
async def sign_in(
    browser: Browser, platform: Platform, demo_users: dict[str, dict[str, Any]]
) -> AsyncIterator[SignIn]:
    """``await sign_in(username)``: a new tab signed in through the login form."""
    contexts: list[BrowserContext] = []

    async def open_as(username: str) -> Visit:
        context = await browser.new_context(accept_downloads=True)
        contexts.append(context)
        visit = Visit(context, await context.new_page(), platform.config.gateway_url)
        await visit.page.goto(visit.base + "/dashboard")
        assert "/login" in visit.page.url, "an anonymous visit is sent to the sign-in page"
        await visit.page.fill("#username", username)
        await visit.page.fill("#password", demo_users[username]["password"])
        await visit.page.click("button[type=submit]")
        await visit.page.wait_for_url(visit.base + "/dashboard")
        return visit

    visits: list[Visit] = []

    async def tracked(username: str) -> Visit:
        visit = await open_as(username)
        visits.append(visit)
        return visit

    yield tracked
    for context in contexts:
        await context.close()
    # Nothing a page loads comes from another host (no CDN, font or tracker).
    for visit in visits:
        assert visit.hosts() <= {"127.0.0.1"}, f"requests left the machine: {visit.hosts()}"


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TIMINGS:
        return
    terminalreporter.section("web console: first render per page (navigation timing)")
    for name, duration in TIMINGS.items():
        terminalreporter.write_line(f"{name:<24} {duration:8.0f} ms")
    terminalreporter.write_line(f"screenshots: {SCREENSHOTS}/*.png")


@pytest.fixture(scope="session")
async def api(platform: Platform) -> AsyncIterator[Callable[..., Awaitable[Any]]]:
    """``await api(client_id, method, path, **httpx_kwargs)``: the API as a demo client."""
    import httpx

    clients = json.loads((platform.config.state_dir / "demo-clients.json").read_text())
    secrets = {c["client_id"]: c["client_secret"] for c in clients["clients"]}
    tokens: dict[str, str] = {}
    async with httpx.AsyncClient(base_url=platform.config.gateway_url, timeout=30) as http:

        async def call(client_id: str, method: str, path: str, **kwargs: Any) -> httpx.Response:
            if client_id not in tokens:
                issued = await http.post(
                    "/oauth/token",
                    data={
                        "grant_type": "client_credentials",
                        "client_id": client_id,
                        "client_secret": secrets[client_id],
                    },
                )
                tokens[client_id] = issued.json()["access_token"]
            headers = {"Authorization": f"Bearer {tokens[client_id]}", **kwargs.pop("headers", {})}
            return await http.request(method, path, headers=headers, **kwargs)

        yield call
