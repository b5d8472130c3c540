"""Events produced to the real Kafka broker, consumed by the running service, read over HTTP.

The app runs with its lifespan (so its consumer runs as in production) on a topic and consumer
group of each test's own: the session's broker is shared with other tests that produce
domain events of their own, which must not be counted here. The handlers route by event type,
so one test topic can carry events of several domains.
"""

from __future__ import annotations

import asyncio
import csv
import io
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
import sqlalchemy as sa
from aggregation.main import create_app
from aggregation.projections.tables import PROJECTIONS, inbox
from aggregation.rebuild import main as rebuild_command
from pysdmx.io import read_sdmx
from shared.auth import TokenIssuer
from shared.db import create_engine
from shared.events import IntegrationEvent
from shared.events.envelope import kafka_headers
from shared.events.job_market import JobSeekerState, PlacementState, VacancyState
from shared.events.social_security import MembershipState
from shared.kafka import KafkaAccess, make_producer
from shared.settings import Settings
from sinergi_local.access import AGGREGATION_USER
from sinergi_local.kafka import KafkaBroker, ensure_topics

SeekerFactory = Callable[..., JobSeekerState]
VacancyFactory = Callable[..., VacancyState]
PlacementFactory = Callable[..., PlacementState]

MARCH = date(2026, 3, 12)
# Every indicator for a regency, its province and the nation in March 2026, from the events
# that ``published`` sends.
EXPECTED: dict[str, dict[str, float]] = {
    "job_seekers_registered": {"32.16": 2, "32": 3, "ID": 4},
    "vacancies_posted": {"32.16": 1, "32": 1, "ID": 2},
    "positions_offered": {"32.16": 6, "32": 6, "ID": 8},
    "placements": {"32.16": 1, "32": 2, "ID": 2},
    "placement_rate": {"32.16": 0.5, "32": 2 / 3, "ID": 0.5},
}
VALUES_URL = "/api/v1/indicators/values"
ALL_INDICATORS = ",".join(EXPECTED)


@pytest.fixture
def topic() -> str:
    return f"test.aggregation.job-market.{uuid.uuid4().hex[:8]}"


@pytest.fixture
def group_id() -> str:
    return f"test-aggregation-{uuid.uuid4().hex[:8]}"


@pytest.fixture
async def settings(
    aggregation_db: str, kafka: KafkaBroker, jwt_keys: tuple[Path, Path]
) -> Settings:
    access = kafka.access(AGGREGATION_USER)
    return Settings(
        environment="test",
        database_url=aggregation_db,
        kafka_bootstrap=access.bootstrap,
        kafka_username=access.username,
        kafka_password=access.password,
        jwt_public_key_path=jwt_keys[1],
    )


@pytest.fixture
def token(settings: Settings, jwt_keys: tuple[Path, Path]) -> Callable[..., str]:
    issuer = TokenIssuer(
        private_key_pem=jwt_keys[0].read_bytes(),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )

    # Exact reads by default: these tests check the arithmetic on a handful of records, all
    # of them small counts (suppression has tests of its own, test_cube_queries).
    def mint(
        scopes: Iterable[str] = ("indicators:read", "indicators:read-exact"),
        regions: Iterable[str] = ("32.16",),
    ) -> str:
        return issuer.issue(client_id="disnaker-3216", scopes=scopes, regions=regions, ttl=300)

    return mint


async def publish(access: KafkaAccess, topic: str, events: Iterable[IntegrationEvent]) -> None:
    """Produce the events as the outbox relay does: key = entity id, structured CloudEvent."""
    producer = make_producer(access, client_id="aggregation-test")
    await producer.start()
    try:
        for event in events:
            await producer.send_and_wait(
                topic,
                key=event.subject().encode(),
                value=event.to_cloudevent().to_bytes(),
                headers=kafka_headers(),
            )
    finally:
        await producer.stop()


@asynccontextmanager
async def running(
    settings: Settings, topic: str, group_id: str
) -> AsyncIterator[httpx.AsyncClient]:
    """The app with its lifespan (consumer included) and an HTTP client bound to it."""
    app = create_app(settings, topics=[topic], group_id=group_id)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://aggregation") as client:
            yield client


async def settle(
    read: Callable[[], Awaitable[dict[str, Any]]], expected: dict[str, Any], timeout: float = 60
) -> dict[str, Any]:
    """Read until the consumer has caught up with ``expected`` (or give up); the last read."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        got = await read()
        if got == expected or loop.time() > deadline:
            return got
        await asyncio.sleep(0.1)


def march_values(client: httpx.AsyncClient, bearer: str) -> Callable[[], Awaitable[dict[str, Any]]]:
    async def read() -> dict[str, Any]:
        response = await client.get(
            VALUES_URL,
            params={"indicator": ALL_INDICATORS, "region": "3216,32,ID", "period": "2026-03"},
            headers={"Authorization": f"Bearer {bearer}"},
        )
        assert response.status_code == 200, response.text
        found: dict[str, Any] = {}
        for v in response.json()["values"]:
            assert v["period"] == "2026-03"
            found.setdefault(v["indicator"], {})[v["region_code"]] = v["value"]
        return found

    return read


def approx_expected() -> dict[str, Any]:
    return {
        code: {region: pytest.approx(value) for region, value in by_region.items()}
        for code, by_region in EXPECTED.items()
    }


@pytest.fixture
async def published(
    kafka: KafkaBroker,
    topic: str,
    seeker: SeekerFactory,
    vacancy: VacancyFactory,
    placement: PlacementFactory,
) -> None:
    await ensure_topics(kafka.admin, [topic])
    moved = seeker(region_code="33.25", registered_at=MARCH)
    await publish(
        kafka.admin,
        topic,
        [
            seeker(region_code="32.16", registered_at=MARCH),
            seeker(region_code="32.16", registered_at=MARCH),
            moved,
            # A correction: the third job seeker really belongs to Kota Bandung.
            seeker(**(moved.model_dump() | {"revision": 2, "region_code": "32.73"})),
            seeker(region_code="12.75", registered_at=MARCH),
            seeker(region_code="12.75", registered_at=date(2026, 4, 1)),
            vacancy(region_code="32.16", posted_at=MARCH, positions=6),
            vacancy(region_code="82.04", posted_at=MARCH, positions=2),
            placement(region_code="32.16", placed_at=MARCH),
            placement(region_code="32.73", placed_at=MARCH),
        ],
    )


async def test_events_on_kafka_become_indicator_values_over_http(
    published: None,
    settings: Settings,
    topic: str,
    group_id: str,
    token: Callable[..., str],
) -> None:
    bearer = token()
    async with running(settings, topic, group_id) as client:
        got = await settle(march_values(client, bearer), approx_expected())
        assert got == approx_expected()

        # Other regions' aggregates too, every requested cell answered, with 0 where nothing
        # was recorded.
        response = await client.get(
            VALUES_URL,
            params=[
                ("indicator", "job_seekers_registered"),
                ("region", "12.75"),
                ("region", "32.13"),
                ("period", "2026-02..2026-04"),
            ],
            headers={"Authorization": f"Bearer {bearer}"},
        )
        assert response.status_code == 200
        body = response.json()
        assert body["as_of"] is not None
        # A month in which a region sent nothing is not reported: no value, not 0.
        assert body["values"] == [
            {
                "indicator": "job_seekers_registered",
                "region_code": r,
                "region_name": name,
                "period": p,
                "dimensions": {},
                "value": n,
                "status": "reported" if n is not None else "not_reported",
            }
            for r, name, counts in (
                ("12.75", "Kota Binjai", (None, 1, 1)),
                ("32.13", "Kabupaten Subang", (None, None, None)),
            )
            for p, n in zip(("2026-02", "2026-03", "2026-04"), counts, strict=True)
        ]

        # No region: the nation. A month nobody reported has no value (and no ratio), not 0.
        response = await client.get(
            VALUES_URL,
            params={"indicator": "placement_rate", "period": "2026-05"},
            headers={"Authorization": f"Bearer {bearer}"},
        )
        assert response.json()["values"] == [
            {
                "indicator": "placement_rate",
                "region_code": "ID",
                "region_name": "Indonesia",
                "period": "2026-05",
                "dimensions": {},
                "value": None,
                # Nothing of the job market was sent anywhere for May.
                "status": "not_reported",
            }
        ]


async def test_values_download_as_csv_xlsx_and_sdmx_csv_that_their_readers_read_back(
    published: None,
    settings: Settings,
    topic: str,
    group_id: str,
    token: Callable[..., str],
) -> None:
    bearer = {"Authorization": f"Bearer {token()}"}
    params = {"indicator": "job_seekers_registered", "region": "12.75", "period": "2026-03"}
    async with running(settings, topic, group_id) as client:
        await settle(march_values(client, bearer["Authorization"][7:]), approx_expected())

        as_csv = await client.get(
            VALUES_URL, params=params, headers=bearer | {"Accept": "text/csv"}
        )
        assert as_csv.headers["content-type"].startswith("text/csv")
        (row,) = list(csv.DictReader(io.StringIO(as_csv.text)))
        assert (row["region_code"], row["region_name"], row["value"]) == (
            "12.75",
            "Kota Binjai",
            "1",
        )

        as_xlsx = await client.get(VALUES_URL, params=params | {"format": "xlsx"}, headers=bearer)
        sheet = openpyxl.load_workbook(io.BytesIO(as_xlsx.content))["values"]
        header, first = list(sheet.iter_rows(values_only=True))[:2]
        assert dict(zip(header, first, strict=True))["value"] == 1

        as_sdmx = await client.get(
            VALUES_URL, params=params | {"format": "sdmx-csv"}, headers=bearer
        )
        (dataset,) = read_sdmx(as_sdmx.text).data or []
        (record,) = dataset.data.to_dict(orient="records")  # type: ignore[attr-defined]
        assert (record["REF_AREA"], record["TIME_PERIOD"], float(record["OBS_VALUE"])) == (
            "1275",
            "2026-03",
            1.0,
        )


async def test_a_rebuild_replays_the_topic_to_the_same_numbers(
    published: None,
    settings: Settings,
    topic: str,
    group_id: str,
    token: Callable[..., str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bearer = token()
    async with running(settings, topic, group_id) as client:
        assert await settle(march_values(client, bearer), approx_expected()) == approx_expected()
        # While the service consumes, the command refuses and deletes nothing.
        monkeypatch.setenv("SINERGI_DATABASE_URL", settings.database_url)
        monkeypatch.setenv("SINERGI_KAFKA_BOOTSTRAP", settings.kafka_bootstrap)
        monkeypatch.setenv("SINERGI_KAFKA_USERNAME", settings.kafka_username)
        monkeypatch.setenv("SINERGI_KAFKA_PASSWORD", settings.kafka_password)
        command = ["--topic", topic, "--group-id", group_id]
        assert await asyncio.to_thread(rebuild_command, command) == 1
        assert await march_values(client, bearer)() == approx_expected()

    # Stopped: the command rewinds the group and empties the read models.
    assert await asyncio.to_thread(rebuild_command, command) == 0
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        async with engine.connect() as conn:
            for table in (*PROJECTIONS, inbox):
                assert await conn.scalar(sa.select(sa.func.count()).select_from(table)) == 0
    finally:
        await engine.dispose()

    async with running(settings, topic, group_id) as client:
        got = await settle(march_values(client, bearer), approx_expected())
        assert got == approx_expected()


async def test_events_of_several_domains_link_into_a_cross_domain_indicator(
    kafka: KafkaBroker,
    settings: Settings,
    topic: str,
    group_id: str,
    token: Callable[..., str],
    placement: PlacementFactory,
    membership: Callable[..., MembershipState],
) -> None:
    await ensure_topics(kafka.admin, [topic])
    # Two placements in Bekasi; only the first worker has BPJS cover, registered in Bandung.
    await publish(
        kafka.admin,
        topic,
        [
            placement(person_ref="covered", region_code="32.16", placed_at=MARCH),
            placement(person_ref="uncovered", region_code="32.16", placed_at=MARCH),
            membership(person_ref="covered", region_code="32.73", started_at=MARCH),
        ],
    )
    bearer = token()
    expected = {
        ("placements_with_social_security_rate", "32.16"): 0.5,
        ("placements_with_social_security_rate", "32.73"): None,
        ("placements_with_social_security_rate", "ID"): 0.5,
        # Bekasi sent no membership: its social security is not reported (no value), not 0.
        ("ss_active_members", "32.16"): None,
        ("ss_active_members", "32.73"): 1,
        ("ss_active_members", "ID"): 1,
    }
    async with running(settings, topic, group_id) as client:

        async def read() -> dict[str, Any]:
            response = await client.get(
                VALUES_URL,
                params={
                    "indicator": "placements_with_social_security_rate,ss_active_members",
                    "region": "32.16,32.73,ID",
                    "period": "2026-03",
                },
                headers={"Authorization": f"Bearer {bearer}"},
            )
            assert response.status_code == 200, response.text
            return {
                (v["indicator"], v["region_code"]): v["value"] for v in response.json()["values"]
            }

        assert await settle(read, expected) == expected


async def test_reading_needs_a_valid_token_with_the_indicators_scope(
    settings: Settings, topic: str, group_id: str, token: Callable[..., str]
) -> None:
    params = {"indicator": "placements", "region": "32.16", "period": "2026-03"}
    async with running(settings, topic, group_id) as client:
        for path, query in (("/api/v1/indicators", {}), (VALUES_URL, params)):
            missing = await client.get(path, params=query)
            assert missing.status_code == 401
            assert missing.headers["content-type"] == "application/problem+json"
            forged = await client.get(path, params=query, headers={"Authorization": "Bearer x.y.z"})
            assert forged.status_code == 401
            wrong_scope = await client.get(
                path,
                params=query,
                headers={"Authorization": f"Bearer {token(scopes=['job-market:read'])}"},
            )
            assert wrong_scope.status_code == 403


async def test_the_regions_list_names_every_area_and_its_parent(
    settings: Settings, topic: str, group_id: str, token: Callable[..., str]
) -> None:
    bearer = {"Authorization": f"Bearer {token()}"}
    async with running(settings, topic, group_id) as client:
        everything = (await client.get("/api/v1/regions", headers=bearer)).json()
        west_java = await client.get("/api/v1/regions", params={"parent": "32"}, headers=bearer)
        provinces = await client.get("/api/v1/regions", params={"parent": "ID"}, headers=bearer)
        regency = await client.get("/api/v1/regions", params={"parent": "32.16"}, headers=bearer)
    assert len(everything) == 1 + 38 + 514
    assert everything[0] == {
        "code": "ID",
        "name": "Indonesia",
        "level": "nation",
        "parent": None,
        "bps_code": None,
    }
    bekasi = next(r for r in west_java.json() if r["code"] == "32.16")
    assert bekasi == {
        "code": "32.16",
        "name": "Kabupaten Bekasi",
        "level": "regency",
        "parent": "32",
        "bps_code": "3216",
    }
    assert all(r["level"] == "regency" and r["parent"] == "32" for r in west_java.json())
    assert [r["code"] for r in provinces.json()][:2] == ["11", "12"]
    assert len(provinces.json()) == 38
    assert regency.status_code == 422
    assert regency.json()["errors"][0]["field"] == "parent"


async def test_the_catalogue_lists_every_indicator_with_both_languages(
    settings: Settings, topic: str, group_id: str, token: Callable[..., str]
) -> None:
    async with running(settings, topic, group_id) as client:
        response = await client.get(
            "/api/v1/indicators", headers={"Authorization": f"Bearer {token()}"}
        )
    assert response.status_code == 200
    entries = response.json()
    assert {e["code"] for e in entries} >= set(EXPECTED)
    for entry in entries:
        assert set(entry) == {
            "code",
            "name_id",
            "name_en",
            "definition_id",
            "definition_en",
            "unit",
            "domain",
            "dimensions",
        }
    rate = next(e for e in entries if e["code"] == "placement_rate")
    assert rate["dimensions"] == []  # placements and job seekers share no dimension
    registered = next(e for e in entries if e["code"] == "job_seekers_registered")
    assert registered["dimensions"] == ["sex", "age_band", "education_level", "disability"]
    assert rate["domain"] == "job_market"
    assert "null" in rate["definition_en"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"region": "32.16", "period": "2026-03"}, "indicator"),
        ({"indicator": "unemployment", "period": "2026-03"}, "indicator"),
        ({"indicator": "placements", "region": "99.99", "period": "2026-03"}, "region"),
        ({"indicator": "placements", "region": "32.16,Bekasi", "period": "2026-03"}, "region"),
        ({"indicator": "placements", "region": "32.16"}, "period"),
        ({"indicator": "placements", "period": "2026-3"}, "period"),
        ({"indicator": "placements", "period": "2026-06..2026-01"}, "period"),
        ({"indicator": "placements", "period": "2026-Q1..2026-06"}, "period"),
        ({"indicator": "placements", "region": "99.*", "period": "2026-03"}, "region"),
        ({"indicator": "placements", "period": "2026-03", "by": "sex"}, "by"),
        ({"indicator": "job_seekers_registered", "period": "2026-03", "by": "colour"}, "by"),
        (
            {
                "indicator": "job_seekers_registered",
                "period": "2026-03",
                "by": "sex,age_band,disability",
            },
            "by",
        ),
    ],
)
async def test_bad_queries_get_a_422_problem_naming_the_parameter(
    settings: Settings,
    topic: str,
    group_id: str,
    token: Callable[..., str],
    params: dict[str, str],
    field: str,
) -> None:
    async with running(settings, topic, group_id) as client:
        response = await client.get(
            VALUES_URL, params=params, headers={"Authorization": f"Bearer {token()}"}
        )
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422
    assert [e["field"] for e in body["errors"]] == [field]
