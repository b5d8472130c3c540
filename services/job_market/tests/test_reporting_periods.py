"""Reporting periods on the job-market service: a region closes a month (its event in the
outbox, in the same transaction), closing it again changes nothing, reopening publishes the
month open again; the listing shows the token's regions' months; bad months, regions and bodies
are RFC 9457 problems naming the field."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from shared.events.base import reporting_period_id
from shared.reporting import this_month
from shared.settings import Settings
from sinergi_local.testing import Sql, sql_runner

Headers = Callable[..., dict[str, str]]
Outbox = Callable[[str], Awaitable[list[dict[str, Any]]]]
PERIODS = "/api/v1/job-market/reporting-periods"
UPDATED = "id.go.kemnaker.sinergi.job_market.reporting_period.updated.v1"


def complete(period: str) -> str:
    return f"{PERIODS}/{period}/complete"


def next_month(period: str) -> str:
    year, month = (int(part) for part in period.split("-"))
    return f"{year + month // 12}-{month % 12 + 1:02d}"


@pytest.fixture(scope="module")
def sql(service_settings: Settings) -> Sql:
    return sql_runner(service_settings.database_url)


def problem_fields(response: httpx.Response) -> list[str]:
    assert response.headers["content-type"].startswith("application/problem+json")
    return [e["field"] for e in response.json().get("errors", [])]


async def test_closing_a_month_publishes_its_state_once_and_reopening_publishes_it_open(
    app_client: httpx.AsyncClient, token: Headers, outbox: Outbox, sql: Sql
) -> None:
    headers = token("32.16")
    key = str(reporting_period_id("job_market", "32.16", "2026-10"))
    before = datetime.now(UTC)

    closed = await app_client.post(complete("2026-10"), headers=headers)
    assert closed.status_code == 200, closed.text
    document = closed.json()
    assert document.keys() == {"region_code", "period", "status", "completed_at", "revision"}
    assert document["region_code"] == "32.16" and document["period"] == "2026-10"
    assert document["status"] == "complete" and document["revision"] == 1
    completed_at = datetime.fromisoformat(document["completed_at"])
    assert before <= completed_at <= datetime.now(UTC)

    events = await outbox(key)
    assert [e["event_type"] for e in events] == [UPDATED]
    envelope = events[0]["payload"]
    assert envelope["subject"] == key and envelope["source"] == "/sinergi/job-market"
    data = envelope["data"]
    # The whole state of the period and nothing else (no client, no person).
    assert data.keys() == {"id", "revision", "region_code", "period", "completed_at"}
    assert data["id"] == key and data["revision"] == 1
    assert data["region_code"] == "32.16" and data["period"] == "2026-10"
    assert datetime.fromisoformat(data["completed_at"]) == completed_at
    stored = await sql(
        "SELECT id, revision, completed_by FROM reporting_periods"
        " WHERE region_code = '32.16' AND period = '2026-10'"
    )
    assert stored == [{"id": uuid.UUID(key), "revision": 1, "completed_by": "disnaker-test"}], (
        "the client that closed it is kept (not published)"
    )

    again = await app_client.post(complete("2026-10"), headers=headers, json={})
    assert again.status_code == 200, again.text
    assert again.json() == document, "closing a closed month changes nothing"
    assert len(await outbox(key)) == 1, "and publishes nothing"

    reopened = await app_client.delete(complete("2026-10"), headers=headers)
    assert reopened.status_code == 200, reopened.text
    assert reopened.json() == {
        "region_code": "32.16",
        "period": "2026-10",
        "status": "open",
        "completed_at": None,
        "revision": 2,
    }
    events = await outbox(key)
    assert [e["event_type"] for e in events] == [UPDATED, UPDATED]
    data = events[1]["payload"]["data"]
    assert data["id"] == key and data["revision"] == 2 and data["completed_at"] is None

    still_open = await app_client.delete(complete("2026-10"), headers=headers)
    assert still_open.status_code == 200 and still_open.json() == reopened.json()
    assert len(await outbox(key)) == 2

    closed_again = await app_client.post(complete("2026-10"), headers=headers)
    assert closed_again.json()["status"] == "complete" and closed_again.json()["revision"] == 3
    assert [e["payload"]["data"]["revision"] for e in await outbox(key)] == [1, 2, 3]


async def test_reopening_a_month_never_closed_changes_nothing(
    app_client: httpx.AsyncClient, token: Headers, outbox: Outbox
) -> None:
    response = await app_client.delete(complete("2026-01"), headers=token("32.16"))
    assert response.status_code == 200, response.text
    assert response.json() == {
        "region_code": "32.16",
        "period": "2026-01",
        "status": "open",
        "completed_at": None,
        "revision": 0,
    }
    assert await outbox(str(reporting_period_id("job_market", "32.16", "2026-01"))) == []


async def test_a_token_of_several_regions_names_the_region_in_the_body_or_the_query(
    app_client: httpx.AsyncClient, token: Headers, outbox: Outbox
) -> None:
    headers = token("32.16", "32.73")
    closed = await app_client.post(
        complete("2026-09"), headers=headers, json={"region_code": "3273"}
    )
    assert closed.status_code == 200, closed.text
    assert closed.json()["region_code"] == "32.73" and closed.json()["status"] == "complete"
    events = await outbox(str(reporting_period_id("job_market", "32.73", "2026-09")))
    assert [e["payload"]["data"]["region_code"] for e in events] == ["32.73"]

    for missing in (
        await app_client.post(complete("2026-09"), headers=headers),
        await app_client.post(complete("2026-09"), headers=headers, json={}),
        await app_client.delete(complete("2026-09"), headers=headers),
        await app_client.post(complete("2026-09"), headers=token("*")),
    ):
        assert missing.status_code == 422, missing.text
        assert problem_fields(missing) == ["region_code"]

    reopened = await app_client.delete(
        complete("2026-09"), headers=headers, params={"region_code": "32.73"}
    )
    assert reopened.status_code == 200, reopened.text
    assert reopened.json()["status"] == "open" and reopened.json()["revision"] == 2

    national = await app_client.post(
        complete("2026-09"), headers=token("*"), json={"region_code": "32.73"}
    )
    assert national.status_code == 200 and national.json()["revision"] == 3


async def test_a_region_outside_the_token_is_forbidden(
    app_client: httpx.AsyncClient, token: Headers, outbox: Outbox
) -> None:
    headers = token("32.16")
    for refused in (
        await app_client.post(complete("2026-08"), headers=headers, json={"region_code": "32.73"}),
        await app_client.delete(
            complete("2026-08"), headers=headers, params={"region_code": "3273"}
        ),
    ):
        assert refused.status_code == 403, refused.text
        assert refused.json()["type"].endswith("/forbidden")
        assert problem_fields(refused) == ["region_code"]
    assert await outbox(str(reporting_period_id("job_market", "32.73", "2026-08"))) == []

    read_only = await app_client.post(
        complete("2026-08"), headers=token("32.16", scopes=("job-market:read",))
    )
    assert read_only.status_code == 403
    assert (await app_client.post(complete("2026-08"))).status_code == 401


@pytest.mark.parametrize(
    "period", ["2026-13", "2026-00", "202610", "2026-1", "26-10", "2026-10-01", "1999-12", "abcd"]
)
async def test_a_malformed_or_too_early_month_is_a_422_naming_period(
    app_client: httpx.AsyncClient, token: Headers, period: str
) -> None:
    for response in (
        await app_client.post(complete(period), headers=token("32.16")),
        await app_client.delete(complete(period), headers=token("32.16")),
    ):
        assert response.status_code == 422, response.text
        assert problem_fields(response) == ["period"]


async def test_the_current_month_may_be_closed_but_not_a_later_one(
    app_client: httpx.AsyncClient, token: Headers, outbox: Outbox
) -> None:
    current = this_month()
    closed = await app_client.post(complete(current), headers=token("32.16"))
    assert closed.status_code == 200, closed.text
    future = next_month(current)
    response = await app_client.post(complete(future), headers=token("32.16"))
    assert response.status_code == 422, response.text
    assert problem_fields(response) == ["period"]
    assert "has not begun" in response.json()["errors"][0]["detail"]
    assert await outbox(str(reporting_period_id("job_market", "32.16", future))) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"region_code": "99.99"}, "region_code"),
        ({"region_code": 3216}, "region_code"),
        ({"region_code": "32.16\u0000"}, "region_code"),
        ({"completed_at": "2026-10-05T00:00:00Z"}, "completed_at"),
        ({"region_code": "32.16", "status": "complete"}, "status"),
        ([], "body"),
    ],
)
async def test_a_bad_body_is_a_422_naming_the_field(
    app_client: httpx.AsyncClient, token: Headers, body: Any, field: str
) -> None:
    response = await app_client.post(complete("2026-07"), headers=token("32.16"), json=body)
    assert response.status_code == 422, response.text
    assert problem_fields(response) == [field]


async def test_the_listing_shows_the_months_of_the_tokens_regions_ever_closed(
    app_client: httpx.AsyncClient, token: Headers
) -> None:
    both = token("32.13", "33.25")
    for region, period in (("33.25", "2025-12"), ("32.13", "2026-02"), ("32.13", "2025-12")):
        answer = await app_client.post(complete(period), headers=both, json={"region_code": region})
        assert answer.status_code == 200, answer.text
    await app_client.delete(complete("2026-02"), headers=both, params={"region_code": "32.13"})

    listed = await app_client.get(
        PERIODS, headers=token("32.13", "33.25", scopes=("job-market:read",))
    )
    assert listed.status_code == 200, listed.text
    items = listed.json()["items"]
    assert [(i["region_code"], i["period"], i["status"], i["revision"]) for i in items] == [
        ("32.13", "2025-12", "complete", 1),
        ("32.13", "2026-02", "open", 2),
        ("33.25", "2025-12", "complete", 1),
    ]
    assert all((i["completed_at"] is None) == (i["status"] == "open") for i in items)

    by_region = await app_client.get(PERIODS, headers=both, params={"region_code": "3325"})
    assert [(i["region_code"], i["period"]) for i in by_region.json()["items"]] == [
        ("33.25", "2025-12")
    ]
    by_period = await app_client.get(PERIODS, headers=both, params={"period": "2025-12"})
    assert [i["region_code"] for i in by_period.json()["items"]] == ["32.13", "33.25"]
    elsewhere = await app_client.get(
        PERIODS, headers=token("32.13"), params={"region_code": "33.25"}
    )
    assert elsewhere.status_code == 200 and elsewhere.json() == {"items": []}
    national = await app_client.get(PERIODS, headers=token("*"), params={"period": "2025-12"})
    assert {"32.13", "33.25"} <= {i["region_code"] for i in national.json()["items"]}

    for params, field in (
        ({"period": "2025-13"}, "period"),
        ({"region_code": "99.99"}, "region_code"),
        ({"regions": "32.13"}, "query.regions"),
    ):
        bad = await app_client.get(PERIODS, headers=both, params=params)
        assert bad.status_code == 422, (params, bad.text)
        assert problem_fields(bad) == [field]
    no_scope = await app_client.get(PERIODS, headers=token("32.13", scopes=("training:read",)))
    assert no_scope.status_code == 403
