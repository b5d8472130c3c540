"""Import jobs on the industrial-relations service (the job machinery is ``shared.imports``,
tested in full on the job-market service): layoffs with their workers checked record by record
and conflicts that name no worker, disputes' rules as conflicts, withdrawal by external id."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

Headers = Callable[..., dict[str, str]]
Builder = Callable[..., dict[str, Any]]
Outbox = Callable[[str], Awaitable[list[dict[str, Any]]]]
BASE = "/api/v1/industrial-relations"
WAIT = {"Prefer": "wait=30"}


async def test_layoffs_are_imported_with_their_workers_and_bad_ones_named_without_niks(
    app_client: httpx.AsyncClient,
    token: Headers,
    layoff: Builder,
    workers: Callable[[int], list[dict[str, Any]]],
    outbox_events: Outbox,
) -> None:
    good = [layoff(), layoff(workers=workers(3))]
    mismatched = workers(1)[0] | {"birth_date": "1985-01-01"}  # the NIK says 1990-06-14
    bad = layoff(workers=[mismatched])
    answer = await app_client.post(
        f"{BASE}/layoffs/imports", json=[*good, bad], headers=token("32.16") | WAIT
    )
    assert answer.status_code == 200, answer.text
    job = answer.json()
    assert job["status"] == "done" and job["entity"] == "layoffs"
    assert (job["summary"]["created"], job["summary"]["rejected"]) == (2, 1)
    assert [(c["index"], c["external_id"]) for c in job["conflicts"]] == [(3, bad["external_id"])]
    assert job["conflicts"][0]["field"] == "workers.0.birth_date"
    assert mismatched["nik"] not in answer.text and mismatched["full_name"] not in answer.text

    for body in good:
        listed = await app_client.get(
            f"{BASE}/layoffs",
            params={"external_id": body["external_id"]},
            headers=token("32.16"),
        )
        [item] = listed.json()["items"]
        assert len(item["workers"]) == len(body["workers"])
        events = await outbox_events(item["id"])
        assert [e["event_type"].rsplit(".", 2)[-2] for e in events] == ["recorded"]
        assert len(events[0]["payload"]["data"]["workers"]) == len(body["workers"])
        for worker in body["workers"]:
            assert worker["nik"] not in json.dumps(events[0]["payload"])

    again = await app_client.post(
        f"{BASE}/layoffs/imports", json=good, headers=token("32.16") | WAIT
    )
    assert again.json()["summary"]["unchanged"] == 2


async def test_disputes_are_imported_rules_reported_and_withdrawn_by_external_id(
    app_client: httpx.AsyncClient, token: Headers, dispute: Builder, outbox_events: Outbox
) -> None:
    good = dispute()
    unsettled = dispute(status="settled")  # neither settled_at nor settlement
    answer = await app_client.post(
        f"{BASE}/disputes/imports", json=[good, unsettled], headers=token("32.16") | WAIT
    )
    job = answer.json()
    assert (job["summary"]["created"], job["summary"]["rejected"]) == (1, 1)
    assert {c["field"] for c in job["conflicts"]} == {"settled_at", "settlement"}
    assert {c["index"] for c in job["conflicts"]} == {2}

    withdrawal = await app_client.post(
        f"{BASE}/disputes/imports",
        params={"mode": "withdraw"},
        json=[{"external_id": good["external_id"]}],
        headers=token("32.16") | WAIT,
    )
    assert withdrawal.json()["summary"]["withdrawn"] == 1, withdrawal.text
    listed = await app_client.get(
        f"{BASE}/disputes", params={"external_id": good["external_id"]}, headers=token("32.16")
    )
    assert listed.json()["items"] == []
    job_id = withdrawal.json()["id"]
    seen = await app_client.get(f"{BASE}/imports/{job_id}", headers=token("32.16"))
    assert seen.json()["status"] == "done"
    # Still there when asked for, marked withdrawn, its withdrawal published after its record.
    kept = await app_client.get(
        f"{BASE}/disputes",
        params={"external_id": good["external_id"], "include_withdrawn": "true"},
        headers=token("32.16"),
    )
    [item] = kept.json()["items"]
    assert item["withdrawn_at"] is not None
    events = await outbox_events(item["id"])
    assert [e["event_type"].rsplit(".", 2)[-2] for e in events] == ["recorded", "withdrawn"]
