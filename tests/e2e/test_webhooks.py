"""Webhooks through the gateway: signed deliveries with retries, in order per entity, filters,
the delivery log and redelivery, SSRF refusals, ownership, scopes, automatic disabling."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import httpx
import pytest
import uvicorn
from shared.identifiers import nik_for
from sinergi_local.platform import Platform
from sinergi_local.testing import free_port
from standardwebhooks import Webhook
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

Tokens = Callable[[str], Awaitable[dict[str, str]]]
SUBSCRIPTIONS = "/api/v1/subscriptions"
REGISTERED = "id.go.kemnaker.sinergi.job_market.job_seeker.registered.v1"
UPDATED = "id.go.kemnaker.sinergi.job_market.job_seeker.updated.v1"


@dataclass
class Receiver:
    """An endpoint of a partner system: records every request; the first attempt of each
    event answers 500, and ``/always-failing`` always does."""

    port: int
    requests: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    tried: set[str] = field(default_factory=set)

    def url(self, path: str = "/hooks") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    async def handle(self, request: Request) -> Response:
        body = await request.body()
        headers = {k.lower(): v for k, v in request.headers.items()}
        self.requests.append((request.url.path, headers, body))
        event_id = headers.get("webhook-id", "")
        if request.url.path == "/always-failing" or event_id not in self.tried:
            self.tried.add(event_id)
            return Response(status_code=500)
        return Response(status_code=204)

    def delivered(self, secret: str) -> list[dict[str, Any]]:
        """The events answered 2xx on /hooks, each verified with the signing secret."""
        events = []
        for path, headers, body in self.requests:
            if path != "/hooks":
                continue
            event = Webhook(secret).verify(body, headers)
            if sum(1 for _, h, _ in self.requests if h["webhook-id"] == headers["webhook-id"]) > 1:
                events.append(event)
        return _dedup(events)


def _dedup(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen: dict[str, dict[str, Any]] = {}
    for event in events:
        seen.setdefault(event["id"], event)
    return list(seen.values())


@pytest.fixture(scope="module")
async def receiver(platform: Platform) -> AsyncIterator[Receiver]:
    """The receiver, and the gateway restarted to allow it (http, its host:port only), with
    fast retries and a short failure period; restored afterwards."""
    found = Receiver(port=free_port())
    app = Starlette(routes=[Route("/{path:path}", found.handle, methods=["POST"])])
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=found.port, log_level="warning")
    )
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    overrides = {
        "SINERGI_WEBHOOK_ALLOWED_HOSTS": f"127.0.0.1:{found.port}",
        "SINERGI_WEBHOOK_ALLOW_HTTP": "true",
        "SINERGI_WEBHOOK_RETRY_FIRST_SECONDS": "0.2",
        "SINERGI_WEBHOOK_RETRY_LONGEST_SECONDS": "1",
        "SINERGI_WEBHOOK_POLL_SECONDS": "0.1",
        "SINERGI_WEBHOOK_DISABLE_AFTER_SECONDS": "3",
    }
    platform.config.settings.update(overrides)
    platform.restart("gateway")
    try:
        yield found
    finally:
        for name in overrides:
            platform.config.settings.pop(name, None)
        platform.restart("gateway")
        server.should_exit = True
        await task


async def register(
    gateway: httpx.AsyncClient, headers: dict[str, str], serial: int, **extra: Any
) -> str:
    birth = date(1991, 3, 9)
    body = {
        "external_id": f"WH-{serial}", "full_name": "Agus Salim", "sex": "M",
        "nik": nik_for(district="33.25.01", birth_date=birth, sex="M", serial=serial),
        "birth_date": birth.isoformat(), "education_level": "SMA", "region_code": "33.25",
        "registered_at": "2026-11-10",
    } | extra  # fmt: skip
    if body["region_code"] == "32.16":
        body["nik"] = nik_for(district="32.16.04", birth_date=birth, sex="M", serial=serial)
    answer = await gateway.post("/api/v1/job-market/job-seekers", json=body, headers=headers)
    assert answer.status_code in (200, 201), answer.text
    return str(answer.json()["id"])


async def _until(probe: Callable[[], Awaitable[bool]], timeout: float = 60) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not await probe():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_signed_deliveries_with_retries_in_order_per_entity(
    gateway: httpx.AsyncClient, auth: Tokens, receiver: Receiver
) -> None:
    ministry, batang, bekasi = (
        await auth("kemnaker-pusdatin"),
        await auth("disnaker-3325"),
        await auth("disnaker-3216"),
    )
    created = await gateway.post(
        SUBSCRIPTIONS,
        json={
            "url": receiver.url(),
            "domain": "job-market",
            "types": [REGISTERED, UPDATED],
            "regions": ["33.25"],
        },
        headers=ministry,
    )
    assert created.status_code == 201, created.text
    subscription = created.json()
    secret = subscription["secret"]
    assert secret.startswith("whsec_") and subscription["status"] == "active"

    ids = [await register(gateway, batang, 9100 + i) for i in range(3)]
    await register(gateway, bekasi, 9200, region_code="32.16")  # another region: not sent
    corrected = await register(gateway, batang, 9100, education_level="S1")  # update of ids[0]
    assert corrected == ids[0]

    async def all_there() -> bool:
        got = receiver.delivered(secret)
        return sum(1 for e in got if e["subject"] in ids) >= 4

    await _until(all_there)
    got = receiver.delivered(secret)
    assert {e["data"]["region_code"] for e in got} == {"33.25"}
    of_first = [e["type"] for e in got if e["subject"] == ids[0]]
    assert of_first == [REGISTERED, UPDATED]  # the entity's order, retries included
    assert set(ids) <= {e["subject"] for e in got}

    log = await gateway.get(f"{SUBSCRIPTIONS}/{subscription['id']}/deliveries", headers=ministry)
    assert log.status_code == 200
    entries = log.json()
    assert all(d["status"] == "delivered" and d["attempts"] >= 2 for d in entries)
    assert all(d["last_error"] is None and d["last_status_code"] == 204 for d in entries)

    # Redelivery on request: the same event, signed again.
    before = len(receiver.requests)
    again = await gateway.post(
        f"{SUBSCRIPTIONS}/{subscription['id']}/deliveries/{entries[0]['id']}/redeliver",
        headers=ministry,
    )
    assert again.status_code == 202

    async def redelivered() -> bool:
        return any(
            h["webhook-id"] == entries[0]["event_id"] for _, h, _ in receiver.requests[before:]
        )

    await _until(redelivered)

    # Only its owner sees it.
    other = await gateway.get(f"{SUBSCRIPTIONS}/{subscription['id']}", headers=bekasi)
    assert other.status_code == 404
    assert (
        await gateway.delete(f"{SUBSCRIPTIONS}/{subscription['id']}", headers=bekasi)
    ).status_code == 404
    listed = await gateway.get(SUBSCRIPTIONS, headers=ministry)
    assert subscription["id"] in {s["id"] for s in listed.json()} and "secret" not in listed.text
    assert (
        await gateway.delete(f"{SUBSCRIPTIONS}/{subscription['id']}", headers=ministry)
    ).status_code == 204


async def test_an_endpoint_that_keeps_failing_is_disabled_then_enabled_again(
    gateway: httpx.AsyncClient, auth: Tokens, receiver: Receiver
) -> None:
    ministry, batang = await auth("kemnaker-pusdatin"), await auth("disnaker-3325")
    created = await gateway.post(
        SUBSCRIPTIONS,
        json={
            "url": receiver.url("/always-failing"),
            "domain": "job-market",
            "types": [REGISTERED],
        },
        headers=ministry,
    )
    assert created.status_code == 201, created.text
    path = f"{SUBSCRIPTIONS}/{created.json()['id']}"
    await register(gateway, batang, 9300)

    async def disabled() -> bool:
        return (await gateway.get(path, headers=ministry)).json()["status"] == "disabled"

    await _until(disabled)
    state = (await gateway.get(path, headers=ministry)).json()
    assert "failed" in state["disabled_reason"]
    enabled = await gateway.patch(path, json={"status": "active"}, headers=ministry)
    assert enabled.status_code == 200 and enabled.json()["status"] == "active"
    assert (await gateway.delete(path, headers=ministry)).status_code == 204


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:1/hooks",  # loopback, not the allowed port
        "https://169.254.169.254/latest/meta-data",  # link-local (cloud metadata)
        "https://10.0.0.8/hooks",  # private
        "https://[::1]/hooks",  # loopback v6
        "https://localhost/hooks",  # a name resolving to loopback
        "ftp://example.org/hooks",
    ],
)
async def test_endpoints_inside_the_network_are_refused(
    gateway: httpx.AsyncClient, auth: Tokens, receiver: Receiver, url: str
) -> None:
    answer = await gateway.post(
        SUBSCRIPTIONS,
        json={"url": url, "domain": "job-market"},
        headers=await auth("kemnaker-pusdatin"),
    )
    assert answer.status_code == 422, answer.text
    assert [e["field"] for e in answer.json()["errors"]] == ["url"]


async def test_scopes_regions_and_input_are_checked(
    gateway: httpx.AsyncClient, auth: Tokens, receiver: Receiver
) -> None:
    bpjs, bekasi = await auth("bpjs-ketenagakerjaan"), await auth("disnaker-3216")
    body = {"url": receiver.url(), "domain": "job-market"}
    assert (await gateway.post(SUBSCRIPTIONS, json=body, headers=bpjs)).status_code == 403
    outside = await gateway.post(SUBSCRIPTIONS, json=body | {"regions": ["33.25"]}, headers=bekasi)
    assert outside.status_code == 422 and "outside" in outside.text
    sloppy = await gateway.post(
        SUBSCRIPTIONS,
        json=body | {"types": ["nope"], "callback": "x", "regions": "32.16"},
        headers=bekasi,
    )
    assert sloppy.status_code == 422
    assert {e["field"] for e in sloppy.json()["errors"]} >= {"callback", "regions"}
    own = await gateway.post(SUBSCRIPTIONS, json=body, headers=bekasi)
    assert own.status_code == 201 and own.json()["regions"] == ["32.16"]
    assert json.loads(own.text)["id"]
    assert (
        await gateway.delete(f"{SUBSCRIPTIONS}/{own.json()['id']}", headers=bekasi)
    ).status_code == 204
