"""A large CSV import through the gateway, its service SIGKILLed mid-import and restarted: the
job resumes where its last committed chunk ended and finishes, and every row is counted in the
indicators exactly once."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from shared.identifiers import nik_for
from sinergi_local.platform import Platform

Tokens = Callable[[str], Awaitable[dict[str, str]]]
ValueOf = Callable[..., Awaitable[float | None]]
Eventually = Callable[..., Awaitable[Any]]
ROWS = 100_000
IMPORTS = "/api/v1/job-market/job-seekers/imports"
UPLOAD_TIMEOUT = httpx.Timeout(30, read=300)
HEADER = "external_id,nik,full_name,birth_date,sex,education_level,region_code,registered_at\n"


def csv_of(rows: int) -> bytes:
    """``rows`` distinct valid job seekers of Kabupaten Halmahera Selatan, registered in
    January 2022 (a month no other test writes), as a CSV with dates in DD/MM/YYYY."""
    out = io.StringIO()
    out.write(HEADER)
    for n in range(rows):
        birth = date(1970, 1, 1) + timedelta(days=n // 9000)
        nik = nik_for(district="82.04.01", birth_date=birth, sex="M", serial=n % 9000 + 1)
        out.write(
            f"BULK-{n},{nik},Pekerja {n},{birth:%d/%m/%Y},M,SMA,82.04,2022-01-{n % 28 + 1:02d}\n"
        )
    return out.getvalue().encode()


@pytest.mark.timeout(1500)
async def test_a_100k_row_import_survives_a_killed_service_and_counts_each_row_once(
    gateway: httpx.AsyncClient,
    auth: Tokens,
    value_of: ValueOf,
    eventually: Eventually,
    platform: Platform,
) -> None:
    headers = await auth("disnaker-8204")
    cell = ("job_seekers_registered", "82.04", "2022-01")
    before = await value_of(*cell) or 0
    # The answer comes once the service has staged all 100,000 rows (parsed, sealed, copied):
    # seconds on a quiet machine, longer while the platform recovers from the fault tests.
    answer = await gateway.post(
        IMPORTS,
        content=csv_of(ROWS),
        headers=headers | {"Content-Type": "text/csv"},
        timeout=UPLOAD_TIMEOUT,
    )
    assert answer.status_code == 202, answer.text
    job_url = answer.headers["location"]

    async def progress() -> int:
        job = (await gateway.get(job_url, headers=headers)).json()
        return int(job["progress"]["processed"])

    # Kill the service once some chunks are committed and many remain.
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 300
    while await progress() < 2_000 and loop.time() < deadline:
        await asyncio.sleep(0.2)
    assert 0 < await progress() < ROWS
    platform.kill("job_market")
    await asyncio.to_thread(platform.restart, "job_market")

    async def status() -> str:
        # A fresh token each time: the job may outlive one.
        fresh = await auth("disnaker-8204")
        return str((await gateway.get(job_url, headers=fresh)).json()["status"])

    assert await eventually(status, "done", timeout=900) == "done"
    job = (await gateway.get(job_url, headers=await auth("disnaker-8204"))).json()
    assert job["summary"]["created"] == ROWS and job["summary"]["rejected"] == 0, job["summary"]
    assert job["progress"] == {"processed": ROWS, "total": ROWS}
    expected = before + ROWS
    assert await eventually(lambda: value_of(*cell), expected, timeout=900) == expected
