"""OWASP API6:2023 Unrestricted Access to Sensitive Business Flows: replays change nothing.

The platform's sensitive flow is counting: every record moves a national indicator. A
regional system that retries, or an attacker who replays a captured request, must not make
one record count twice. Every write is an upsert by the caller's ``external_id``: the same
body sent five times at once creates one record (one 201, then 200s with the same id), one
revision and one event; a correction sent three times is one new revision.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from sinergi_local.testing import sql_runner

REPLAYS = 5


async def _events_of(platform: Any, sec: Any, path: str, record_id: str) -> int:
    sql = sql_runner(platform.postgres.url_for(sec.database_of(sec.service_of(path))))
    rows = await sql("SELECT count(*) AS n FROM outbox WHERE key = :k", k=record_id)
    return int(rows[0]["n"])


async def test_a_write_replayed_at_once_is_one_record_one_revision_one_event(
    sec: Any, gateway: httpx.AsyncClient, tokens: Any, openapi: Any, valid_body: Any, platform: Any
) -> None:
    headers = await tokens.headers("sec-3216")
    failures = []
    for op in openapi.writes():
        body = valid_body(op)
        answers = await asyncio.gather(
            *(gateway.post(op.path, json=body, headers=headers) for _ in range(REPLAYS))
        )
        statuses = sorted(a.status_code for a in answers)
        if statuses != [200] * (REPLAYS - 1) + [201]:
            failures.append(f"{op.label}: statuses {statuses}: {sec.short(answers[0])}")
            continue
        ids = {a.json()["id"] for a in answers}
        revisions = {a.json()["revision"] for a in answers}
        events = await _events_of(platform, sec, op.path, next(iter(ids)))
        if len(ids) != 1 or revisions != {1} or events != 1:
            failures.append(f"{op.label}: ids {ids}, revisions {revisions}, {events} events")
    assert not failures, "\n".join(failures)


async def test_a_correction_replayed_is_one_new_revision(
    sec: Any, gateway: httpx.AsyncClient, tokens: Any, factory: Any, platform: Any
) -> None:
    headers = await tokens.headers("sec-3216")
    path = sec.ENTITIES["programs"]
    body = factory.program(region=sec.BEKASI)
    created = await gateway.post(path, json=body, headers=headers)
    assert created.status_code == 201, sec.short(created)
    corrected = {**body, "capacity": body["capacity"] + 4}
    answers = [await gateway.post(path, json=corrected, headers=headers) for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert [a.json()["revision"] for a in answers] == [2, 2, 2]
    assert [a.json()["change"] for a in answers] == ["updated", "unchanged", "unchanged"]
    assert await _events_of(platform, sec, path, created.json()["id"]) == 2
