"""The demo year: realistic, linked and valid records, loaded only through the gateway.

The generator tests need no I/O: every generated request must be one the services accept, the
people must be consistent across domains, and the proportions must look like a labour office's
year. The end-to-end test loads a small year into the whole platform twice: the first load
reaches the national indicators, the second is a pure replay.
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter, defaultdict
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from inspection.accidents.models import AccidentCreate
from inspection.companies.models import CompanyCreate
from inspection.inspections.models import InspectionCreate
from job_market.job_seekers.models import JobSeekerCreate
from job_market.placements.models import PlacementCreate
from job_market.vacancies.models import VacancyCreate
from pydantic import BaseModel
from shared.identifiers import check_nik
from shared.regions import PILOT_REGIONS, registry
from sinergi_local.demo import (
    ENTITY,
    DemoData,
    DemoLoadError,
    EntityCount,
    GatewayWriter,
    generate,
    load_demo,
)
from sinergi_local.platform import Platform
from social_security.claims.models import ClaimCreate
from social_security.memberships.models import MembershipCreate
from training.enrollments.models import EnrollmentCreate
from training.programs.models import ProgramCreate

TODAY = date(2026, 11, 28)
REQUEST_MODELS: dict[str, type[BaseModel]] = {
    "companies": CompanyCreate,
    "inspections": InspectionCreate,
    "accidents": AccidentCreate,
    "job_seekers": JobSeekerCreate,
    "vacancies": VacancyCreate,
    "placements": PlacementCreate,
    "programs": ProgramCreate,
    "enrollments": EnrollmentCreate,
    "memberships": MembershipCreate,
    "claims": ClaimCreate,
}
DATE_FIELDS = {
    "job_seekers": "registered_at",
    "vacancies": "posted_at",
    "placements": "placed_at",
    "enrollments": "enrolled_at",
    "inspections": "inspected_at",
    "accidents": "occurred_at",
    "claims": "claimed_at",
}


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return generate(seed=2025, scale=1.0, today=TODAY)


def bodies(data: DemoData, entity: str) -> list[dict[str, Any]]:
    return [w.body for w in data.records[entity]]


def people(data: DemoData) -> list[tuple[str, dict[str, Any]]]:
    """Every person record with the domain it appears in."""
    found = [("job_market", b) for b in bodies(data, "job_seekers")]
    found += [("training", b) for b in bodies(data, "enrollments")]
    found += [("social_security", b) for b in bodies(data, "memberships")]
    found += [("inspection", v) for b in bodies(data, "accidents") for v in b["victims"]]
    return found


def day(value: str) -> date:
    return date.fromisoformat(value)


def test_the_window_is_the_twelve_months_ending_last_month(demo: DemoData) -> None:
    assert demo.window.start == date(2025, 11, 1)
    assert demo.window.end == date(2026, 10, 31)
    assert demo.window.periods == "2025-11..2026-10"
    for entity, name in DATE_FIELDS.items():
        dates = [day(b[name]) for b in bodies(demo, entity)]
        assert dates and min(dates) >= demo.window.start, entity
        assert max(dates) <= demo.window.end, entity
        assert len({d.month for d in dates}) == 12 or entity in (
            "enrollments",
            "accidents",
            "claims",
        )


def test_every_request_is_one_the_services_accept(demo: DemoData) -> None:
    for entity, model in REQUEST_MODELS.items():
        assert demo.records[entity], entity
        for write in demo.records[entity]:
            model.model_validate(write.body)
    memberships = {b["external_id"]: b for b in bodies(demo, "memberships")}
    for claim in bodies(demo, "claims"):
        membership = memberships[claim["membership_external_id"]]
        assert claim["program"] in membership["programs"]
        assert claim["claimed_at"] >= membership["started_at"]


def test_references_point_at_records_of_the_same_client(demo: DemoData) -> None:
    def keys(entity: str) -> set[tuple[str, str]]:
        return {(w.client_id, w.key) for w in demo.records[entity]}

    programs, vacancies = keys("programs"), keys("vacancies")
    companies = {w.key for w in demo.records["companies"]}
    for w in demo.records["enrollments"]:
        assert (w.client_id, w.body["program_external_id"]) in programs
    for w in demo.records["placements"]:
        if w.body["vacancy_external_id"] is not None:
            assert (w.client_id, w.body["vacancy_external_id"]) in vacancies
    for entity in ("inspections", "accidents"):
        for w in demo.records[entity]:
            assert w.body["company_nib"] in companies
    for entity in REQUEST_MODELS:
        assert len(keys(entity)) == len(demo.records[entity]), f"{entity}: duplicate keys"


def test_each_region_writes_with_its_own_client_and_bpjs_writes_social_security(
    demo: DemoData,
) -> None:
    for entity, writes in demo.records.items():
        for write in writes:
            if entity in ("memberships", "claims"):
                assert write.client_id == "bpjs-ketenagakerjaan"
            else:
                region = write.body.get("region_code")
                if region is None:  # an enrolment's region is its program's
                    region = write.body["program_external_id"].split("-")[2]
                assert write.client_id == f"disnaker-{region.replace('.', '')}", entity


def test_niks_agree_with_birth_date_sex_and_a_real_district(demo: DemoData) -> None:
    regions = registry()
    identity: dict[str, tuple[str, str, str]] = {}
    registering_region = Counter[bool]()
    for _, person in people(demo):
        birth = day(person["birth_date"])
        assert check_nik(person["nik"], birth_date=birth, sex=person["sex"], regions=regions)
        assert date(1965, 1, 1) <= birth <= date(2007, 12, 31)
        same = (person["full_name"], person["birth_date"], person["sex"])
        assert identity.setdefault(person["nik"], same) == same, "one NIK, one person"
    for job_seeker in bodies(demo, "job_seekers"):
        district = regions.district_of_nik(job_seeker["nik"])
        assert district is not None
        registering_region[regions.districts[district] == job_seeker["region_code"]] += 1
    share_local = registering_region[True] / sum(registering_region.values())
    assert 0.7 < share_local < 0.95, "most NIKs are local, some from other regions"


def test_the_same_seed_gives_the_same_records_and_another_seed_others() -> None:
    first = generate(seed=7, scale=0.2, today=TODAY)
    again = generate(seed=7, scale=0.2, today=TODAY)
    other = generate(seed=8, scale=0.2, today=TODAY)
    assert first.records == again.records
    assert first.records["job_seekers"] != other.records["job_seekers"]


def test_volumes_follow_the_regions_population(demo: DemoData) -> None:
    per_region = Counter(b["region_code"] for b in bodies(demo, "job_seekers"))
    assert set(per_region) == {r.code for r in PILOT_REGIONS}
    for big in ("32.16", "32.73"):
        for small in ("13.03", "82.04"):
            assert per_region[big] > 3 * per_region[small]
    for region, count in per_region.items():
        assert 8 * 12 <= count <= 120 * 12, region  # tens a month


def test_job_market_proportions(demo: DemoData) -> None:
    seekers = {b["nik"]: b for b in bodies(demo, "job_seekers")}
    placements = bodies(demo, "placements")
    assert len(placements) <= len(seekers)
    assert 0.2 <= len(placements) / len(seekers) <= 0.4
    for placement in placements:
        seeker = seekers[placement["nik"]]
        lag = day(placement["placed_at"]) - day(seeker["registered_at"])
        assert timedelta(0) <= lag <= timedelta(days=200)
        assert seeker["status"] == "placed"
    assert sum(s["status"] == "placed" for s in seekers.values()) == len(placements)
    assert Counter(p["mechanism"] for p in placements).most_common(1)[0][0] == "AKL"
    positions = sum(v["positions"] for v in bodies(demo, "vacancies"))
    assert positions > len(placements)


def test_training_proportions_and_graduates_who_find_work(demo: DemoData) -> None:
    enrolments = bodies(demo, "enrollments")
    finished = [e for e in enrolments if e["status"] != "registered"]
    completed = [e for e in finished if e["status"] == "completed"]
    certified = [e for e in completed if e["certified"]]
    assert 0.6 <= len(completed) / len(finished) <= 0.8
    assert 0.4 <= len(certified) / len(completed) <= 0.6
    seekers = {b["nik"]: b for b in bodies(demo, "job_seekers")}
    placed = {b["nik"] for b in bodies(demo, "placements")}
    graduates = [e for e in completed if e["nik"] in seekers]
    assert len(graduates) >= 0.2 * len(completed)
    for graduate in graduates:
        assert seekers[graduate["nik"]]["registered_at"] >= graduate["completed_at"]
    assert 0 < sum(g["nik"] in placed for g in graduates) < len(graduates)


def test_placed_workers_are_mostly_covered_some_late_some_never(demo: DemoData) -> None:
    memberships: dict[tuple[str, str], dict[str, Any]] = {
        (m["nik"], m["employer_nib"]): m for m in bodies(demo, "memberships")
    }
    lags = []
    uncovered = 0
    domestic = [p for p in bodies(demo, "placements") if p["mechanism"] != "AKAN"]
    for placement in domestic:
        membership = memberships.get((placement["nik"], placement["employer_nib"]))
        if membership is None:
            uncovered += 1
        else:
            lags.append((day(membership["started_at"]) - day(placement["placed_at"])).days)
    assert 0.6 <= len(lags) / len(domestic) <= 0.9
    assert uncovered > 0
    assert min(lags) >= 0
    late = sum(lag > 30 for lag in lags)
    assert 0.1 * len(lags) <= late <= 0.4 * len(lags)
    assert all("JKK" in m["programs"] for m in memberships.values())


def test_inspections_and_accidents_look_like_a_year_of_enforcement(demo: DemoData) -> None:
    inspections = bodies(demo, "inspections")
    findings = [f for i in inspections for f in i["findings"]]
    statuses = Counter(f["status"] for f in findings)
    assert 0 < statuses["resolved"] < len(findings)
    assert {i["type"] for i in inspections} == {"routine", "special", "k3_test"}
    accidents = bodies(demo, "accidents")
    deaths = sum(a["outcome"] == "death" for a in accidents)
    assert 0 < deaths <= 0.15 * len(accidents)
    companies = bodies(demo, "companies")
    assert all(len(c["nib"]) == 13 and c["nib"].isdigit() for c in companies)
    assert len({c["nib"] for c in companies}) == len(companies)


def test_some_accident_victims_have_no_jkk_cover(demo: DemoData) -> None:
    cover: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for membership in bodies(demo, "memberships"):
        cover[membership["nik"]].append(membership)

    def covered(nik: str, on: date) -> bool:
        return any(
            "JKK" in m["programs"]
            and day(m["started_at"]) <= on
            and (m["ended_at"] is None or on < day(m["ended_at"]))
            for m in cover[nik]
        )

    victims = [
        (v["nik"], day(a["occurred_at"])) for a in bodies(demo, "accidents") for v in a["victims"]
    ]
    with_jkk = sum(covered(nik, on) for nik, on in victims)
    assert 0.3 * len(victims) <= with_jkk <= 0.85 * len(victims)
    claimed = {c["membership_external_id"] for c in bodies(demo, "claims") if c["program"] == "JKK"}
    assert claimed, "covered victims claim JKK"


def test_some_people_appear_in_several_domains(demo: DemoData) -> None:
    domains: dict[str, set[str]] = defaultdict(set)
    for domain, person in people(demo):
        domains[person["nik"]].add(domain)
    combinations = Counter(frozenset(d) for d in domains.values() if len(d) >= 2)
    assert combinations[frozenset({"training", "job_market"})] > 0
    assert combinations[frozenset({"job_market", "social_security"})] > 0
    assert any({"inspection", "social_security"} <= combo for combo in combinations)
    assert any(len(combo) >= 3 for combo in combinations)
    assert sum(combinations.values()) >= 0.1 * len(domains)


# ----------------------------------------------------------------------------- the writer
def scripted_gateway(answers: list[httpx.Response], seen: list[httpx.Request]) -> httpx.AsyncClient:
    """A gateway that grants tokens and answers writes from ``answers``, in order."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/oauth/token":
            return httpx.Response(200, json={"access_token": "t", "token_type": "Bearer"})
        seen.append(request)
        return answers.pop(0)

    return httpx.AsyncClient(transport=httpx.MockTransport(handle), base_url="http://gateway")


JOB_SEEKERS = ENTITY["job_seekers"]


async def test_the_writer_retries_a_5xx_and_counts_what_the_service_did(demo: DemoData) -> None:
    write = demo.records["job_seekers"][0]
    seen: list[httpx.Request] = []
    answers = [
        httpx.Response(503, json={"status": 503, "detail": "upstream unavailable"}),
        httpx.Response(201, json={"change": "created"}),
    ]
    async with scripted_gateway(answers, seen) as http:
        writer = GatewayWriter(http, {write.client_id: "secret"})
        counts = EntityCount(total=1)
        await writer.write_all(JOB_SEEKERS, [write], counts)
    assert (counts.created, counts.unchanged, counts.updated) == (1, 0, 0)
    assert len(seen) == 2
    assert json.loads(seen[1].content) == write.body
    assert seen[1].headers["Authorization"] == "Bearer t"


async def test_the_writer_stops_on_a_4xx_with_the_problem_document(demo: DemoData) -> None:
    write = demo.records["job_seekers"][0]
    problem = {"status": 422, "errors": [{"field": "nik", "detail": "NIK district unknown"}]}
    seen: list[httpx.Request] = []
    async with scripted_gateway([httpx.Response(422, json=problem)], seen) as http:
        writer = GatewayWriter(http, {write.client_id: "secret"})
        with pytest.raises(DemoLoadError) as stopped:
            await writer.write_all(JOB_SEEKERS, [write], EntityCount(total=1))
    assert len(seen) == 1, "a 4xx is not retried"
    assert write.key in str(stopped.value)
    assert "NIK district unknown" in str(stopped.value)


# ----------------------------------------------------------------------------- end to end
async def test_the_demo_year_loads_through_the_gateway_and_replays_unchanged(
    platform: Platform,
) -> None:
    # A year of its own (2019), so the other end-to-end tests' months stay untouched.
    today = date(2020, 1, 15)
    clients = platform.config.state_dir / "demo-clients.json"
    gateway = platform.config.gateway_url
    expected = generate(seed=11, scale=0.05, today=today)
    assert expected.records["job_seekers"]
    lines: list[str] = []

    first = await load_demo(
        gateway, clients, seed=11, scale=0.05, today=today, progress=lines.append
    )
    assert first.total == expected.total
    assert first.created == expected.total and first.unchanged == 0
    for writes_of, counts in zip(expected.records.values(), first.entities.values(), strict=True):
        assert counts.total == counts.created == len(writes_of)
    assert any(line.startswith("demo: job seekers ") for line in lines)
    assert sum(line.startswith("demo: ") and "/" in line for line in lines) >= len(expected.records)

    job_seekers = len(expected.records["job_seekers"])
    registered = await _eventually_total(
        platform, "job_seekers_registered", expected.window.periods, job_seekers
    )
    assert registered == job_seekers

    replay = await load_demo(
        gateway, clients, seed=11, scale=0.05, today=today, progress=lines.append
    )
    assert replay.total == expected.total
    assert replay.unchanged == expected.total
    assert replay.created == 0 and replay.updated == 0


async def _eventually_total(
    platform: Platform, indicator: str, periods: str, expected: float, timeout: float = 60.0
) -> float:
    """The national total of ``indicator`` over ``periods``, polled until it is ``expected``."""
    clients = json.loads((platform.config.state_dir / "demo-clients.json").read_text())
    ministry = next(c for c in clients["clients"] if c["client_id"] == "kemnaker-pusdatin")
    async with httpx.AsyncClient(base_url=platform.config.gateway_url, timeout=30) as http:
        token = await http.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": ministry["client_id"],
                "client_secret": ministry["client_secret"],
            },
        )
        assert token.status_code == 200, token.text
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            response = await http.get(
                "/api/v1/indicators/values",
                params={"indicator": indicator, "region": "ID", "period": periods},
                headers=headers,
            )
            assert response.status_code == 200, response.text
            values = response.json()["values"]
            assert len(values) == 12
            total: float = sum(v["value"] for v in values)
            if total == expected or loop.time() > deadline:
                return total
            await asyncio.sleep(0.5)
