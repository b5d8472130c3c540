"""OWASP API4:2023 Unrestricted Resource Consumption: every request has a ceiling.

- a body over the gateway's limit is a 413 problem, whether it declares its length or comes
  chunked, and nothing of it is written;
- lists longer than their documented maximum are a 422 naming them;
- ``limit``, ``offset``, ``cursor`` and ``updated_since`` out of bounds (or not ours) on every
  listing are a 422 naming them;
- an indicator request over the cap on cells (indicators x areas x months) is a 422 saying
  what to narrow, answered at once instead of computed;
- a client past its API quota gets a 429 problem with ``Retry-After``, and only that client.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from shared.regions import registry

MIB = 1024 * 1024


async def test_a_body_over_the_limit_is_413_declared_or_chunked(
    sec: Any, gateway: httpx.AsyncClient, tokens: Any, factory: Any, db_counts: Any
) -> None:
    headers = {**await tokens.headers("sec-3216"), "Content-Type": "application/json"}
    body = factory.job_seeker(factory.person(sec.BEKASI), region=sec.BEKASI)
    body["skills"] = ["las listrik tingkat lanjut"] * 400_000  # about 11 MB
    content = json.dumps(body).encode()
    assert len(content) > 10 * MIB
    before = await db_counts("job_market")

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(content), 64 * 1024):
            yield content[start : start + 64 * 1024]

    declared = await gateway.post(sec.ENTITIES["job_seekers"], content=content, headers=headers)
    chunked = await gateway.post(sec.ENTITIES["job_seekers"], content=chunks(), headers=headers)
    for how, response in (("declared", declared), ("chunked", chunked)):
        assert response.status_code == 413, f"{how}: {sec.short(response)}"
        assert sec.problem_of(response) is not None, f"{how}: {sec.short(response)}"
    assert not sec.grown(before, await db_counts("job_market")), "a refused body left rows"


async def test_lists_over_their_maximum_are_422(
    sec: Any, gateway: httpx.AsyncClient, tokens: Any, factory: Any, dossier: Any
) -> None:
    me = await dossier("sec-3216")
    headers = await tokens.headers("sec-3216")
    skills = factory.job_seeker(factory.person(me.region), region=me.region)
    skills["skills"] = [f"skill {n}" for n in range(10_001)]
    victims = factory.accident(nib=me.nib, region=me.region)
    victims["victims"] = [factory.person(me.region).fields() for _ in range(1_001)]
    for entity, body, field in (
        ("job_seekers", skills, "skills"),
        ("accidents", victims, "victims"),
    ):
        response = await gateway.post(sec.ENTITIES[entity], json=body, headers=headers)
        assert response.status_code == 422, f"{field}: {sec.short(response)}"
        assert sec.names_field(sec.error_fields(response), field), sec.short(response)


OUT_OF_BOUNDS = (
    ("limit", "0"),
    ("limit", "-1"),
    ("limit", "1000000"),
    ("limit", str(2**63)),
    ("limit", "ten"),
    ("offset", "-1"),
    ("offset", str(10**12)),
    ("offset", str(2**64)),
    ("offset", "1e3"),
    ("cursor", "not-a-cursor"),
    ("cursor", "W10" * 100),
    ("updated_since", "1699920000"),
    ("updated_since", "2026-13-45T99:00:00Z"),
)


@pytest.mark.parametrize(("name", "value"), OUT_OF_BOUNDS)
async def test_paging_out_of_bounds_is_422_on_every_listing(
    name: str, value: str, sec: Any, gateway: httpx.AsyncClient, tokens: Any, openapi: Any
) -> None:
    failures = []
    for op in openapi.listings():
        headers = await tokens.headers(sec.reader_for(op.path))
        response = await gateway.get(op.path, params={name: value}, headers=headers)
        if response.status_code != 422 or not sec.names_field(sec.error_fields(response), name):
            failures.append(f"{op.label}?{name}={value}: {sec.short(response)}")
    assert not failures, "\n".join(failures)


async def test_an_indicator_request_over_the_cell_cap_is_422_saying_what_to_narrow(
    sec: Any, gateway: httpx.AsyncClient, tokens: Any
) -> None:
    headers = await tokens.headers(sec.MINISTRY)
    catalogue = await gateway.get("/api/v1/indicators", headers=headers)
    assert catalogue.status_code == 200
    indicators = [entry["code"] for entry in catalogue.json()]
    regions = registry()
    areas = ["ID", *sorted(regions.provinces), *sorted(regions.regencies)]
    params = {
        "indicator": ",".join(indicators),
        "region": ",".join(areas),
        "period": "2020-01..2025-12",
    }
    # 21 indicators x 553 areas x 72 months: what took 5 s and 73 MB before the cap.
    response = await gateway.get("/api/v1/indicators/values", params=params, headers=headers)
    assert response.status_code == 422, sec.short(response)
    problem = sec.problem_of(response)
    assert problem is not None, sec.short(response)
    detail = str(problem.get("detail", "")).lower()
    assert any(word in detail for word in ("indicator", "region", "period")), detail
    # A century of months for one area: over the cap too, never computed.
    century = await gateway.get(
        "/api/v1/indicators/values",
        params={"indicator": indicators[0], "region": "ID", "period": "1925-01..2025-12"},
        headers=headers,
    )
    assert century.status_code == 422, sec.short(century)


async def test_a_client_past_its_api_quota_gets_429_and_the_others_do_not(
    sec: Any, gateway: httpx.AsyncClient, tokens: Any, platform: Any, report: Any
) -> None:
    quota = _api_quota(platform)
    assert quota <= 3_000, (
        f"the test platform's API quota is {quota} requests per window: too many to exhaust "
        "in the suite; run the test platform with a lower SINERGI_RATE_LIMIT_API (it is the "
        "same code path)"
    )
    headers = await tokens.headers("sec-quota-3325")
    statuses: list[int] = []
    first_429: list[httpx.Response] = []

    async def one() -> None:
        response = await gateway.get("/api/v1/indicators", headers=headers)
        statuses.append(response.status_code)
        if response.status_code == 429 and not first_429:
            first_429.append(response)

    sent = 0
    while sent < quota + 50 and not first_429:
        await asyncio.gather(*(one() for _ in range(25)))
        sent += 25
    assert first_429, f"{sent} requests, no 429 (statuses {sorted(set(statuses))})"
    limited = first_429[0]
    assert sec.problem_of(limited) is not None, sec.short(limited)
    assert limited.headers.get("retry-after", "").isdigit(), dict(limited.headers)
    others = await gateway.get("/api/v1/indicators", headers=await tokens.headers("sec-3273"))
    assert others.status_code == 200, sec.short(others)
    report("security: rate-limit figures").append(
        f"API quota: 429 after {statuses.index(429)} requests of one client "
        f"(Retry-After {limited.headers.get('retry-after')} s)"
    )


def _api_quota(platform: Any) -> int:
    """Requests per window the test platform's gateway allows one client."""
    from gateway.settings import GatewaySettings
    from limits import parse

    env = platform.environment("gateway", "sinergi_gateway")
    default = GatewaySettings.model_fields["rate_limit_api"].default
    return int(parse(env.get("SINERGI_RATE_LIMIT_API", default)).amount)
