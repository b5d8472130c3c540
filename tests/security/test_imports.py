"""Import jobs (issue 7) under the same rules as single writes, for every importable collection.

Through the gateway, for every upload the OpenAPI document lists:

- a job is its client's own: another client (of another region, or of the same region) reads,
  cancels and lists the conflicts of someone else's job exactly as a job that does not exist;
- a row for a region the client does not hold is a conflict and writes nothing, while the
  client's own rows of the same file are written (``atomic=record``);
- a job and its conflicts never carry a NIK, even of rows refused because of their NIK;
- a template downloads for every collection, in both formats, with no personal data.

The bad-input classes ``import_records`` and ``import_files`` (``test_bad_input``) put every
malformed record and body through the imports as well.
"""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import httpx
import openpyxl

OWNER, STRANGER, NEIGHBOUR = "sec-3216", "sec-3273", "sec-audit-3216"
WAIT = {"Prefer": "wait=60"}
# Entities without a region of their own: the reference that gives them one.
REFERENCES = {
    "enrollments": ("program_external_id", "programs"),
    "claims": ("membership_external_id", "memberships"),
    "program_beneficiaries": ("program_external_id", "employment_programs"),
}


def _collection(sec: Any, entity: str) -> str:
    return str(sec.ENTITIES[entity])


async def _import(
    gateway: httpx.AsyncClient, upload: str, rows: list[Any], headers: dict[str, str], **params: str
) -> httpx.Response:
    return await gateway.post(upload, json=rows, params=params, headers={**headers, **WAIT})


async def test_another_clients_job_is_not_found(
    entity: str,
    sec: Any,
    gateway: httpx.AsyncClient,
    tokens: Any,
    openapi: Any,
    valid_body: Any,
) -> None:
    collection = _collection(sec, entity)
    upload = openapi.uploads()[collection]
    write = next(op for op in openapi.writes() if op.path == collection)
    owner = await tokens.headers(OWNER)
    made = await _import(gateway, upload.path, [valid_body(write)], owner, dry_run="true")
    assert made.status_code == 200, sec.short(made)
    job = made.headers["location"]
    missing = job.rsplit("/", 1)[0] + f"/{uuid.uuid4()}"
    for other in (STRANGER, NEIGHBOUR):
        headers = await tokens.headers(other)
        for method, suffix in (("GET", ""), ("GET", "/conflicts"), ("DELETE", "")):
            theirs = await gateway.request(method, job + suffix, headers=headers)
            nobody = await gateway.request(method, missing + suffix, headers=headers)
            assert theirs.status_code == 404, f"{other} {method} {suffix}: {sec.short(theirs)}"
            assert sec.strip_ids(theirs.text) == sec.strip_ids(nobody.text), (
                f"{other} {method} {job}{suffix}: told apart from a job that does not exist"
            )
    mine = await gateway.get(job, headers=owner)
    assert mine.status_code == 200 and mine.json()["status"] == "done", sec.short(mine)


async def test_rows_outside_the_clients_regions_are_conflicts(
    entity: str,
    sec: Any,
    gateway: httpx.AsyncClient,
    tokens: Any,
    openapi: Any,
    valid_body: Any,
    db_counts: Any,
    dossier: Any,
) -> None:
    collection = _collection(sec, entity)
    write = next(op for op in openapi.writes() if op.path == collection)
    own = valid_body(write)
    if "region_code" in own:
        where = "region_code"
        foreign = {**valid_body(write), where: sec.BANDUNG}
    else:
        # Enrolments, claims and program beneficiaries take their region from what they
        # reference: Bandung's program, Bandung's membership.
        where, referenced = REFERENCES[entity]
        theirs = await dossier(STRANGER)
        foreign = {**valid_body(write), where: theirs.bodies[referenced]["external_id"]}
    upload = openapi.uploads()[collection]
    service = sec.service_of(collection)
    before = await db_counts(service)
    made = await _import(gateway, upload.path, [foreign, own], await tokens.headers(OWNER))
    assert made.status_code == 200, sec.short(made)
    job = made.json()
    assert job["status"] == "done", job
    assert (job["summary"]["created"], job["summary"]["rejected"]) == (1, 1), job["summary"]
    assert {c["index"] for c in job["conflicts"]} == {1}, job["conflicts"]
    assert any(c["field"] == where for c in job["conflicts"]), job["conflicts"]
    # Only the client's own row was written (the table is named as the entity).
    assert sec.grown(before, await db_counts(service)).get(entity) == 1


async def test_jobs_and_conflicts_never_carry_a_nik(
    personal_entity: str,
    sec: Any,
    gateway: httpx.AsyncClient,
    tokens: Any,
    openapi: Any,
    valid_body: Any,
) -> None:
    collection = _collection(sec, personal_entity)
    write = next(op for op in openapi.writes() if op.path == collection)
    rows = [valid_body(write) for _ in range(3)]
    niks = [nik for row in rows for nik in _niks(row)]
    # Each row refused because of its NIK: a wrong check of birth date and sex, a short NIK,
    # letters in it.
    _set_nik(rows[0], lambda nik: nik[:6] + "999999" + nik[12:])
    _set_nik(rows[1], lambda nik: nik[:15])
    _set_nik(rows[2], lambda nik: nik[:8] + "ab" + nik[10:])
    sent = [nik for row in rows for nik in _niks(row)]
    headers = await tokens.headers(OWNER)
    made = await _import(gateway, openapi.uploads()[collection].path, rows, headers)
    assert made.status_code == 200, sec.short(made)
    assert made.json()["summary"]["rejected"] == 3, made.json()["summary"]
    job = made.headers["location"]
    answers = [
        made.text,
        (await gateway.get(job, headers=headers)).text,
        (await gateway.get(job + "/conflicts", headers=headers)).text,
        (await gateway.get(job + "/conflicts", headers={**headers, "Accept": "text/csv"})).text,
    ]
    for text in answers:
        found = sec.leaks(text, niks=[*niks, *[n for n in sent if len(n) >= 12]])
        assert not found, f"{personal_entity}: the job shows {found}"


def _niks(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [v for k, v in node.items() if k == "nik" and isinstance(v, str)] + [
            n for v in node.values() for n in _niks(v)
        ]
    if isinstance(node, list):
        return [n for v in node for n in _niks(v)]
    return []


def _set_nik(node: Any, change: Any) -> None:
    if isinstance(node, dict):
        for key, value in list(node.items()):
            if key == "nik" and isinstance(value, str):
                node[key] = change(value)
            else:
                _set_nik(value, change)
    elif isinstance(node, list):
        for value in node:
            _set_nik(value, change)


async def test_every_collection_has_a_template_without_personal_data(
    entity: str, sec: Any, gateway: httpx.AsyncClient, tokens: Any, openapi: Any, sent: Any
) -> None:
    collection = _collection(sec, entity)
    headers = await tokens.headers(OWNER)
    as_csv = await gateway.get(f"{collection}/imports/template", headers=headers)
    assert as_csv.status_code == 200, sec.short(as_csv)
    # (With a byte-order mark, for spreadsheet programs.)
    header = next(csv.reader(io.StringIO(as_csv.content.decode("utf-8-sig"))))
    write = next(op for op in openapi.writes() if op.path == collection)
    required = openapi.body_schema(write).get("required", [])
    assert set(required) <= {column.split(".")[0] for column in header}, (header, required)
    as_xlsx = await gateway.get(
        f"{collection}/imports/template", params={"format": "xlsx"}, headers=headers
    )
    assert as_xlsx.status_code == 200, sec.short(as_xlsx)
    book = openpyxl.load_workbook(io.BytesIO(as_xlsx.content), read_only=True)
    cells = " ".join(
        str(cell)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for cell in row
        if cell is not None
    )
    for text in (as_csv.text, cells):
        assert not sec.leaks(text), f"{collection} template: {sec.leaks(text)}"
