"""Reporting periods on the industrial-relations service: a region's close is its
``industrial_relations.reporting_period.updated.v1`` in the outbox (the routes are
``shared.reporting``'s, tested in full on the job-market service)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from shared.events.base import reporting_period_id

Headers = Callable[..., dict[str, str]]
Rows = Callable[[str], Awaitable[list[dict[str, Any]]]]
UPDATED = "id.go.kemnaker.sinergi.industrial_relations.reporting_period.updated.v1"


async def test_closing_a_month_writes_its_event_to_the_outbox(
    app_client: httpx.AsyncClient, token: Headers, outbox_events: Rows
) -> None:
    response = await app_client.post(
        "/api/v1/industrial-relations/reporting-periods/2026-10/complete",
        headers=token("32.16"),
    )
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "complete" and response.json()["revision"] == 1
    key = str(reporting_period_id("industrial_relations", "32.16", "2026-10"))
    events = await outbox_events(key)
    assert [e["event_type"] for e in events] == [UPDATED]
    data = events[0]["payload"]["data"]
    assert data["id"] == key and data["region_code"] == "32.16" and data["period"] == "2026-10"
    assert data["revision"] == 1 and data["completed_at"] == response.json()["completed_at"]
