"""Two replicas of the job-market service on one database, written to alternately, one stopped
midway: every accepted record's event reaches Kafka (one relay publishes at a time, the
survivor carries on), and nothing in the outbox is left behind."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from job_market.main import create_app
from shared.events.job_market import TOPIC
from shared.settings import Settings
from sinergi_local.testing import event_reader, sql_runner

Headers = Callable[..., dict[str, str]]
WRITES = 60


async def _published_subjects(settings: Settings, expected: set[str]) -> set[str]:
    """The subjects (entity ids) of the topic's events, read until ``expected`` are all seen."""
    reader = event_reader(settings, TOPIC)
    seen: set[str] = set()
    await reader.start()
    try:
        async with asyncio.timeout(60):
            while not expected <= seen:
                batches = await reader.getmany(timeout_ms=500)
                for record in (r for rs in batches.values() for r in rs):
                    seen.add(json.loads(record.value)["subject"])
    finally:
        await reader.stop()
    return seen


@pytest.mark.timeout(300)
async def test_records_written_through_two_replicas_are_all_published_when_one_stops(
    service_settings: Settings, token: Headers, job_seeker: Callable[..., dict[str, Any]]
) -> None:
    first = create_app(service_settings)
    second = create_app(service_settings)
    ids: list[str] = []
    async with second.router.lifespan_context(second):
        clients = {}
        for name, app in (("first", first), ("second", second)):
            clients[name] = httpx.AsyncClient(
                transport=httpx.ASGITransport(app=app), base_url="http://job-market"
            )
        async with first.router.lifespan_context(first):
            for n in range(WRITES // 2):
                client = clients["first" if n % 2 else "second"]
                answer = await client.post(
                    "/api/v1/job-market/job-seekers",
                    json=job_seeker(external_id=f"REPLICA-{n:03}-{id(first)}"),
                    headers=token("32.16"),
                )
                assert answer.status_code == 201, answer.text
                ids.append(answer.json()["id"])
        # The first replica stopped (its relay with it); writes go on through the second.
        for n in range(WRITES // 2, WRITES):
            answer = await clients["second"].post(
                "/api/v1/job-market/job-seekers",
                json=job_seeker(external_id=f"REPLICA-{n:03}-{id(first)}"),
                headers=token("32.16"),
            )
            assert answer.status_code == 201, answer.text
            ids.append(answer.json()["id"])
        published = await _published_subjects(service_settings, set(ids))
        assert set(ids) <= published
        sql = sql_runner(service_settings.database_url)

        async def waiting() -> int:
            rows = await sql("SELECT count(*) AS n FROM outbox WHERE published_at IS NULL")
            return int(rows[0]["n"])

        # The relay marks a batch published right after Kafka acknowledged it.
        async with asyncio.timeout(30):
            while await waiting():
                await asyncio.sleep(0.1)
        for client in clients.values():
            await client.aclose()
    assert len(set(ids)) == WRITES
