"""The job-market audit trail: what requests leave on it, who may list it, the CLI."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import uuid
from collections.abc import Callable
from typing import Any

import httpx
import sqlalchemy as sa
from job_market.main import create_app
from shared.audit.chain import seal_all
from shared.db import create_engine
from shared.settings import Settings
from sinergi_local.postgres import PostgresServer
from sinergi_local.testing import MigratedDb, ServiceUnderTest, free_port, sql_runner
from sqlalchemy.engine import make_url

Headers = Callable[..., dict[str, str]]
Builder = Callable[..., dict[str, Any]]
JOB_SEEKERS = "/api/v1/job-market/job-seekers"
VACANCIES = "/api/v1/job-market/vacancies"
AUDIT = "/api/v1/job-market/audit"
OFFICER = ("audit:read",)


def with_id(headers: dict[str, str], request_id: str) -> dict[str, str]:
    return headers | {"X-Request-ID": request_id}


async def trail(
    client: httpx.AsyncClient, headers: dict[str, str], entity: str, record_id: str
) -> dict[str, Any]:
    response = await client.get(
        AUDIT, params={"entity": entity, "record_id": record_id}, headers=headers
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def test_writes_and_reads_of_a_job_seeker_are_on_its_trail(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Builder
) -> None:
    body = job_seeker()
    regional = token("32.16")
    created = await app_client.post(JOB_SEEKERS, json=body, headers=with_id(regional, "r-1"))
    record = created.json()["id"]
    await app_client.post(JOB_SEEKERS, json=body, headers=with_id(regional, "r-2"))
    changed = body | {"education_level": "S1"}
    await app_client.post(JOB_SEEKERS, json=changed, headers=with_id(regional, "r-3"))
    read = await app_client.get(f"{JOB_SEEKERS}/{record}", headers=with_id(regional, "r-4"))
    assert read.status_code == 200
    listed = await app_client.get(
        JOB_SEEKERS, params={"external_id": body["external_id"]}, headers=with_id(regional, "r-5")
    )
    assert len(listed.json()["items"]) == 1

    entries = (await trail(app_client, token("*", scopes=OFFICER), "job_seekers", record))["items"]
    assert [(e["action"], e["request_id"]) for e in entries] == [
        ("create", "r-1"),
        ("unchanged", "r-2"),
        ("update", "r-3"),
        ("read", "r-4"),
        ("list", "r-5"),
    ]
    for entry in entries:
        assert entry["client_id"] == "disnaker-test"
        assert entry["regions"] == ["32.16"]
        assert entry["entity"] == "job_seekers"
        assert entry["record_id"] == record
        assert entry["region_code"] == "32.16"
    assert "nik" not in str(entries) and body["full_name"] not in str(entries)


async def test_a_listing_page_is_one_entry_per_record_and_an_empty_one_is_recorded_too(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Builder, service_settings: Settings
) -> None:
    headers = token("32.16")
    ids = [
        (await app_client.post(JOB_SEEKERS, json=job_seeker(), headers=headers)).json()["id"]
        for _ in range(3)
    ]
    page = await app_client.get(
        JOB_SEEKERS, params={"limit": 500}, headers=with_id(headers, "page-1")
    )
    assert set(ids) <= {item["id"] for item in page.json()["items"]}
    nothing = await app_client.get(
        JOB_SEEKERS, params={"external_id": "no-such"}, headers=with_id(headers, "page-2")
    )
    assert nothing.json()["items"] == []
    sql = sql_runner(service_settings.database_url)
    rows = await sql(
        "SELECT request_id, record_id FROM audit_log WHERE request_id IN ('page-1', 'page-2')"
    )
    on_page = [r["record_id"] for r in rows if r["request_id"] == "page-1"]
    assert len(on_page) == len(page.json()["items"])
    assert {str(i) for i in on_page} == {item["id"] for item in page.json()["items"]}
    assert [r["record_id"] for r in rows if r["request_id"] == "page-2"] == [None]


async def test_vacancy_writes_are_audited_but_its_reads_are_not(
    app_client: httpx.AsyncClient, token: Headers
) -> None:
    body = {
        "external_id": f"V-{uuid.uuid4().hex[:10]}",
        "employer_nib": "9120001234567",
        "employer_name": "PT Maju Bersama",
        "kbli_code": "10792",
        "occupation_code": "8160",
        "title": "Operator produksi",
        "positions": 12,
        "region_code": "32.16",
        "posted_at": "2026-10-01",
    }
    record = (await app_client.post(VACANCIES, json=body, headers=token("32.16"))).json()["id"]
    await app_client.get(f"{VACANCIES}/{record}", headers=token("32.16"))
    entries = (await trail(app_client, token("*", scopes=OFFICER), "vacancies", record))["items"]
    assert [e["action"] for e in entries] == ["create"]


async def test_the_trail_needs_the_audit_read_scope(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Builder
) -> None:
    record = (await app_client.post(JOB_SEEKERS, json=job_seeker(), headers=token("32.16"))).json()
    params = {"entity": "job_seekers", "record_id": record["id"]}
    assert (await app_client.get(AUDIT, params=params)).status_code == 401
    denied = await app_client.get(AUDIT, params=params, headers=token("*"))
    assert denied.status_code == 403
    assert "audit:read" in denied.json()["detail"]
    allowed = await app_client.get(AUDIT, params=params, headers=token("*", scopes=OFFICER))
    assert allowed.status_code == 200


async def test_an_officer_sees_the_trail_of_records_in_their_regions_only(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Builder
) -> None:
    record = (await app_client.post(JOB_SEEKERS, json=job_seeker(), headers=token("32.16"))).json()
    own = await trail(app_client, token("32.16", scopes=OFFICER), "job_seekers", record["id"])
    other = await trail(app_client, token("32.73", scopes=OFFICER), "job_seekers", record["id"])
    assert own["total"] == 1 and [e["action"] for e in own["items"]] == ["create"]
    assert other == {"items": [], "total": 0, "limit": 50, "offset": 0}


async def test_the_trail_listing_refuses_unknown_entities_and_bad_paging(
    app_client: httpx.AsyncClient, token: Headers
) -> None:
    officer = token("*", scopes=OFFICER)
    record = str(uuid.uuid4())
    cases = {
        "entity": {"entity": "audit_log", "record_id": record},
        "record_id": {"entity": "job_seekers", "record_id": "not-a-uuid"},
        "limit": {"entity": "job_seekers", "record_id": record, "limit": 501},
        "offset": {"entity": "job_seekers", "record_id": record, "offset": -1},
    }
    for field, params in cases.items():
        response = await app_client.get(AUDIT, params=params, headers=officer)
        assert response.status_code == 422, (field, response.text)
        assert field in {e["field"].split(".")[-1] for e in response.json()["errors"]}


async def test_the_service_seals_its_entries_into_an_intact_chain(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Builder, service_settings: Settings
) -> None:
    record = (await app_client.post(JOB_SEEKERS, json=job_seeker(), headers=token("32.16"))).json()
    officer = token("*", scopes=OFFICER)
    deadline = asyncio.get_running_loop().time() + 20
    while True:
        entries = (await trail(app_client, officer, "job_seekers", record["id"]))["items"]
        if entries and all(e["position"] is not None for e in entries):
            break
        assert asyncio.get_running_loop().time() < deadline, "the sealer never sealed"
        await asyncio.sleep(0.1)
    assert len(entries[0]["hash"]) == 64
    result = await run_cli("verify", database_url=service_settings.database_url)
    assert result.returncode == 0, result.stderr
    assert "intact" in result.stdout


async def test_with_auditing_off_nothing_is_recorded(
    service_settings: Settings, token: Headers, job_seeker: Builder
) -> None:
    service = ServiceUnderTest(
        name="job_market", topic="sinergi.job-market.v1", create_app=create_app, scopes=()
    )
    off = service_settings.model_copy(update={"audit_enabled": False})
    async with service.client(off) as client:
        record = (await client.post(JOB_SEEKERS, json=job_seeker(), headers=token("32.16"))).json()
        assert (
            await client.get(f"{JOB_SEEKERS}/{record['id']}", headers=token("32.16"))
        ).is_success
    sql = sql_runner(service_settings.database_url)
    rows = await sql("SELECT seq FROM audit_log WHERE record_id = :r", r=uuid.UUID(record["id"]))
    assert rows == []


async def run_cli(*args: str, database_url: str) -> subprocess.CompletedProcess[str]:
    env = os.environ | {"SINERGI_DATABASE_URL": database_url}
    command = [sys.executable, "-m", "job_market.audit", *args]
    return await asyncio.to_thread(
        subprocess.run, command, env=env, capture_output=True, text=True, timeout=120, check=False
    )


async def test_the_verify_command_exit_codes(
    migrated_db: MigratedDb, postgres: PostgresServer
) -> None:
    url = await migrated_db("job_market")
    # Tampering needs the superuser, whatever role the service itself connects as.
    admin = create_engine(postgres.url_for(str(make_url(url).database)), pool_size=1)
    try:
        async with admin.begin() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO audit_log (client_id, regions, action, entity, record_id)"
                    " SELECT 'c', ARRAY['32.16'], 'read', 'job_seekers', gen_random_uuid()"
                    " FROM generate_series(1, 20)"
                )
            )
        sealed = await run_cli("seal", database_url=url)
        assert sealed.returncode == 0 and "sealed 20" in sealed.stdout, sealed.stderr
        assert await seal_all(admin) == 0
        intact = await run_cli("verify", database_url=url)
        assert intact.returncode == 0, intact.stderr
        assert "intact: 20 sealed row(s), head position 20" in intact.stdout

        async with admin.begin() as conn:
            await conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            await conn.execute(sa.text("UPDATE audit_log SET action = 'list' WHERE chain_pos = 7"))
        edited = await run_cli("verify", database_url=url)
        assert edited.returncode == 1
        assert "BROKEN at position 7" in edited.stderr
        assert "position 7: row edited" in edited.stderr

        async with admin.begin() as conn:
            await conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            await conn.execute(sa.text("DELETE FROM audit_log WHERE chain_pos = 3"))
        deleted = await run_cli("verify", database_url=url)
        assert deleted.returncode == 1
        assert "BROKEN at position 3" in deleted.stderr
    finally:
        await admin.dispose()

    unreachable = await run_cli(
        "verify", database_url=f"postgresql://postgres@127.0.0.1:{free_port()}/none"
    )
    assert unreachable.returncode == 2
    assert "cannot read the job_market audit trail" in unreachable.stderr
    assert (await run_cli("frobnicate", database_url=url)).returncode == 2
