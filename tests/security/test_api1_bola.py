"""OWASP API1:2023 Broken Object Level Authorization: a region never reaches another's records.

Three regional actors of the suite (``sec-3216`` Kabupaten Bekasi, ``sec-3273`` Kota Bandung,
``sec-3213`` Kabupaten Subang; each may read and write every domain in its own region) each
hold one record of every entity (``dossier``). Through the gateway:

- another region's record id reads as "not found", exactly like an id that does not exist;
- listings, whatever their filters, never show another region's record;
- a write into another region is 403 and writes nothing; the same external id (or NIB) from
  another region is another record and never touches the first;
- every reference (a placement's NIK and vacancy, an enrolment's program, an inspection's or
  accident's NIB, a claim's membership) resolves only inside the caller's regions: the answer
  for "registered in a region you cannot see" equals the answer for "not registered" (status
  and body, ids aside), and nothing of the other region's record is attached;
- one region registering a NIB never changes which company, or which KBLI, another region's
  accidents and inspections carry.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

OWNER, STRANGER, THIRD = "sec-3216", "sec-3273", "sec-3213"


async def test_another_regions_record_reads_as_not_found(
    entity: str, sec: Any, gateway: httpx.AsyncClient, tokens: Any, dossier: Any
) -> None:
    owner = await dossier(OWNER)
    collection = sec.ENTITIES[entity]
    path = f"{collection}/{owner.ids[entity]}"
    stranger = await tokens.headers(STRANGER)

    foreign = await gateway.get(path, headers=stranger)
    missing = await gateway.get(f"{collection}/{uuid.uuid4()}", headers=stranger)

    assert foreign.status_code == 404, sec.short(foreign)
    assert sec.problem_of(foreign) is not None, sec.short(foreign)
    assert (foreign.status_code, sec.strip_ids(foreign.text)) == (
        missing.status_code,
        sec.strip_ids(missing.text),
    ), "another region's record is told apart from a record that does not exist"
    # The id is real: its own region and the national client read it.
    for reader in (OWNER, sec.MINISTRY):
        seen = await gateway.get(path, headers=await tokens.headers(reader))
        assert seen.status_code == 200, f"{reader}: {sec.short(seen)}"


def _reference_filters(entity: str, owner: Any) -> dict[str, str]:
    """Listing filters that point at the owner's record or at what it references."""
    body = owner.bodies[entity]
    return {
        "external_id": str(body.get("external_id", "")),
        "nib": owner.nib,
        "company_nib": owner.nib,
        "employer_nib": owner.nib,
        "program_id": owner.ids["programs"],
        "membership_id": owner.ids["memberships"],
    }


async def test_listings_never_show_another_regions_records(
    entity: str, sec: Any, gateway: httpx.AsyncClient, tokens: Any, dossier: Any, openapi: Any
) -> None:
    owner, own = await dossier(OWNER), await dossier(STRANGER)
    collection = sec.ENTITIES[entity]
    listing = next(op for op in openapi.listings() if op.path == collection)
    accepted = set(listing.names_in("query"))
    filters = _reference_filters(entity, owner)
    queries: list[dict[str, Any]] = [
        {"limit": 500},
        {"region_code": owner.region},
        {"region_code": owner.region.replace(".", "")},
    ]
    queries += [{name: value, "limit": 500} for name, value in filters.items() if name in accepted]
    stranger = await tokens.headers(STRANGER)
    for params in queries:
        response = await gateway.get(collection, params=params, headers=stranger)
        assert owner.ids[entity] not in response.text, f"{params} shows the record"
        if response.status_code != 200:
            assert response.status_code in (403, 422), f"{params}: {sec.short(response)}"
            continue
        regions = {item.get("region_code") for item in response.json()["items"]}
        assert regions <= {own.region, None}, f"{params} lists records of {regions}"
    # The listing works: the stranger sees its own record.
    mine = await gateway.get(collection, params={"limit": 500}, headers=stranger)
    assert own.ids[entity] in mine.text or mine.json()["next"] is not None, sec.short(mine)


# Entities whose body names their region (an enrolment takes its program's region, a claim its
# membership's: those are reached through references below).
REGIONAL = (
    "job_seekers",
    "vacancies",
    "placements",
    "programs",
    "companies",
    "inspections",
    "accidents",
    "memberships",
)


def _body_for(entity: str, factory: Any, me: Any, region: str) -> dict[str, Any]:
    """A body of ``entity`` that is valid for ``me`` except that it names ``region``."""
    bodies = {
        "job_seekers": lambda: factory.job_seeker(factory.person(me.region), region=region),
        "vacancies": lambda: factory.vacancy(region=region, nib=me.nib),
        "placements": lambda: factory.placement(nik=me.person.nik, region=region, nib=me.nib),
        "programs": lambda: factory.program(region=region),
        "companies": lambda: factory.company(nib=factory.nib(), region=region),
        "inspections": lambda: factory.inspection(nib=me.nib, region=region),
        "accidents": lambda: factory.accident(
            nib=me.nib, region=region, victims=[factory.person(me.region)]
        ),
        "memberships": lambda: factory.membership(
            factory.person(me.region), region=region, nib=me.nib
        ),
    }
    body: dict[str, Any] = bodies[entity]()
    return body


@pytest.mark.parametrize("kind", REGIONAL)
async def test_a_write_into_another_region_is_forbidden_and_writes_nothing(
    kind: str,
    sec: Any,
    gateway: httpx.AsyncClient,
    tokens: Any,
    dossier: Any,
    factory: Any,
    db_counts: Any,
) -> None:
    owner, me = await dossier(OWNER), await dossier(STRANGER)
    collection = sec.ENTITIES[kind]
    service = sec.service_of(collection)
    before = await db_counts(service)
    for region in (owner.region, owner.region.replace(".", "")):
        body = _body_for(kind, factory, me, region)
        response = await gateway.post(collection, json=body, headers=await tokens.headers(STRANGER))
        assert response.status_code == 403, f"region {region}: {sec.short(response)}"
        assert sec.problem_of(response) is not None, sec.short(response)
    assert not sec.grown(before, await db_counts(service)), "a refused write left rows behind"


async def test_the_same_external_id_or_nib_from_another_region_is_another_record(
    sec: Any, gateway: httpx.AsyncClient, tokens: Any, dossier: Any, factory: Any
) -> None:
    owner, me = await dossier(OWNER), await dossier(STRANGER)
    stranger, owners = await tokens.headers(STRANGER), await tokens.headers(OWNER)
    # A company of its own (not the dossier's: the stranger's copy of that NIB would make the
    # stranger's references to it legitimate in the other tests).
    nib = factory.nib()
    created = await gateway.post(
        sec.ENTITIES["companies"],
        json=factory.company(nib=nib, region=owner.region),
        headers=owners,
    )
    assert created.status_code == 201, sec.short(created)
    originals = {"job_seekers": owner.ids["job_seekers"], "companies": created.json()["id"]}
    revisions = {}  # (the dossier's placement made its job seeker "placed": revision 2)
    for entity, ident in originals.items():
        read = await gateway.get(f"{sec.ENTITIES[entity]}/{ident}", headers=owners)
        revisions[entity] = read.json()["revision"]
    job_seeker = factory.job_seeker(factory.person(me.region), region=me.region)
    job_seeker["external_id"] = owner.bodies["job_seekers"]["external_id"]
    company = factory.company(nib=nib, region=me.region, kbli="47111")
    for entity, body in (("job_seekers", job_seeker), ("companies", company)):
        response = await gateway.post(sec.ENTITIES[entity], json=body, headers=stranger)
        assert response.status_code == 201, f"{entity}: {sec.short(response)}"
        assert response.json()["id"] != originals[entity]
        original = await gateway.get(f"{sec.ENTITIES[entity]}/{originals[entity]}", headers=owners)
        assert original.status_code == 200, sec.short(original)
        assert original.json()["revision"] == revisions[entity], (
            f"{entity}: the owner's record changed"
        )
        assert original.json()["region_code"] == owner.region


# Each reference: how to build (the body citing the owner's record, the body citing nothing
# registered, the two values), sent by the stranger.
REFERENCES = (
    "placement_nik_akl",
    "placement_nik_akad",
    "placement_vacancy",
    "enrollment_program",
    "inspection_company",
    "accident_company",
    "claim_membership",
)


def _reference_bodies(
    reference: str, factory: Any, owner: Any, me: Any
) -> tuple[str, dict[str, Any], dict[str, Any], list[str]]:
    """(collection, body citing the owner's record, body citing nothing, values to blank)."""
    region = me.region
    if reference.startswith("placement_nik"):
        mechanism = "AKAD" if reference.endswith("akad") else "AKL"
        nobody = factory.person(owner.region)
        seen = factory.placement(
            nik=owner.person.nik, region=region, nib=me.nib, mechanism=mechanism
        )
        unseen = {**seen, "nik": nobody.nik}
        return "placements", seen, unseen, [owner.person.nik, nobody.nik]
    if reference == "placement_vacancy":
        theirs, unknown = owner.bodies["vacancies"]["external_id"], factory.external_id("V")
        seen = factory.placement(
            nik=me.person.nik, region=region, nib=me.nib, vacancy_external_id=theirs
        )
        return "placements", seen, {**seen, "vacancy_external_id": unknown}, [theirs, unknown]
    if reference == "enrollment_program":
        theirs, unknown = owner.bodies["programs"]["external_id"], factory.external_id("TP")
        seen = factory.enrollment(factory.person(region), program_external_id=theirs)
        return "enrollments", seen, {**seen, "program_external_id": unknown}, [theirs, unknown]
    if reference in ("inspection_company", "accident_company"):
        unknown = factory.nib()
        if reference == "inspection_company":
            seen = factory.inspection(nib=owner.nib, region=region)
            return "inspections", seen, {**seen, "company_nib": unknown}, [owner.nib, unknown]
        seen = factory.accident(nib=owner.nib, region=region)
        return "accidents", seen, {**seen, "company_nib": unknown}, [owner.nib, unknown]
    theirs, unknown = owner.bodies["memberships"]["external_id"], factory.external_id("M")
    seen = factory.claim(membership_external_id=theirs)
    return "claims", seen, {**seen, "membership_external_id": unknown}, [theirs, unknown]


@pytest.mark.parametrize("reference", REFERENCES)
async def test_a_reference_into_another_region_answers_as_if_unregistered(
    reference: str, sec: Any, gateway: httpx.AsyncClient, tokens: Any, dossier: Any, factory: Any
) -> None:
    owner, me = await dossier(OWNER), await dossier(STRANGER)
    entity, seen, unseen, values = _reference_bodies(reference, factory, owner, me)
    collection = sec.ENTITIES[entity]
    stranger = await tokens.headers(STRANGER)
    unseen["external_id"] = factory.external_id("REF")
    answers = []
    for body in (seen, unseen):
        answers.append(await gateway.post(collection, json=body, headers=stranger))
    blanks = [(v, "<reference>") for v in values] + [
        (seen["external_id"], "<external_id>"),
        (unseen["external_id"], "<external_id>"),
    ]
    registered, unregistered = ((a.status_code, sec.strip_ids(a.text, *blanks)) for a in answers)
    assert registered == unregistered, (
        f"{reference}: the answer tells that the reference exists in another region:\n"
        f"  cites the other region's record: {sec.short(answers[0])}\n"
        f"  cites nothing registered:        {sec.short(answers[1])}"
    )
    assert answers[0].status_code < 500, sec.short(answers[0])
    if answers[0].status_code in (200, 201):
        # Accepted (a placement between regions): nothing of the owner's record is attached.
        record_id = answers[0].json()["id"]
        read = await gateway.get(f"{collection}/{record_id}", headers=stranger)
        assert read.status_code == 200, sec.short(read)
        for owned_id in owner.ids.values():
            assert owned_id not in read.text, f"{reference} links to {owned_id} of {OWNER}"


async def _read(gateway: httpx.AsyncClient, tokens: Any, client: str, path: str) -> dict[str, Any]:
    response = await gateway.get(path, headers=await tokens.headers(client))
    assert response.status_code == 200, f"{client} {path}: {response.status_code} {response.text}"
    body: dict[str, Any] = response.json()
    return body


async def test_a_nib_registered_in_one_region_never_changes_anothers_accidents_and_inspections(
    sec: Any, gateway: httpx.AsyncClient, tokens: Any, factory: Any
) -> None:
    nib = factory.nib()
    accidents, inspections, companies = (
        sec.ENTITIES["accidents"],
        sec.ENTITIES["inspections"],
        sec.ENTITIES["companies"],
    )
    regions = {OWNER: sec.BEKASI, STRANGER: sec.BANDUNG, THIRD: sec.SUBANG}
    kbli = {OWNER: "10792", STRANGER: "47111", THIRD: "01111"}

    async def post(client: str, path: str, body: dict[str, Any]) -> str:
        response = await gateway.post(path, json=body, headers=await tokens.headers(client))
        assert response.status_code in (200, 201), f"{client} {path}: {sec.short(response)}"
        return str(response.json()["id"])

    company = {
        OWNER: await post(
            OWNER, companies, factory.company(nib=nib, region=regions[OWNER], kbli=kbli[OWNER])
        )
    }
    first_accident = await post(OWNER, accidents, factory.accident(nib=nib, region=regions[OWNER]))
    inspection = await post(OWNER, inspections, factory.inspection(nib=nib, region=regions[OWNER]))
    before_accident = await _read(gateway, tokens, OWNER, f"{accidents}/{first_accident}")
    before_inspection = await _read(gateway, tokens, OWNER, f"{inspections}/{inspection}")
    assert before_accident["kbli_code"] == kbli[OWNER]

    # Two other regions register the same NIB with other KBLI codes.
    for other in (STRANGER, THIRD):
        company[other] = await post(
            other, companies, factory.company(nib=nib, region=regions[other], kbli=kbli[other])
        )
    after_accident = await _read(gateway, tokens, OWNER, f"{accidents}/{first_accident}")
    after_inspection = await _read(gateway, tokens, OWNER, f"{inspections}/{inspection}")
    assert after_accident == before_accident
    assert after_inspection == before_inspection

    # New accidents of each region link to that region's own company and its KBLI.
    for client in (OWNER, STRANGER, THIRD):
        accident_id = await post(
            client, accidents, factory.accident(nib=nib, region=regions[client])
        )
        accident = await _read(gateway, tokens, client, f"{accidents}/{accident_id}")
        assert accident.get("kbli_code") == kbli[client], f"{client}: {accident}"
        if "company_id" in accident:
            assert accident["company_id"] == company[client], f"{client} links elsewhere"

    # A correction of one region's company changes only that region's future defaults.
    stranger_accident = await post(
        STRANGER, accidents, factory.accident(nib=nib, region=regions[STRANGER])
    )
    seen_before = await _read(gateway, tokens, STRANGER, f"{accidents}/{stranger_accident}")
    await post(OWNER, companies, factory.company(nib=nib, region=regions[OWNER], kbli="10791"))
    seen_after = await _read(gateway, tokens, STRANGER, f"{accidents}/{stranger_accident}")
    assert seen_after == seen_before
