"""OWASP API3:2023 Broken Object Property Level Authorization: no property too many, either way.

In: a client may not set what the platform owns. ``id``, ``revision``, ``person_ref`` and
``source_client`` in a body, and every property an answer carries that the request schema
does not (``job_seeker_id``, ``company_id``, an enrolment's ``region_code``, ...), are refused
with a 422 naming each of them.

Out: answers carry no NIK digits at all (issue 6, item 1): no ``nik`` or ``nik_masked`` key,
no run of 16 digits, no masked NIK (``321605******0007``), not the NIK or its first 12 digits,
in reads, listings, write answers and error answers of job seekers, enrolments, memberships
and accident victims; answers carry only the properties their schema documents; no
operation takes a NIK in its URL.
"""

from __future__ import annotations

from typing import Any

import httpx

SERVER_OWNED = ("id", "revision", "person_ref", "source_client")


async def test_properties_the_platform_owns_are_refused_in_every_write(
    sec: Any, gateway: httpx.AsyncClient, tokens: Any, openapi: Any, valid_body: Any
) -> None:
    headers = await tokens.headers("sec-3216")
    failures = []
    reads = {op.path.rsplit("/{", 1)[0]: op for op in openapi.reads_by_id()}
    for op in openapi.writes():
        sent = set(openapi.body_schema(op).get("properties", {}))
        read = reads.get(op.path)
        answered = set(openapi.response_schema(read).get("properties", {})) if read else set()
        owned = sorted(set(SERVER_OWNED) | (answered - sent))
        body = valid_body(op)
        values: dict[str, Any] = {
            "id": "5e1d0c6a-8a51-4b4e-9d43-6b7f2b0f7d11",
            "revision": 99,
            "person_ref": "a" * 64,
            "source_client": "disnaker-3273",
        }
        for name in owned:
            body[name] = values.get(name, "5e1d0c6a-8a51-4b4e-9d43-6b7f2b0f7d11")
        response = await gateway.post(op.path, json=body, headers=headers)
        fields = sec.error_fields(response)
        missing = [name for name in owned if not sec.names_field(fields, name)]
        if response.status_code != 422 or missing:
            failures.append(
                f"{op.label} with {owned}: does not name {missing}: {sec.short(response)}"
            )
    assert not failures, "\n".join(failures)


def _nik_findings(response: httpx.Response, sec: Any, niks: list[str]) -> list[str]:
    """Why an answer reveals NIK digits (nothing when it does not)."""
    text = response.text + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    found = sec.leaks(text, niks=niks)
    try:
        found += [f"key {key}" for key in sec.nik_keys(response.json())]
    except ValueError:
        pass
    return found


def _personal_body(entity: str, factory: Any, me: Any) -> tuple[dict[str, Any], list[str]]:
    """A new record of a personal entity for ``me`` and the NIKs it carries."""
    person = factory.person(me.region)
    if entity == "job_seekers":
        body = factory.job_seeker(person, region=me.region)
    elif entity == "enrollments":
        body = factory.enrollment(person, program_external_id=me.bodies["programs"]["external_id"])
    elif entity == "memberships":
        body = factory.membership(person, region=me.region, nib=me.nib)
    elif entity == "program_beneficiaries":
        program = me.bodies["employment_programs"]["external_id"]
        body = factory.beneficiary(person, program_external_id=program)
    elif entity == "layoffs":
        body = factory.layoff(
            nib=me.nib, region=me.region, workers=[person, factory.person(me.region)]
        )
        return body, [w["nik"] for w in body["workers"]]
    else:
        body = factory.accident(
            nib=me.nib, region=me.region, victims=[person, factory.person(me.region)]
        )
        return body, [v["nik"] for v in body["victims"]]
    return body, [person.nik]


async def test_answers_about_people_carry_no_nik_digits(
    personal_entity: str,
    sec: Any,
    gateway: httpx.AsyncClient,
    tokens: Any,
    dossier: Any,
    factory: Any,
) -> None:
    me = await dossier("sec-3216")
    entity = personal_entity
    collection = sec.ENTITIES[entity]
    headers = await tokens.headers("sec-3216")
    body, niks = _personal_body(entity, factory, me)
    answers: dict[str, httpx.Response] = {}
    answers["write (201)"] = await gateway.post(collection, json=body, headers=headers)
    assert answers["write (201)"].status_code == 201, sec.short(answers["write (201)"])
    record_id = answers["write (201)"].json()["id"]
    answers["replay (200)"] = await gateway.post(collection, json=body, headers=headers)
    answers["read"] = await gateway.get(f"{collection}/{record_id}", headers=headers)
    answers["national read"] = await gateway.get(
        f"{collection}/{record_id}", headers=await tokens.headers(sec.MINISTRY)
    )
    answers["listing"] = await gateway.get(collection, params={"limit": 500}, headers=headers)
    answers["filtered listing"] = await gateway.get(
        collection, params={"external_id": body["external_id"]}, headers=headers
    )
    # Errors about the same person: a birth date that disagrees with the NIK, a region the
    # client may not write, a malformed field beside the NIK.
    wrong = sec.set_path
    disagreeing = {**body, "external_id": factory.external_id("ERR")}
    listed = {"accidents": "victims", "layoffs": "workers"}.get(entity)
    if listed is not None:
        disagreeing[listed] = [dict(v) for v in body[listed]]
        wrong(disagreeing, (listed, 0, "birth_date"), "1960-01-01")
    else:
        disagreeing["birth_date"] = "1960-01-01"
    answers["422 disagreeing birth date"] = await gateway.post(
        collection, json=disagreeing, headers=headers
    )
    malformed = {**disagreeing, "external_id": "", "status": "???"}
    answers["422 malformed"] = await gateway.post(collection, json=malformed, headers=headers)
    if "region_code" in body:
        foreign = {**body, "external_id": factory.external_id("ERR"), "region_code": sec.BANDUNG}
        answers["403 region"] = await gateway.post(collection, json=foreign, headers=headers)

    findings = {
        what: found
        for what, response in answers.items()
        if (found := _nik_findings(response, sec, niks))
    }
    assert not findings, "\n".join(f"{what}: {found}" for what, found in findings.items())


def _undocumented(value: Any, schema: dict[str, Any], openapi: Any, path: str = "") -> list[str]:
    """Properties of an answer its schema does not document."""
    schema = openapi.resolve(schema)
    found: list[str] = []
    if isinstance(value, dict) and "properties" in schema:
        for key, item in value.items():
            where = f"{path}.{key}" if path else key
            if key not in schema["properties"]:
                found.append(where)
            else:
                found += _undocumented(item, schema["properties"][key], openapi, where)
    elif isinstance(value, list) and "items" in schema:
        for index, item in enumerate(value[:3]):
            found += _undocumented(item, schema["items"], openapi, f"{path}.{index}")
    return found


async def test_answers_carry_only_documented_properties(
    entity: str, sec: Any, gateway: httpx.AsyncClient, tokens: Any, dossier: Any, openapi: Any
) -> None:
    me = await dossier("sec-3216")
    collection = sec.ENTITIES[entity]
    headers = await tokens.headers("sec-3216")
    by_id = next(op for op in openapi.reads_by_id() if op.path.rsplit("/{", 1)[0] == collection)
    listing = next(op for op in openapi.listings() if op.path == collection)
    read = await gateway.get(f"{collection}/{me.ids[entity]}", headers=headers)
    page = await gateway.get(collection, params={"limit": 5}, headers=headers)
    assert read.status_code == 200 and page.status_code == 200
    extra = _undocumented(read.json(), openapi.response_schema(by_id), openapi)
    extra += _undocumented(page.json(), openapi.response_schema(listing), openapi, "page")
    assert not extra, f"undocumented properties: {extra}"


def test_no_operation_takes_a_nik_in_its_url(openapi: Any) -> None:
    # A NIK in a URL ends up in access logs, proxies and browser history.
    found = [
        f"{op.label} {p.get('in')} parameter {p['name']}"
        for op in openapi.operations()
        for p in op.parameters
        if "nik" in p["name"].lower() or "name" == p["name"].lower()
    ]
    assert not found, found
