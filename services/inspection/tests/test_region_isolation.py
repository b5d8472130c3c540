"""The job-market region and scope rules, for companies, inspections and accidents alike."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

Headers = Callable[..., dict[str, str]]
Builder = Callable[..., dict[str, Any]]
Register = Callable[..., Awaitable[dict[str, Any]]]
COMPANIES = "/api/v1/inspection/companies"
INSPECTIONS = "/api/v1/inspection/inspections"
ACCIDENTS = "/api/v1/inspection/accidents"
ENTITIES = [COMPANIES, INSPECTIONS, ACCIDENTS]


@pytest.fixture
def body_for(
    company: Builder, inspection: Builder, accident: Builder, registered_company: Register
) -> Any:
    """A valid body for ``url`` in ``region`` (its company registered there first)."""

    async def build(url: str, region: str = "32.16") -> dict[str, Any]:
        if url == COMPANIES:
            return company(region_code=region)
        nib = (await registered_company(region_code=region))["nib"]
        builder = inspection if url == INSPECTIONS else accident
        return builder(company_nib=nib, region_code=region)

    return build


@pytest.mark.parametrize("url", ENTITIES)
async def test_write_outside_token_regions_is_forbidden(
    app_client: httpx.AsyncClient, token: Headers, body_for: Any, url: str
) -> None:
    response = await app_client.post(url, json=await body_for(url), headers=token("32.73"))
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    assert "32.16" in response.json()["detail"]


@pytest.mark.parametrize("url", ENTITIES)
async def test_moving_a_record_out_of_the_token_regions_is_forbidden(
    app_client: httpx.AsyncClient,
    token: Headers,
    body_for: Any,
    company: Builder,
    url: str,
) -> None:
    body = await body_for(url)
    created = await app_client.post(url, json=body, headers=token("32.16"))
    assert created.status_code == 201, created.text
    if url != COMPANIES:  # the company must be one the 32.73 client's records may name
        bandung = company(nib=body["company_nib"], region_code="32.73")
        await app_client.post(COMPANIES, json=bandung, headers=token("32.73", client_id="bandung"))
    moved = await app_client.post(url, json=body | {"region_code": "32.73"}, headers=token("32.73"))
    assert moved.status_code == 403, moved.text
    read = await app_client.get(f"{url}/{created.json()['id']}", headers=token("32.16"))
    assert read.json()["region_code"] == "32.16" and read.json()["revision"] == 1


@pytest.mark.parametrize("url", ENTITIES)
async def test_reads_are_scoped_to_the_token_regions(
    app_client: httpx.AsyncClient, token: Headers, body_for: Any, url: str
) -> None:
    bekasi = (await app_client.post(url, json=await body_for(url), headers=token("32.16"))).json()
    bandung_body = await body_for(url, "32.73")
    await app_client.post(url, json=bandung_body, headers=token("32.73"))
    own = await app_client.get(f"{url}/{bekasi['id']}", headers=token("32.16"))
    assert own.status_code == 200
    other = await app_client.get(f"{url}/{bekasi['id']}", headers=token("32.73"))
    assert other.status_code == 404
    assert other.headers["content-type"] == "application/problem+json"
    listing = (await app_client.get(url, headers=token("32.73"), params={"limit": 500})).json()
    assert len(listing["items"]) >= 1
    assert all(item["region_code"] == "32.73" for item in listing["items"])
    ministry = await app_client.get(f"{url}/{bekasi['id']}", headers=token("*"))
    assert ministry.status_code == 200
    everything = (await app_client.get(url, headers=token("*"), params={"limit": 500})).json()
    assert {"32.16", "32.73"} <= {item["region_code"] for item in everything["items"]}


@pytest.mark.parametrize("url", ENTITIES)
async def test_tokens_are_required_and_scopes_enforced(
    app_client: httpx.AsyncClient, token: Headers, body_for: Any, url: str
) -> None:
    body = await body_for(url)
    assert (await app_client.post(url, json=body)).status_code == 401
    bad = {"Authorization": "Bearer not-a-jwt"}
    assert (await app_client.post(url, json=body, headers=bad)).status_code == 401
    read_only = token("32.16", scopes=("inspection:read",))
    assert (await app_client.post(url, json=body, headers=read_only)).status_code == 403
    other_domain = token("32.16", scopes=("job-market:read", "job-market:write"))
    assert (await app_client.get(url, headers=other_domain)).status_code == 403
    assert (await app_client.post(url, json=body, headers=other_domain)).status_code == 403
    assert (await app_client.get(url)).status_code == 401


@pytest.mark.parametrize("url", [INSPECTIONS, ACCIDENTS])
async def test_a_company_of_another_region_is_never_revealed_nor_linked(
    app_client: httpx.AsyncClient,
    token: Headers,
    body_for: Any,
    company: Builder,
    url: str,
) -> None:
    # A NIB registered only in Bandung answers Bekasi exactly as a NIB registered nowhere.
    bandung = token("32.73", client_id="bandung")
    in_bandung = company(region_code="32.73")["nib"]
    registered = company(nib=in_bandung, region_code="32.73")
    assert (await app_client.post(COMPANIES, json=registered, headers=bandung)).status_code == 201
    nowhere = "9" + in_bandung[1:] if in_bandung[0] != "9" else "8" + in_bandung[1:]
    body = await body_for(url)
    answers = [
        await app_client.post(url, json=body | {"company_nib": nib}, headers=token("32.16"))
        for nib in (in_bandung, nowhere)
    ]
    assert [a.status_code for a in answers] == [422, 422]
    details = [
        [e["detail"].replace(nib, "<nib>") for e in a.json()["errors"]]
        for a, nib in zip(answers, (in_bandung, nowhere), strict=True)
    ]
    assert details[0] == details[1]
    # Bandung registering Bekasi's NIB again never changes what Bekasi's record links to.
    created = await app_client.post(url, json=body, headers=token("32.16"))
    assert created.status_code == 201, created.text
    before = (await app_client.get(f"{url}/{created.json()['id']}", headers=token("32.16"))).json()
    moved = company(nib=body["company_nib"], region_code="32.73", kbli_code="62019")
    assert (await app_client.post(COMPANIES, json=moved, headers=bandung)).status_code == 201
    again = await app_client.post(url, json=body, headers=token("32.16"))
    assert again.json()["change"] == "unchanged"
    after = (await app_client.get(f"{url}/{created.json()['id']}", headers=token("32.16"))).json()
    assert after["company_id"] == before["company_id"]
