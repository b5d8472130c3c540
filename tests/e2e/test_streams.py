"""Server-sent event streams at the gateway: delivery, filters, exact resume across a gateway
restart, scopes, bad requests, and the end of a stream when its token expires."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import httpx
import pytest
from shared.auth import TokenIssuer
from shared.identifiers import nik_for
from shared.settings import Settings
from sinergi_local.platform import Platform
from sinergi_local.testing import EventStream

Tokens = Callable[[str], Awaitable[dict[str, str]]]
MINISTRY = "kemnaker-pusdatin"
BEKASI, BATANG = "disnaker-3216", "disnaker-3325"
JOB_SEEKERS = "/api/v1/job-market/job-seekers"
STREAM = "/api/v1/streams/job-market"
REGISTERED = "id.go.kemnaker.sinergi.job_market.job_seeker.registered.v1"


@pytest.fixture(scope="module")
def open_stream(gateway: httpx.AsyncClient, platform: Platform) -> Callable[..., Any]:
    @asynccontextmanager
    async def opened(
        headers: dict[str, str], path: str = STREAM, **params: Any
    ) -> AsyncIterator[EventStream]:
        request = gateway.build_request("GET", path, params=params, headers=headers)
        response = await gateway.send(request, stream=True)
        try:
            if response.status_code != 200:
                log = (platform.logs_dir / "gateway.log").read_text()[-3000:]
                raise AssertionError(f"{(await response.aread()).decode()}\n{log}")
            assert response.headers["content-type"].startswith("text/event-stream")
            yield EventStream(response)
        finally:
            await response.aclose()

    return opened


async def register(
    gateway: httpx.AsyncClient, headers: dict[str, str], region: str, serial: int
) -> str:
    """A new job seeker of ``region`` (32.16 or 33.25); its entity id."""
    district = {"32.16": "32.16.04", "33.25": "33.25.01"}[region]
    birth = date(1990, 5, 17)
    body = {
        "external_id": f"SSE-{region}-{serial}",
        "nik": nik_for(district=district, birth_date=birth, sex="M", serial=serial),
        "full_name": "Budi Santoso",
        "birth_date": birth.isoformat(),
        "sex": "M",
        "education_level": "SMA",
        "region_code": region,
        "registered_at": "2026-11-02",
    }
    created = await gateway.post(JOB_SEEKERS, json=body, headers=headers)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


async def test_events_arrive_filtered_and_resume_exactly_across_a_gateway_restart(
    gateway: httpx.AsyncClient, auth: Tokens, platform: Platform, open_stream: Any
) -> None:
    ministry, batang, bekasi = await auth(MINISTRY), await auth(BATANG), await auth(BEKASI)
    async with open_stream(ministry, types=REGISTERED, region="33.25") as events:
        first = [await register(gateway, batang, "33.25", 7100 + i) for i in range(3)]
        await register(gateway, bekasi, "32.16", 7200)  # another region: filtered out
        seen = await events.until(set(first))
    assert sorted(e.data["subject"] for e in seen) == sorted(first)
    for event in seen:
        assert event.data["type"] == REGISTERED and event.data["specversion"] == "1.0"
        assert event.data["region"] == "33.25" and event.data["data"]["region_code"] == "33.25"
        assert "nik" not in event.data["data"] and "full_name" not in event.data["data"]
    resume_at = seen[-1].id
    assert resume_at is not None

    # Written while nobody listens, and the gateway restarted in between: resuming from the
    # last id gives exactly these, once each.
    later = [await register(gateway, batang, "33.25", 7300 + i) for i in range(2)]
    platform.restart("gateway")
    ministry = await auth(MINISTRY)
    async with open_stream(
        ministry | {"Last-Event-ID": resume_at}, types=REGISTERED, region="33.25"
    ) as events:
        resumed = await events.until(set(later))
        assert sorted(e.data["subject"] for e in resumed) == sorted(later)  # none twice
        also = [await register(gateway, batang, "33.25", 7400)]
        assert [e.data["subject"] for e in await events.until(set(also))] == also

    # ``after=`` is the same resume point; ``from=earliest`` starts with the oldest events.
    async with open_stream(ministry, types=REGISTERED, region="33.25", after=resume_at) as events:
        after_resume = await events.until({*later, *also})
        assert sorted(e.data["subject"] for e in after_resume) == sorted([*later, *also])
    async with open_stream(
        ministry, types=REGISTERED, region="33.25", **{"from": "earliest"}
    ) as events:
        oldest = await events.until(set(first))
        assert sorted(e.data["subject"] for e in oldest if e.data["subject"] in first) == sorted(
            first
        )


async def test_a_regional_client_streams_its_own_regions_only(
    gateway: httpx.AsyncClient, auth: Tokens, open_stream: Any
) -> None:
    bekasi, batang = await auth(BEKASI), await auth(BATANG)
    async with open_stream(bekasi, types=REGISTERED) as events:
        theirs = await register(gateway, batang, "33.25", 7500)
        ours = await register(gateway, bekasi, "32.16", 7501)
        seen = await events.until({ours})
    assert theirs not in {e.data["subject"] for e in seen}
    assert {e.data["region"] for e in seen} == {"32.16"}

    refused = await gateway.get(STREAM, params={"region": "33.25"}, headers=bekasi)
    assert refused.status_code == 422
    assert refused.headers["content-type"] == "application/problem+json"
    assert "outside" in refused.text


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"after": "garbage"}, {"query.after"}),
        ({"after": "0:999999999"}, {"query.after"}),
        ({"from": "yesterday"}, {"query.from"}),
        ({"from": "earliest", "after": "0:0"}, {"query.from"}),
        ({"types": "id.go.kemnaker.sinergi.training.enrollment.recorded.v1"}, {"query.types"}),
        (
            {"region": "99.99", "types": "nope", "from": "x"},
            {"query.region", "query.types", "query.from"},
        ),
        ({"disabilty": "1"}, {"query.disabilty"}),
    ],
)
async def test_bad_requests_are_problems_naming_every_field(
    gateway: httpx.AsyncClient, auth: Tokens, params: dict[str, str], fields: set[str]
) -> None:
    answer = await gateway.get(STREAM, params=params, headers=await auth(MINISTRY))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in answer.json()["errors"]} == fields


async def test_scopes_and_names_are_checked(gateway: httpx.AsyncClient, auth: Tokens) -> None:
    bpjs = await auth("bpjs-ketenagakerjaan")  # social-security:subscribe only
    assert (await gateway.get(STREAM, headers=bpjs)).status_code == 403
    assert (await gateway.get(STREAM)).status_code == 401
    unknown = await gateway.get("/api/v1/streams/payroll", headers=bpjs)
    assert unknown.status_code == 422 and "path.stream" in unknown.text
    wrong = await gateway.get(STREAM, headers=await auth(MINISTRY) | {"Accept": "application/json"})
    assert wrong.status_code == 406


async def test_a_stream_ends_with_an_event_when_its_token_expires(
    gateway: httpx.AsyncClient, platform: Platform, open_stream: Any
) -> None:
    settings = Settings()
    issuer = TokenIssuer(
        private_key_pem=(platform.secrets_dir / "jwt-private.pem").read_bytes(),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    token = issuer.issue(client_id=MINISTRY, scopes=["job-market:subscribe"], regions=["*"], ttl=3)
    async with open_stream({"Authorization": f"Bearer {token}"}) as events:
        final = await events.next(timeout=20)
        while final.event is None:
            final = await events.next(timeout=20)
        assert final.event == "token-expired" and final.id
        with pytest.raises(EOFError):
            await events.next(timeout=10)
