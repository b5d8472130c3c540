"""Import jobs of job seekers on the service: every format, dry run, both atomic modes,
duplicates, conflicts, templates, cancellation and jobs private to their client."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import httpx
import openpyxl
import sqlalchemy as sa
from shared.db import create_engine
from shared.settings import Settings

Headers = Callable[..., dict[str, str]]
Builder = Callable[..., dict[str, Any]]
URL = "/api/v1/job-market/job-seekers"
IMPORTS = URL + "/imports"
JOBS = "/api/v1/job-market/imports"
WAIT = {"Prefer": "wait=30"}
NDJSON = "application/x-ndjson"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


async def finished(client: httpx.AsyncClient, job_id: str, headers: dict[str, str]) -> Any:
    """The job once it has finished (polled: the worker runs beside the API)."""
    for _ in range(300):
        job = (await client.get(f"{JOBS}/{job_id}", headers=headers)).json()
        if job["status"] in ("done", "failed", "cancelled"):
            return job
        await asyncio.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish: {job}")


async def stored(settings: Settings, external_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The stored job seekers of these external ids, with their outbox event count."""
    engine = create_engine(settings.database_url, pool_size=1)
    async with engine.connect() as conn:
        rows = await conn.execute(
            sa.text(
                "SELECT j.external_id, j.revision, j.skills, j.registered_at,"
                " (SELECT count(*) FROM outbox o WHERE o.key = j.id::text) AS events"
                " FROM job_seekers j WHERE j.external_id = ANY(:ids)"
            ),
            {"ids": external_ids},
        )
        found = {r.external_id: dict(r._mapping) for r in rows}
    await engine.dispose()
    return found


def ndjson(records: list[Any]) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


async def test_a_json_array_is_imported_and_each_record_published_once(
    app_client: httpx.AsyncClient, token: Headers, service_settings: Settings, job_seeker: Builder
) -> None:
    records = [job_seeker() for _ in range(3)]
    answer = await app_client.post(IMPORTS, json=records, headers=token("32.16") | WAIT)
    assert answer.status_code == 200, answer.text
    job = answer.json()
    assert answer.headers["location"] == f"{JOBS}/{job['id']}"
    assert job["status"] == "done"
    assert job["entity"] == "job-seekers"
    assert job["progress"] == {"processed": 3, "total": 3}
    assert job["summary"] | {} == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "withdrawn": 0,
        "rejected": 0,
        "superseded": 0,
    }
    rows = await stored(service_settings, [r["external_id"] for r in records])
    assert {r["events"] for r in rows.values()} == {1}
    assert len(rows) == 3

    again = await app_client.post(IMPORTS, json=records, headers=token("32.16") | WAIT)
    assert again.json()["summary"]["unchanged"] == 3
    rows = await stored(service_settings, [r["external_id"] for r in records])
    assert {r["events"] for r in rows.values()} == {1}  # nothing new published


async def test_without_prefer_the_answer_is_202_and_the_job_finishes(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Builder
) -> None:
    answer = await app_client.post(IMPORTS, json=[job_seeker()], headers=token("32.16"))
    assert answer.status_code in (202, 200)
    job = await finished(app_client, answer.json()["id"], token("32.16"))
    assert job["summary"]["created"] == 1


async def test_bad_records_are_reported_with_their_index_and_fields_and_the_rest_written(
    app_client: httpx.AsyncClient, token: Headers, service_settings: Settings, job_seeker: Builder
) -> None:
    good = [job_seeker(), job_seeker()]
    wrong_nik = job_seeker(sex="M")  # the NIK says a woman
    lax = job_seeker(graduation_year="2015", disabilty=True)
    body = ndjson([good[0]]) + b"{not json\n" + ndjson([wrong_nik, lax, good[1]])
    answer = await app_client.post(
        IMPORTS, content=body, headers=token("32.16") | WAIT | {"Content-Type": NDJSON}
    )
    job = answer.json()
    assert job["summary"]["created"] == 2
    assert job["summary"]["rejected"] == 3
    by_index: dict[int, list[dict[str, Any]]] = {}
    for conflict in job["conflicts"]:
        by_index.setdefault(conflict["index"], []).append(conflict)
    assert sorted(by_index) == [2, 3, 4]
    assert by_index[2][0]["code"] == "malformed"
    assert [c["code"] for c in by_index[3]] == ["rule"]
    assert by_index[3][0]["external_id"] == wrong_nik["external_id"]
    assert {c["field"] for c in by_index[4]} == {"graduation_year", "disabilty"}
    assert {c["pointer"] for c in by_index[4]} == {"#/graduation_year", "#/disabilty"}
    assert all(wrong_nik["nik"] not in json.dumps(c) for c in job["conflicts"])
    rows = await stored(service_settings, [r["external_id"] for r in [*good, wrong_nik, lax]])
    assert set(rows) == {r["external_id"] for r in good}


async def test_a_dry_run_counts_without_writing_or_publishing(
    app_client: httpx.AsyncClient, token: Headers, service_settings: Settings, job_seeker: Builder
) -> None:
    existing = job_seeker()
    await app_client.post(URL, json=existing, headers=token("32.16"))
    records = [existing | {"status": "placed"}, job_seeker(), job_seeker(birth_date="1998-02-30")]
    answer = await app_client.post(
        IMPORTS + "?dry_run=true", json=records, headers=token("32.16") | WAIT
    )
    job = answer.json()
    assert job["dry_run"] is True
    assert (job["summary"]["created"], job["summary"]["updated"]) == (1, 1)
    assert job["summary"]["rejected"] == 1
    rows = await stored(service_settings, [r["external_id"] for r in records])
    assert set(rows) == {existing["external_id"]}
    assert rows[existing["external_id"]]["revision"] == 1
    assert rows[existing["external_id"]]["events"] == 1


async def test_atomic_all_writes_nothing_when_one_record_is_bad(
    app_client: httpx.AsyncClient, token: Headers, service_settings: Settings, job_seeker: Builder
) -> None:
    records = [job_seeker(), job_seeker(region_code="99.99"), job_seeker()]
    answer = await app_client.post(
        IMPORTS + "?atomic=all", json=records, headers=token("32.16") | WAIT
    )
    job = answer.json()
    assert job["status"] == "done"
    assert job["summary"]["created"] == 0
    assert job["summary"]["rejected"] == 1
    assert [c["field"] for c in job["conflicts"]] == ["region_code"]
    assert await stored(service_settings, [r["external_id"] for r in records]) == {}

    fixed = [records[0], records[2]]
    answer = await app_client.post(
        IMPORTS + "?atomic=all", json=fixed, headers=token("32.16") | WAIT
    )
    assert answer.json()["summary"]["created"] == 2
    assert len(await stored(service_settings, [r["external_id"] for r in fixed])) == 2


async def test_a_record_sent_twice_in_one_file_is_written_once_the_last_winning(
    app_client: httpx.AsyncClient, token: Headers, service_settings: Settings, job_seeker: Builder
) -> None:
    first = job_seeker(status="active")
    last = first | {"status": "expired"}
    answer = await app_client.post(IMPORTS, json=[first, last], headers=token("32.16") | WAIT)
    summary = answer.json()["summary"]
    assert (summary["created"], summary["superseded"]) == (1, 1)
    listed = await app_client.get(
        URL, params={"external_id": first["external_id"]}, headers=token("32.16")
    )
    assert [item["status"] for item in listed.json()["items"]] == ["expired"]


def _csv(records: list[dict[str, Any]], *, delimiter: str = ",", bom: bool = False) -> bytes:
    columns = ["external_id", "nik", "full_name", "birth_date", "sex", "education_level"]
    columns += ["region_code", "registered_at", "skills", "disability"]
    text = io.StringIO()
    writer = csv.writer(text, delimiter=delimiter)
    writer.writerow(columns)
    for record in records:
        day = "/".join(reversed(record["birth_date"].split("-")))  # DD/MM/YYYY, as Excel shows
        writer.writerow(
            [
                record["external_id"],
                record["nik"],
                record["full_name"],
                day,
                record["sex"],
                record["education_level"],
                record["region_code"],
                record["registered_at"],
                "Las listrik|Bubut",
                "tidak",
            ]
        )
    return (b"\xef\xbb\xbf" if bom else b"") + text.getvalue().encode()


async def test_a_spreadsheet_exported_as_csv_is_imported(
    app_client: httpx.AsyncClient, token: Headers, service_settings: Settings, job_seeker: Builder
) -> None:
    records = [job_seeker(), job_seeker(full_name='Rahmat; "Mamat" Hidayat')]
    body = _csv(records, delimiter=";", bom=True)
    answer = await app_client.post(
        IMPORTS, content=body, headers=token("32.16") | WAIT | {"Content-Type": "text/csv"}
    )
    job = answer.json()
    assert job["summary"]["created"] == 2, job
    rows = await stored(service_settings, [r["external_id"] for r in records])
    assert rows[records[0]["external_id"]]["skills"] == ["Las listrik", "Bubut"]
    assert str(rows[records[0]["external_id"]]["registered_at"]) == records[0]["registered_at"]


async def test_an_xlsx_file_is_imported_as_the_file_part_of_a_form(
    app_client: httpx.AsyncClient, token: Headers, service_settings: Settings, job_seeker: Builder
) -> None:
    records = [job_seeker(), job_seeker()]
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(
        [
            "external_id",
            "nik",
            "full_name",
            "birth_date",
            "sex",
            "education_level",
            "region_code",
            "registered_at",
        ]
    )
    for r in records:
        sheet.append(
            [
                r["external_id"],
                int(r["nik"]),
                r["full_name"],
                date.fromisoformat(r["birth_date"]),
                r["sex"],
                r["education_level"],
                r["region_code"],
                r["registered_at"],
            ]
        )
    buffer = io.BytesIO()
    workbook.save(buffer)
    answer = await app_client.post(
        IMPORTS,
        files={"file": ("pencari-kerja.xlsx", buffer.getvalue(), XLSX)},
        headers=token("32.16") | WAIT,
    )
    job = answer.json()
    assert job["summary"]["created"] == 2, job
    assert len(await stored(service_settings, [r["external_id"] for r in records])) == 2


async def test_a_windows_1252_csv_is_refused_with_a_clear_problem_and_no_job(
    app_client: httpx.AsyncClient, token: Headers, service_settings: Settings, job_seeker: Builder
) -> None:
    record = job_seeker(full_name="José Ramírez")
    body = _csv([record]).decode().encode("cp1252")
    answer = await app_client.post(
        IMPORTS, content=body, headers=token("32.16") | {"Content-Type": "text/csv"}
    )
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert "Windows-1252" in answer.json()["detail"]
    assert await stored(service_settings, [record["external_id"]]) == {}


async def test_a_file_of_another_kind_is_a_415(
    app_client: httpx.AsyncClient, token: Headers
) -> None:
    answer = await app_client.post(
        IMPORTS, content=b"%PDF-1.4", headers=token("32.16") | {"Content-Type": "application/pdf"}
    )
    assert answer.status_code == 415
    assert "text/csv" in answer.json()["detail"]


async def test_all_conflicts_download_as_csv(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Builder
) -> None:
    records = [job_seeker(sex="M") for _ in range(3)] + [job_seeker()]
    job = (await app_client.post(IMPORTS, json=records, headers=token("32.16") | WAIT)).json()
    answer = await app_client.get(
        f"{JOBS}/{job['id']}/conflicts", headers=token("32.16") | {"Accept": "text/csv"}
    )
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert sorted({int(r["index"]) for r in rows}) == [1, 2, 3]
    assert {r["external_id"] for r in rows} == {r["external_id"] for r in records[:3]}
    as_json = await app_client.get(f"{JOBS}/{job['id']}/conflicts", headers=token("32.16"))
    assert len(as_json.json()) == len(rows)


async def test_another_client_cannot_see_or_cancel_a_job(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Builder
) -> None:
    job = (
        await app_client.post(IMPORTS, json=[job_seeker()], headers=token("32.16") | WAIT)
    ).json()
    other = token("32.16", client_id="disnaker-other")
    for method, path in (
        ("GET", f"{JOBS}/{job['id']}"),
        ("GET", f"{JOBS}/{job['id']}/conflicts"),
        ("DELETE", f"{JOBS}/{job['id']}"),
    ):
        answer = await app_client.request(method, path, headers=other)
        assert answer.status_code == 404, (method, path)
    missing = await app_client.get(f"{JOBS}/{uuid.uuid4()}", headers=token("32.16"))
    assert missing.status_code == 404


async def test_a_cancelled_job_stops_and_its_summary_says_what_was_written(
    app_client: httpx.AsyncClient, token: Headers, service_settings: Settings, job_seeker: Builder
) -> None:
    records = [job_seeker() for _ in range(3000)]
    answer = await app_client.post(IMPORTS, json=records, headers=token("32.16"))
    assert answer.status_code == 202
    job_id = answer.json()["id"]
    cancelled = await app_client.delete(f"{JOBS}/{job_id}", headers=token("32.16"))
    assert cancelled.status_code == 200
    job = await finished(app_client, job_id, token("32.16"))
    assert job["status"] == "cancelled"
    assert job["progress"]["processed"] < job["progress"]["total"] == 3000
    written = await stored(service_settings, [r["external_id"] for r in records])
    assert len(written) == job["summary"]["created"] < 3000


async def test_templates_document_every_column_and_hold_no_nik(
    app_client: httpx.AsyncClient, token: Headers
) -> None:
    answer = await app_client.get(IMPORTS + "/template?format=csv", headers=token("32.16"))
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(answer.content.decode("utf-8-sig"))))
    header, example = rows[0], rows[1]
    assert {"external_id", "nik", "full_name", "birth_date", "skills"} <= set(header)
    assert not any(ch.isdigit() for ch in example[header.index("nik")])
    documented = "\n".join(",".join(row) for row in rows[2:])
    assert all(column in documented for column in header)
    xlsx = await app_client.get(IMPORTS + "/template?format=xlsx", headers=token("32.16"))
    assert xlsx.headers["content-type"] == XLSX
    workbook = openpyxl.load_workbook(io.BytesIO(xlsx.content), read_only=True)
    assert len(workbook.sheetnames) == 2


async def test_a_small_job_is_not_held_up_by_another_clients_large_one(
    app_client: httpx.AsyncClient, token: Headers, job_seeker: Builder
) -> None:
    large = await app_client.post(
        IMPORTS, json=[job_seeker() for _ in range(20_000)], headers=token("32.16")
    )
    assert large.status_code == 202
    small = await app_client.post(
        IMPORTS,
        json=[job_seeker()],
        headers=token("32.16", client_id="another-client") | WAIT,
    )
    assert small.status_code == 200 and small.json()["status"] == "done", small.text
    meanwhile = (await app_client.get(large.headers["location"], headers=token("32.16"))).json()
    assert meanwhile["status"] in ("queued", "running")  # still at work on the large file
    assert (await finished(app_client, large.json()["id"], token("32.16")))["status"] == "done"
