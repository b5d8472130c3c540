"""What an operator scrapes from a domain service: requests by route template (never by id)
and status with their latency, and the outbox backlog waiting for Kafka."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import httpx

Headers = Callable[..., dict[str, str]]
URL = "/api/v1/job-market/job-seekers"


async def test_requests_are_counted_by_route_template_and_the_backlog_is_exposed(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Callable[..., dict[str, Any]]
) -> None:
    created = await app_client.post(URL, json=job_seeker(), headers=token("32.16"))
    record = created.json()["id"]
    assert (await app_client.get(f"{URL}/{record}", headers=token("32.16"))).status_code == 200
    scraped = await app_client.get("/metrics", headers=token(scopes=("metrics:read",)))
    assert scraped.status_code == 200
    text = scraped.text
    assert re.search(
        r'^sinergi_http_request_duration_seconds_count\{route="/api/v1/job-market/job-seekers/'
        r'\{job_seeker_id\}",service="job-market",status="200"\} [1-9]',
        text,
        re.M,
    ), "a read by id is labelled by its template"
    assert record not in text, "no label carries a record id"
    assert re.search(
        r'^sinergi_http_requests_total\{method="POST",route="/api/v1/job-market/job-seekers",'
        r'service="job-market",status="201"\} [1-9]',
        text,
        re.M,
    )
    assert re.search(r"^sinergi_outbox_backlog \d", text, re.M)
    assert re.search(r"^sinergi_outbox_oldest_age_seconds \d", text, re.M)


async def test_readiness_needs_the_database_and_kafka(
    app_client: httpx.AsyncClient, service_settings: Any
) -> None:
    from job_market.main import create_app

    live = await app_client.get("/health/live")
    assert live.status_code == 200
    ready = await app_client.get("/health/ready")
    assert ready.status_code == 200
    assert ready.json() | {} == {
        "status": "ok", "service": "job-market", "database": "up", "kafka": "up"
    }  # fmt: skip

    # The same service with a broker address nothing listens on: alive, but not ready.
    nowhere = service_settings.model_copy(
        update={"kafka_bootstrap": "127.0.0.1:9", "relay_enabled": False}
    )
    app = create_app(nowhere)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://job-market") as http:
            assert (await http.get("/health/live")).status_code == 200
            unready = await http.get("/health/ready")
    assert unready.status_code == 503
    assert unready.json()["kafka"] == "down" and unready.json()["database"] == "up"
