"""Indicators at national scale: query time against the number of source records, and the time
from a write to its indicator under a steady write load.

**Scale** (for each ``--records`` size, default 10,000, 1,000,000 and 10,000,000). The script
starts its own PostgreSQL (under ``.local/bench-scale``, a free port, the platform's server
settings but for the buffer pool: ``--shared-buffers``, default 2 GB, which holds the 10 M cube
as the national values' 8 GB hold the national one; the platform's own 128 MB would make each
catalogue answer at 10 M copy some 20,000 pages in from the OS cache) and, per size, creates a
fresh aggregation database owned by the ``aggregation`` role and migrated with the project's
migrations. It fills it through the aggregation's own batch apply, nothing else:
``build_consumer(...).apply(records)`` (inbox, projections, links, cube maintenance, reported
months, all in the consumer's transaction), one call per batch of 500 records of one topic, as
the live consumer applies one partition's batch, by ``--consumers`` consumers side by side
(default 2: processes of their own, as replicas of the service on partitions of their own; each
applies the records of every second person). The records are the services' own events
(``JobSeekerRegisteredV1``, ``PlacementRecordedV1``, ``EnrollmentRecordedV1``,
``MembershipRegisteredV1``) wrapped as Kafka records, generated person by person as a stream
(never held in memory; ``--seed`` fixes them):

- about 40 % job seekers, 15 % placements (all of registered job seekers, 12 % of them
  between regencies, AKAD), 15 % training enrolments (most completed, some certified) and 30 %
  BPJS memberships (of placed workers, mostly starting within 30 days of the placement, and
  of other workers, some of whom change employer), sharing ``person_ref`` across domains so
  the cross-domain indicators have links;
- dated over 36 months, 2024-01 to 2026-12 (an event that would fall later is not sent);
- in the 514 regencies of ``shared.regions``, drawn with a Zipf-like skew (weight
  ``1 / rank ** 0.7`` over a shuffled order: the largest regency gets about 5 % of the
  persons, the smallest about 0.07 %).

It reports the fill rate (events per second of the whole fill with the generation of the
events, and of ``apply`` alone: the events over the slowest consumer's time in ``apply``),
then runs ``VACUUM ANALYZE`` (untimed: what autovacuum does on its own after a bulk load) and
reports the database's size and the cube's (``pg_total_relation_size('cube_years')``), its
rows (a series' year each) and its cells that are not 0.

With ``--keep`` the state directory and the filled databases stay after the run, and a later
run with ``--keep`` reuses a database filled for the same size and seed instead of filling it
again (10 M records take well over an hour to fill on two cores): it migrates it to the
current schema (the migrations are timed and printed), runs ``VACUUM ANALYZE`` and measures it
with the current code. The fill rates printed are then those of the run that filled it.

Then it starts the aggregation service itself (``uvicorn --factory aggregation.main:create_app``
in a subprocess, as the platform runs it, on the bench database; its Kafka consumer connected,
as the aggregation principal, to a broker the script starts with the platform's principals and
empty topics, so it idles as deployed) and times its real HTTP API,
``GET /api/v1/indicators/values``, from this process over loopback HTTP with a bearer token
the script signs itself (scopes ``indicators:read`` and ``indicators:read-exact``, so no
disclosure control applies; the gateway is not in the path). Each case is asked twice
untimed, then ``--repeat`` times (default 100: the fewest samples whose nearest-rank p99 is
not simply the slowest one, but the second slowest). A sample is the time from sending the
request(s) to having the whole body; the client parses the JSON after the clock stops:

1. ``indicator=job_seekers_registered&region=ID&period=2026-01..2026-12`` (12 values);
2. the same with ``region=*&by=sex`` (38 provinces x 12 months x 2 sexes);
3. the whole catalogue (``GET /api/v1/indicators``) x all 514 regencies x 12 months. The API
   answers at most 10,000 values per request, so this is a set of requests, each of at most
   10,000 values (24 requests for the 35 indicators of the catalogue today: indicators in
   groups of 6 x regencies in groups of 128 or 129 x 12 months), sent one after another on
   one connection; a sample is the time of the whole set.

It prints a table per size, then per case the ratio p99(largest size) / p99(smallest) and the
goals (p99 < 50 ms for cases 1 and 2, < 1 s for case 3, at 10 M records; ratio <= 2 each).

**Write to indicator** (``--latency``, or ``--latency-only``). The whole platform
(``bench_platform.running_platform``, API quota raised so it does not throttle) takes new job
seekers of Kabupaten Bekasi, one ``POST /api/v1/job-market/job-seekers`` each through the
gateway, scheduled at a steady ``--latency-rate`` (default 200 writes/s, open loop, sent on up
to 64 kept-alive connections: when the platform cannot keep up, writes wait for a connection,
and the rate it achieved is printed) for ``--latency-seconds`` (default 30). Each write goes
to one of 288 cells (24 months of 2024-2025 x sex x 6 education levels, in turn), and one
poller asks the indicator, through the gateway, ``job_seekers_registered`` of 32.16 for the
months of the writes not yet seen, ``by=sex,education_level``, again ``--poll-pause`` (10 ms)
after each answer. A write is seen when its cell's count has grown by its rank among that
cell's writes (writes of one cell are 288 writes apart, so this names the write unless the
pipeline takes longer than that). It prints p50/p99 from the write's 201 to the answer of the
poll that shows it (0 if that answer came first; the goal: p99 < 500 ms; the poll's own
duration is included, as a reader would wait for it), from the write's scheduled start, and
of the write itself, with the write rate achieved and the polls' pace; and, from the
aggregation's ``sinergi_event_delay_seconds`` histogram over the measured load, p50/p99 from
each event's write to its apply (the pipeline: relay, Kafka, consumer; interpolated within the
histogram's buckets), which tells the pipeline's share from the poll's. An untimed warm-up of
2 s at the same rate to 2023 months comes first.

Prints, LAST, ``ratio = `` the worst of the three cases' p99(largest) / p99(smallest).

    uv run --frozen python bench/indicator_scale.py [--records 10000,1000000,10000000]
        [--repeat 100] [--seed 1] [--consumers 2] [--keep] [--shared-buffers 2GB]
        [--latency | --latency-only]
        [--latency-rate 200] [--latency-seconds 30] [--poll-pause 0.01]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import itertools
import json
import math
import multiprocessing
import os
import random
import shutil
import sys
import time
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from urllib.parse import urlencode

import asyncpg
import httpx
from aggregation.consumer import TOPICS, build_consumer
from aiokafka.structs import ConsumerRecord
from bench_platform import RunningPlatform, Token, percentile, running_platform, serving
from indicator_latency import report
from prometheus_client.parser import text_string_to_metric_families
from shared.auth import TokenIssuer, ensure_keypair
from shared.db import create_engine, session_factory
from shared.events import IntegrationEvent
from shared.events.job_market import JobSeekerRegisteredV1, PlacementRecordedV1
from shared.events.social_security import MembershipRegisteredV1
from shared.events.training import EnrollmentRecordedV1
from shared.identifiers import Sex, nik_for
from shared.kafka import KafkaAccess
from shared.migrate import upgrade
from shared.regions import registry
from shared.settings import Settings
from sinergi_local.access import (
    AGGREGATION_USER,
    postgres_password,
    postgres_superuser_password,
)
from sinergi_local.kafka import KafkaBroker, ensure_kafka_libs, ensure_topics
from sinergi_local.platform import ROOT, platform_broker
from sinergi_local.postgres import PostgresServer
from sinergi_local.secrets import SecretStore
from sinergi_local.testing import free_port
from write_throughput import Connection

STATE = ROOT / ".local" / "bench-scale"
BATCH = 500
"""Records per ``apply`` call: the live consumer's ``getmany(max_records=500)``, one partition."""
SKEW = 0.7
FIRST_DAY, LAST_DAY = date(2024, 1, 1), date(2026, 12, 31)
DAYS = (LAST_DAY - FIRST_DAY).days + 1
VALUES_URL = "/api/v1/indicators/values"
MAX_VALUES = 10_000
"""Values one request may ask for (``aggregation.indicators.query.MAX_CELLS``)."""
YEAR = "2026-01..2026-12"
MONTHS_ASKED = 12
P99_GOALS = (0.050, 0.050, 1.0)
RATIO_GOAL = 2.0
GOAL_RECORDS = 10_000_000
LATENCY_GOAL = 0.5
SHARED_BUFFERS = "2GB"
"""The aggregation database's buffer pool here: it holds the 10 M cube (1.4 GB), as the
national values' 8 GB hold the national one. (PostgreSQL's default of 128 MB, the local
platform's, makes every catalogue answer at 10 M copy some 20,000 pages in from the OS.)"""


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- the records
@dataclass(frozen=True, slots=True)
class Person:
    ref: str
    regency: str
    sex: Sex
    birth_year: int
    education: str
    disability: bool


# Persons per 100 records, so that about 40 % of the records are job seekers (18 + 11 + 6 + 4),
# 15 % placements (11 + 6), 15 % enrolments (6 + 5 + 4) and 30 % memberships (11 + 6 + 12 +
# 2 x 2), once the records that would fall after 2026 are left out.
KINDS: dict[str, int] = {
    "job_seeker": 18,
    "placed": 11,
    "trained_placed": 6,
    "trainee": 5,
    "job_seeker_trainee": 4,
    "worker": 12,
    "worker_moved": 2,
}
EDUCATION: dict[str, int] = {"SD": 10, "SMP": 15, "SMA": 30, "SMK": 25, "D3": 7, "S1": 12, "S2": 1}


class Population:
    """A deterministic stream of the services' events, person by person."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        order = sorted(registry().regencies)
        self.rng.shuffle(order)
        self.regencies = order
        self.cum_regencies = list(
            itertools.accumulate(1 / (rank + 1) ** SKEW for rank in range(len(order)))
        )
        self.kinds = list(KINDS)
        self.cum_kinds = list(itertools.accumulate(KINDS.values()))
        self.levels = list(EDUCATION)
        self.cum_levels = list(itertools.accumulate(EDUCATION.values()))

    # -- draws
    def regency(self) -> str:
        return self.rng.choices(self.regencies, cum_weights=self.cum_regencies)[0]

    def id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128))

    def nib(self) -> str:
        return f"{self.rng.randrange(10**12, 10**13)}"

    def day(self) -> date:
        return FIRST_DAY + timedelta(days=self.rng.randrange(DAYS))

    def after(self, day: date, low: int, high: int) -> date:
        return day + timedelta(days=self.rng.randint(low, high))

    def person(self) -> Person:
        rng = self.rng
        return Person(
            ref=f"{rng.getrandbits(256):064x}",
            regency=self.regency(),
            sex="M" if rng.random() < 0.55 else "F",
            birth_year=2026 - round(rng.triangular(17, 60, 24)),
            education=rng.choices(self.levels, cum_weights=self.cum_levels)[0],
            disability=rng.random() < 0.02,
        )

    # -- events
    def job_seeker(self, p: Person, day: date, status: str) -> JobSeekerRegisteredV1:
        return JobSeekerRegisteredV1(
            id=self.id(),
            revision=1,
            region_code=p.regency,
            person_ref=p.ref,
            sex=p.sex,
            birth_year=p.birth_year,
            education_level=p.education,
            disability=p.disability,
            registered_at=day,
            status=status,
        )

    def placement(self, p: Person, seeker: uuid.UUID, day: date) -> PlacementRecordedV1:
        draw = self.rng.random()
        mechanism = "AKL" if draw < 0.85 else "AKAD" if draw < 0.97 else "AKAN"
        return PlacementRecordedV1(
            id=self.id(),
            revision=1,
            region_code=self.regency() if mechanism == "AKAD" else p.regency,
            person_ref=p.ref,
            job_seeker_id=str(seeker),
            vacancy_id=None,
            employer_nib=self.nib(),
            placed_at=day,
            mechanism=mechanism,
        )

    def enrolment(self, p: Person, day: date, completes: float) -> EnrollmentRecordedV1:
        rng = self.rng
        draw = rng.random()
        completed = self.after(day, 20, 90) if draw < completes else None
        if completed is not None and completed > LAST_DAY:
            completed = None  # still in training at the end of 2026
        status = (
            "completed"
            if completed
            else "dropped_out"
            if completes <= draw < completes + 0.1
            else "registered"
        )
        return EnrollmentRecordedV1(
            id=self.id(),
            revision=1,
            program_id=str(self.id()),
            region_code=p.regency,
            person_ref=p.ref,
            sex=p.sex,
            birth_year=p.birth_year,
            enrolled_at=day,
            status=status,
            completed_at=completed,
            certified=completed is not None and rng.random() < 0.6,
        )

    def membership(
        self, p: Person, started: date, ended: date | None, regency: str | None = None
    ) -> MembershipRegisteredV1:
        rng = self.rng
        if ended is not None and ended > LAST_DAY:
            ended = None
        programs = ["JKK", "JKM"]
        programs += [name for name, share in (("JHT", 0.8), ("JP", 0.5), ("JKP", 0.3))
                     if rng.random() < share]  # fmt: skip
        return MembershipRegisteredV1(
            id=self.id(),
            revision=1,
            person_ref=p.ref,
            employer_nib=self.nib(),
            region_code=regency or p.regency,
            sex=p.sex,
            birth_year=p.birth_year,
            programs=sorted(programs),
            status="inactive" if ended else "active",
            started_at=started,
            ended_at=ended,
        )

    def cover(self, p: Person, placed: date) -> MembershipRegisteredV1:
        """A placed worker's membership: 70 % start within 30 days of the placement."""
        started = (
            self.after(placed, 0, 30) if self.rng.random() < 0.7 else self.after(placed, 31, 180)
        )
        ended = self.after(started, 60, 720) if self.rng.random() < 0.25 else None
        return self.membership(p, started, ended)

    def person_events(self) -> list[IntegrationEvent]:
        """One person's records (those dated after 2026 left out)."""
        rng = self.rng
        kind = rng.choices(self.kinds, cum_weights=self.cum_kinds)[0]
        p = self.person()
        anchor = self.day()
        events: list[IntegrationEvent] = []
        if kind in ("job_seeker", "job_seeker_trainee"):
            events.append(self.job_seeker(p, anchor, "active" if rng.random() < 0.8 else "expired"))
            if kind == "job_seeker_trainee":
                events.append(self.enrolment(p, self.after(anchor, 0, 60), 0.7))
        elif kind in ("placed", "trained_placed"):
            seeker = self.job_seeker(p, anchor, "placed")
            events.append(seeker)
            ready = anchor
            if kind == "trained_placed":
                course = self.enrolment(p, self.after(anchor, 0, 30), 0.9)
                events.append(course)
                ready = course.completed_at or self.after(course.enrolled_at, 60, 90)
            placed = self.after(ready, 7, 240)
            events.append(self.placement(p, seeker.id, placed))
            events.append(self.cover(p, placed))
        elif kind == "trainee":
            events.append(self.enrolment(p, anchor, 0.7))
        else:
            if kind == "worker":
                ended = self.after(anchor, 60, 900) if rng.random() < 0.3 else None
                events.append(self.membership(p, anchor, ended))
            else:
                ended = self.after(anchor, 90, 540)
                events.append(self.membership(p, anchor, ended))
                moved = None if rng.random() < 0.7 else self.regency()
                events.append(self.membership(p, self.after(ended, 0, 60), None, moved))
        return [e for e in events if _dated(e) <= LAST_DAY]

    def events(self, count: int, share: int = 0, shares: int = 1) -> Iterator[IntegrationEvent]:
        """``count`` events, person after person; of them, those of every ``shares``-th person
        from the ``share``-th (the stream is the same whatever the shares: each share draws
        every person and keeps its own)."""
        emitted = 0
        for person in itertools.count():
            for event in self.person_events():
                if person % shares == share:
                    yield event
                emitted += 1
                if emitted == count:
                    return


def _dated(event: IntegrationEvent) -> date:
    if isinstance(event, JobSeekerRegisteredV1):
        return event.registered_at
    if isinstance(event, PlacementRecordedV1):
        return event.placed_at
    if isinstance(event, EnrollmentRecordedV1):
        return event.enrolled_at
    assert isinstance(event, MembershipRegisteredV1)
    return event.started_at


class Records:
    """Events as the consumer receives them: Kafka records of their topic and ``partition``,
    offsets in order."""

    def __init__(self, partition: int = 0) -> None:
        self.partition = partition
        self.offsets: Counter[str] = Counter()

    def __call__(self, event: IntegrationEvent) -> ConsumerRecord[bytes, bytes]:
        cloudevent = event.to_cloudevent()
        key, value = cloudevent.subject.encode(), cloudevent.to_bytes()
        offset = self.offsets[event.topic]
        self.offsets[event.topic] += 1
        return ConsumerRecord(
            topic=event.topic,
            partition=self.partition,
            offset=offset,
            timestamp=int(time.time() * 1000),
            timestamp_type=0,
            key=key,
            value=value,
            checksum=None,
            serialized_key_size=len(key),
            serialized_value_size=len(value),
            headers=[],
        )


@dataclass
class Fill:
    events: int = 0
    apply_seconds: float = 0.0
    """Per consumer (the slowest's, when several ran side by side)."""
    wall_seconds: float = 0.0
    by_type: Counter[str] = field(default_factory=Counter)

    def merged(self, other: Fill) -> Fill:
        """Two consumers' fills run side by side."""
        return Fill(
            events=self.events + other.events,
            apply_seconds=max(self.apply_seconds, other.apply_seconds),
            wall_seconds=max(self.wall_seconds, other.wall_seconds),
            by_type=self.by_type + other.by_type,
        )


async def fill_share(url: str, records: int, seed: int, share: int, shares: int) -> Fill:
    """Apply the ``share``-th of ``shares`` parts of ``records`` generated events through the
    service's consumer, batch by batch (one part: all of them)."""
    engine = create_engine(url, pool_size=2)
    consumer = build_consumer(
        sessions=session_factory(engine),
        # apply() never talks to Kafka: the address is never dialled.
        kafka=KafkaAccess(bootstrap="127.0.0.1:9", username="unused", password=""),
    )
    done = Fill()
    wrap = Records(partition=share)
    buffers: dict[str, list[ConsumerRecord[bytes, bytes]]] = defaultdict(list)
    who = f"  [consumer {share + 1}/{shares}]" if shares > 1 else " "

    async def apply(batch: list[ConsumerRecord[bytes, bytes]]) -> None:
        began = time.perf_counter()
        await consumer.apply(batch)
        done.apply_seconds += time.perf_counter() - began
        done.events += len(batch)
        batch.clear()

    started = said = time.perf_counter()
    try:
        for event in Population(seed).events(records, share, shares):
            done.by_type[type(event).__name__] += 1
            buffer = buffers[event.topic]
            buffer.append(wrap(event))
            if len(buffer) == BATCH:
                await apply(buffer)
                if time.perf_counter() - said > 30:
                    said = time.perf_counter()
                    spent = said - started
                    say(
                        f"{who} filled {done.events:,} of about {records // shares:,} events in"
                        f" {spent:.0f} s ({done.events / spent:,.0f}/s; apply alone"
                        f" {done.events / done.apply_seconds:,.0f}/s)"
                    )
        for buffer in buffers.values():
            if buffer:
                await apply(buffer)
    finally:
        await engine.dispose()
    done.wall_seconds = time.perf_counter() - started
    return done


def _fill_share(url: str, records: int, seed: int, share: int, shares: int) -> Fill:
    return asyncio.run(fill_share(url, records, seed, share, shares))


def fill(url: str, records: int, seed: int, consumers: int) -> Fill:
    """Apply ``records`` generated events through ``consumers`` consumers side by side (each a
    process of its own, as replicas of the service each own some partitions: here the records
    of every ``consumers``-th person)."""
    if consumers == 1:
        return _fill_share(url, records, seed, 0, 1)
    started = time.perf_counter()
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=consumers, mp_context=spawn) as pool:
        parts = [
            pool.submit(_fill_share, url, records, seed, share, consumers)
            for share in range(consumers)
        ]
        done = functools.reduce(Fill.merged, (part.result() for part in parts))
    done.wall_seconds = time.perf_counter() - started
    return done


@dataclass
class Sizes:
    database: int
    cube: int
    cube_rows: int
    cells: int
    """The cube's cells that are not 0."""
    rows: dict[str, int]
    not_applied: int
    vacuum_seconds: float


async def vacuum_and_measure(url: str) -> Sizes:
    connection = await asyncpg.connect(url)
    try:
        began = time.perf_counter()
        await connection.execute("VACUUM ANALYZE")
        vacuum = time.perf_counter() - began
        rows = {
            table: int(await connection.fetchval(f"SELECT count(*) FROM {table}"))  # noqa: S608
            for table in ("job_seekers", "placements", "enrollments", "memberships")
        }
        return Sizes(
            database=int(await connection.fetchval("SELECT pg_database_size(current_database())")),
            cube=int(await connection.fetchval("SELECT pg_total_relation_size('cube_years')")),
            cube_rows=int(await connection.fetchval("SELECT count(*) FROM cube_years")),
            cells=int(
                await connection.fetchval(
                    "SELECT count(*) FROM cube_years, unnest(months) AS cell WHERE cell <> 0"
                )
            ),
            rows=rows,
            not_applied=int(
                await connection.fetchval("SELECT count(*) FROM inbox WHERE status <> 'applied'")
            ),
            vacuum_seconds=vacuum,
        )
    finally:
        await connection.close()


# --------------------------------------------------------------------------- the queries
@contextlib.contextmanager
def aggregation_server(
    url: str, keys: tuple[Path, Path], kafka: KafkaAccess, log_path: Path
) -> Iterator[str]:
    """The aggregation service as the platform runs it, on ``url``, its consumer connected
    to ``kafka`` (idle: the topics are empty); its base URL."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SINERGI_")}
    env.update(
        SINERGI_ENVIRONMENT="development",
        SINERGI_SERVICE_NAME="aggregation",
        SINERGI_DATABASE_URL=url,
        SINERGI_KAFKA_BOOTSTRAP=kafka.bootstrap,
        SINERGI_KAFKA_USERNAME=kafka.username,
        SINERGI_KAFKA_PASSWORD=kafka.password,
        SINERGI_KAFKA_SECURITY_PROTOCOL=kafka.security_protocol,
        SINERGI_KAFKA_SASL_MECHANISM=kafka.sasl_mechanism,
        SINERGI_JWT_PRIVATE_KEY_PATH=str(keys[0]),
        SINERGI_JWT_PUBLIC_KEY_PATH=str(keys[1]),
        SINERGI_ROOT=str(ROOT),
    )
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "aggregation.main:create_app",
        "--host", "127.0.0.1", "--port", str(port),
        "--no-access-log", "--timeout-graceful-shutdown", "5",
    ]  # fmt: skip
    with serving("aggregation", command, env=env, port=port, log_path=log_path) as base:
        yield base


def bearer(keys: tuple[Path, Path]) -> dict[str, str]:
    settings = Settings()
    issuer = TokenIssuer(
        private_key_pem=keys[0].read_bytes(),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    )
    token = issuer.issue(
        client_id="bench-scale",
        scopes=("indicators:read", "indicators:read-exact"),
        regions=("*",),
        ttl=6 * 3600,
    )
    return {"Authorization": f"Bearer {token}"}


def catalogue_requests(codes: list[str], regencies: list[str]) -> list[dict[str, str]]:
    """The fewest requests of at most ``MAX_VALUES`` values covering codes x regencies x 12
    months (groups of indicators x groups of regencies, each split as evenly as it goes)."""

    def count(group: int) -> int:
        per = min(len(regencies), MAX_VALUES // (group * MONTHS_ASKED))
        return math.ceil(len(codes) / group) * math.ceil(len(regencies) / per) if per else 10**9

    group = min(range(1, min(8, len(codes)) + 1), key=lambda g: (count(g), -g))
    per = min(len(regencies), MAX_VALUES // (group * MONTHS_ASKED))
    code_groups = _split(codes, math.ceil(len(codes) / group))
    regency_groups = _split(regencies, math.ceil(len(regencies) / per))
    return [
        {"indicator": ",".join(c), "region": ",".join(r), "period": YEAR}
        for c in code_groups
        for r in regency_groups
    ]


def _split(items: list[str], parts: int) -> list[list[str]]:
    size, extra = divmod(len(items), parts)
    out, start = [], 0
    for part in range(parts):
        end = start + size + (1 if part < extra else 0)
        out.append(items[start:end])
        start = end
    return out


@dataclass
class Case:
    name: str
    requests: list[dict[str, str]]
    expected: int
    """Values the whole set of requests must answer."""


@dataclass
class Timing:
    samples: list[float] = field(default_factory=list)
    unsupported: str | None = None

    @property
    def p50(self) -> float:
        return float(percentile(self.samples, 0.50))

    @property
    def p99(self) -> float:
        return float(percentile(self.samples, 0.99))


async def run_cases(
    base: str, headers: dict[str, str], repeat: int
) -> tuple[list[Case], list[Timing]]:
    timeout = httpx.Timeout(120, connect=10)
    async with httpx.AsyncClient(base_url=base, headers=headers, timeout=timeout) as http:
        listed = await http.get("/api/v1/indicators")
        listed.raise_for_status()
        codes = [entry["code"] for entry in listed.json()]
        regencies = sorted(registry().regencies)
        provinces = len(registry().provinces)
        one = {"indicator": "job_seekers_registered", "region": "ID", "period": YEAR}
        cases = [
            Case("1 indicator x nation x 12 months", [one], MONTHS_ASKED),
            Case(
                "same x region=* x by=sex",
                [{**one, "region": "*", "by": "sex"}],
                provinces * MONTHS_ASKED * 2,
            ),
            Case(
                f"catalogue ({len(codes)}) x {len(regencies)} regencies x 12 months",
                catalogue_requests(codes, regencies),
                len(codes) * len(regencies) * MONTHS_ASKED,
            ),
        ]
        timings = []
        for case in cases:
            timing = Timing()
            for run in range(2 + repeat):
                spent, answers = 0.0, []
                for params in case.requests:
                    began = time.perf_counter()
                    response = await http.get(VALUES_URL, params=params)
                    spent += time.perf_counter() - began
                    answers.append(response)
                failed = [r for r in answers if r.status_code != 200]
                if failed:
                    if failed[0].status_code == 422:
                        timing.unsupported = failed[0].text[:300]
                        break
                    raise RuntimeError(f"{case.name}: {failed[0].status_code} {failed[0].text}")
                values = sum(len(r.json()["values"]) for r in answers)
                if values != case.expected:
                    raise RuntimeError(f"{case.name}: {values} values, not {case.expected}")
                if run >= 2:
                    timing.samples.append(spent)
            timings.append(timing)
            state = "not supported yet" if timing.unsupported else f"p99 {timing.p99 * 1000:.1f} ms"
            say(f"  {case.name}: {len(case.requests)} request(s), {state}")
        return cases, timings


# --------------------------------------------------------------------------- one size
@dataclass
class Scale:
    records: int
    fill: Fill
    sizes: Sizes
    cases: list[Case]
    timings: list[Timing]


def measure_scale(
    postgres: PostgresServer,
    broker: KafkaBroker,
    secrets: SecretStore,
    keys: tuple[Path, Path],
    records: int,
    args: argparse.Namespace,
) -> Scale:
    database = f"aggregation_{records}_seed{args.seed}"
    password = postgres_password(secrets, "aggregation")
    url = postgres.url_for(database, role="aggregation", password=password)
    kept = STATE / "filled" / f"{database}.json"
    if args.keep and kept.exists():
        # Filled by an earlier run with --keep; migrations added since then still apply.
        say(f"{records:,} records: {database} kept from an earlier run (--keep); migrating ...")
        began = time.perf_counter()
        upgrade("aggregation", url)
        saved = json.loads(kept.read_text())
        done = Fill(**{**saved["fill"], "by_type": Counter(saved["fill"]["by_type"])})
        say(f"  migrated in {time.perf_counter() - began:.1f} s; VACUUM ANALYZE ...")
    else:
        postgres.drop_database(database)  # what an interrupted run left
        postgres.ensure_service_database(database=database, role="aggregation", password=password)
        upgrade("aggregation", url)
        say(f"{records:,} records: filling {database} with {args.consumers} consumer(s) ...")
        done = fill(url, records, args.seed, args.consumers)
        say(
            f"  filled in {done.wall_seconds:.1f} s"
            f" ({done.events / done.wall_seconds:,.0f} events/s; apply alone"
            f" {done.events / done.apply_seconds:,.0f}/s); VACUUM ANALYZE ..."
        )
    sizes = asyncio.run(vacuum_and_measure(url))
    if sizes.not_applied:
        raise RuntimeError(f"{sizes.not_applied} events were not applied (see the inbox)")
    if args.keep and not kept.exists():
        kept.parent.mkdir(parents=True, exist_ok=True)
        kept.write_text(json.dumps({"fill": {**vars(done), "by_type": dict(done.by_type)}}))
    log = STATE / "logs" / f"aggregation-{records}.log"
    with aggregation_server(url, keys, broker.access(AGGREGATION_USER), log) as base:
        cases, timings = asyncio.run(run_cases(base, bearer(keys), args.repeat))
    if not args.keep:
        postgres.drop_database(database)
    return Scale(records, done, sizes, cases, timings)


# --------------------------------------------------------------------------- write -> indicator
LATENCY_REGION, LATENCY_DISTRICT = "32.16", "32.16.04"
LATENCY_LEVELS = ("SD", "SMP", "SMA", "SMK", "D3", "S1")
SEXES: tuple[Sex, Sex] = ("M", "F")
IN_FLIGHT = 64
WRITE_URL = "/api/v1/job-market/job-seekers"


@dataclass
class Write:
    cell: tuple[str, Sex, str]
    """(month, sex, education level) of the indicator the write counts in."""
    rank: int
    """This write is the rank-th of its cell."""
    scheduled: float
    answered: float | None = None
    seen: float | None = None


def months_of(years: tuple[int, ...]) -> list[str]:
    return [f"{year}-{month:02d}" for year in years for month in range(1, 13)]


async def write_load(
    gateway: str,
    credentials: dict[str, str],
    *,
    rate: float,
    seconds: float,
    months: list[str],
    serials: Iterator[int],
    poll_pause: float,
) -> tuple[list[Write], float, int]:
    """Writes at ``rate`` for ``seconds`` and when each became visible; the last 201's time
    after the first write's scheduled start; how many polls it took."""
    cells = [(m, s, level) for m in months for s in SEXES for level in LATENCY_LEVELS]
    limits = httpx.Limits(max_connections=4, max_keepalive_connections=4)
    async with httpx.AsyncClient(base_url=gateway, timeout=60, limits=limits) as http:
        token = Token(http, credentials)
        headers = {**await token.headers(), "Content-Type": "application/json"}
        poll_params = {
            "indicator": "job_seekers_registered",
            "region": LATENCY_REGION,
            "by": "sex,education_level",
        }

        # Polls go on a raw connection of their own, like the writes: the load generator's
        # CPU, on the same cores as the platform, is kept to what the measure needs.
        poller_connection = Connection(gateway)

        async def counts(asked: list[str]) -> dict[tuple[str, str, str], int]:
            query = urlencode({**poll_params, "period": ",".join(asked)})
            code, answer = await poller_connection.get(
                f"/api/v1/indicators/values?{query}", await token.headers()
            )
            if code != 200:
                raise RuntimeError(f"poll answered {code}: {answer[:300]!r}")
            return {
                (v["period"], v["dimensions"]["sex"], v["dimensions"]["education_level"]): int(
                    v["value"] or 0
                )
                for v in json.loads(answer)["values"]
            }

        baseline = await counts(months)
        # Writes go out in the order they were scheduled: one sender per connection takes the
        # oldest waiting write (a task per write racing for a free connection would let new
        # writes overtake old ones without bound once the platform falls behind).
        queue: asyncio.Queue[tuple[Write, int] | None] = asyncio.Queue()
        writes: list[Write] = []
        pending: list[Write] = []
        problems: list[str] = []
        ranks: Counter[tuple[str, str, str]] = Counter()
        total = round(rate * seconds)
        finished = asyncio.Event()

        def body(write: Write, serial: int) -> bytes:
            month, sex, level = write.cell
            birth = date(1996, 4, 12) + timedelta(days=serial // 9999)
            return json.dumps(
                {
                    "external_id": f"SCALE-{uuid.uuid4().hex}",
                    "nik": nik_for(
                        district=LATENCY_DISTRICT,
                        birth_date=birth,
                        sex=sex,
                        serial=serial % 9999 + 1,
                    ),
                    "full_name": "Bench Mark",
                    "birth_date": birth.isoformat(),
                    "sex": sex,
                    "education_level": level,
                    "region_code": LATENCY_REGION,
                    "registered_at": f"{month}-15",
                }
            ).encode()

        async def sender() -> None:
            connection = Connection(gateway)
            try:
                while (item := await queue.get()) is not None:
                    write, serial = item
                    try:
                        code, answer = await connection.post(
                            WRITE_URL, body(write, serial), headers
                        )
                    except (OSError, ConnectionError) as exc:
                        await connection.close()
                        problems.append(f"{type(exc).__name__}: {exc}")
                        continue
                    write.answered = time.perf_counter()
                    if code != 201:
                        problems.append(f"{code} {answer[:300]!r}")
            finally:
                await connection.close()

        async def writer() -> None:
            senders = [asyncio.create_task(sender()) for _ in range(IN_FLIGHT)]
            start = time.perf_counter()
            for i in range(total):
                at = start + i / rate
                delay = at - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                cell = cells[i % len(cells)]
                ranks[cell] += 1
                write = Write(cell, ranks[cell], at)
                writes.append(write)
                pending.append(write)
                queue.put_nowait((write, next(serials)))
            for _ in senders:
                queue.put_nowait(None)
            await asyncio.gather(*senders)
            finished.set()

        polls = 0

        async def poller() -> None:
            nonlocal pending, polls
            deadline: float | None = None
            while True:
                if finished.is_set():
                    deadline = deadline or time.monotonic() + 120
                    if not pending or time.monotonic() > deadline or problems:
                        return
                asked = sorted({w.cell[0] for w in pending})
                if not asked:
                    await asyncio.sleep(0.005)
                    continue
                found = await counts(asked)
                polls += 1
                now = time.perf_counter()
                for write in pending:
                    if found.get(write.cell, 0) - baseline.get(write.cell, 0) >= write.rank:
                        write.seen = now
                pending = [w for w in pending if w.seen is None]
                await asyncio.sleep(poll_pause)

        try:
            await asyncio.gather(writer(), poller())
        finally:
            await poller_connection.close()
        if problems:
            raise RuntimeError(f"{len(problems)} writes failed, first: {problems[0]}")
        answered = [w.answered for w in writes if w.answered is not None]
        return writes, max(answered) - writes[0].scheduled, polls


@dataclass
class Latency:
    rate: float
    writes: list[Write]
    spent: float
    """From the first write's scheduled start to the last 201."""
    polls: int
    seconds: float
    applied: Buckets
    """The aggregation's ``sinergi_event_delay_seconds`` over the measured load: how long
    after its write each event was applied (the pipeline, without the poll)."""


Buckets = dict[float, float]
"""A Prometheus histogram's cumulative counts by upper bound (``inf`` last: the count)."""


def event_delays(up: RunningPlatform) -> Buckets:
    """The aggregation's ``sinergi_event_delay_seconds`` buckets now (from its /metrics)."""
    config = up.platform.config
    spec = next(s for s in up.platform.services if s.name == "aggregation")
    settings = Settings()
    token = TokenIssuer(
        private_key_pem=(config.secrets / "jwt-private.pem").read_bytes(),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    ).issue(client_id="bench-scale", scopes=("metrics:read",), regions=("*",), ttl=600)
    response = httpx.get(
        f"http://127.0.0.1:{config.port_of(spec)}/metrics",
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()
    return {
        float(sample.labels["le"]): sample.value
        for family in text_string_to_metric_families(response.text)
        if family.name == "sinergi_event_delay_seconds"
        for sample in family.samples
        if sample.name.endswith("_bucket")
    }


def bucket_quantile(buckets: Buckets, q: float) -> float:
    """The ``q`` quantile of a histogram's observations, interpolated within its bucket as
    Prometheus' ``histogram_quantile`` does."""
    bounds = sorted(buckets)
    counts = [buckets[b] for b in bounds]
    rank = q * counts[-1]
    lower, below = 0.0, 0.0
    for bound, count in zip(bounds, counts, strict=True):
        if count >= rank:
            if math.isinf(bound):
                return lower
            return lower + (bound - lower) * (rank - below) / max(count - below, 1e-9)
        lower, below = bound, count
    return lower


def write_to_indicator(args: argparse.Namespace) -> Latency:
    """The write -> indicator section: a warm-up, then the measured load."""
    serials = itertools.count()
    settings = {"SINERGI_RATE_LIMIT_API": "1000000/minute"}
    with running_platform("bench-scale-latency", settings=settings) as up:
        credentials = up.credentials(LATENCY_REGION)
        say("write -> indicator: warm-up ...")
        asyncio.run(
            write_load(
                up.gateway_url,
                credentials,
                rate=args.latency_rate,
                seconds=2,
                months=months_of((2023,)),
                serials=serials,
                poll_pause=args.poll_pause,
            )
        )
        say(f"write -> indicator: {args.latency_rate:.0f} writes/s for {args.latency_seconds} s")
        delays = event_delays(up)
        began = time.perf_counter()
        writes, spent, polls = asyncio.run(
            write_load(
                up.gateway_url,
                credentials,
                rate=args.latency_rate,
                seconds=args.latency_seconds,
                months=months_of((2024, 2025)),
                serials=serials,
                poll_pause=args.poll_pause,
            )
        )
        seconds = time.perf_counter() - began
        applied = {
            bound: count - delays.get(bound, 0.0) for bound, count in event_delays(up).items()
        }
    return Latency(args.latency_rate, writes, spent, polls, seconds, applied)


def print_latency(latency: Latency) -> None:
    writes = latency.writes
    seen = [(w, w.seen, w.answered) for w in writes if w.seen and w.answered]
    print()
    print(
        f"write -> indicator: {len(writes)} writes offered at {latency.rate:.0f}/s, answered at"
        f" {len(writes) / latency.spent:.1f}/s; {len(writes) - len(seen)} never seen;"
        f" {latency.polls} polls (one per {latency.seconds / latency.polls * 1000:.0f} ms)"
    )
    _, p99 = report("201 -> indicator shows it", [max(0.0, s - a) for _, s, a in seen])
    report("scheduled send -> indicator", [s - w.scheduled for w, s, _ in seen])
    report("scheduled send -> 201", [a - w.scheduled for w, _, a in seen])
    if latency.applied:
        a50, a99 = (bucket_quantile(latency.applied, q) * 1000 for q in (0.5, 0.99))
        print(
            f"{'event written -> applied':<34} n={latency.applied[math.inf]:<5.0f}"
            f" p50={a50:8.1f} ms  p99={a99:8.1f} ms  (the aggregation's"
            " sinergi_event_delay_seconds; the rest is the poll)"
        )
    # The goal is the latency *at* the offered rate: a platform answering fewer writes than
    # offered does not meet it, however fresh what it does answer is.
    kept_up = len(writes) / latency.spent >= 0.95 * latency.rate
    verdict = "met" if p99 < LATENCY_GOAL and len(seen) == len(writes) and kept_up else "NOT met"
    print(
        f"goal: write -> indicator p99 < {LATENCY_GOAL * 1000:.0f} ms at {latency.rate:.0f}"
        f" writes/s: {verdict}"
        + ("" if kept_up else " (the writes were not all taken at that rate)")
    )


# --------------------------------------------------------------------------- the report
def mb(size: int) -> str:
    return f"{size / 2**20:,.0f} MB"


def cell(timing: Timing) -> str:
    if timing.unsupported:
        return f"{'not supported yet':>19}"
    return f"{timing.p50 * 1000:8.1f} /{timing.p99 * 1000:8.1f}"


def print_scales(scales: list[Scale]) -> float | None:
    """The table and the verdicts; the worst ratio (None when nothing could be compared)."""
    print()
    names = [case.name for case in scales[0].cases]
    for number, name in enumerate(names, 1):
        print(f"case {number}: {name} ({len(scales[0].cases[number - 1].requests)} request(s))")
    header = (
        f"{'records':>11} {'fill ev/s':>9} {'apply ev/s':>10} {'database':>10} {'cube':>9}"
        f" {'cube rows':>10} {'cube cells':>11}"
        + "".join(f"  {f'case {n} p50/p99 ms':>19}" for n in range(1, len(names) + 1))
    )
    print(header)
    for scale in scales:
        done, sizes = scale.fill, scale.sizes
        print(
            f"{scale.records:>11,} {done.events / done.wall_seconds:>9,.0f}"
            f" {done.events / done.apply_seconds:>10,.0f} {mb(sizes.database):>10}"
            f" {mb(sizes.cube):>9} {sizes.cube_rows:>10,} {sizes.cells:>11,}"
            + "".join(f"  {cell(t)}" for t in scale.timings)
        )
    for scale in scales:
        rows = ", ".join(f"{table} {count:,}" for table, count in scale.sizes.rows.items())
        print(
            f"  {scale.records:,}: filled in {scale.fill.wall_seconds:,.1f} s"
            f" (apply {scale.fill.apply_seconds:,.1f} s); rows: {rows};"
            f" VACUUM ANALYZE {scale.sizes.vacuum_seconds:.1f} s"
        )
    small, large = scales[0], scales[-1]
    at_goal = large.records >= GOAL_RECORDS
    if not at_goal:
        rate = large.fill.events / large.fill.wall_seconds
        print(
            f"  at the fill rate of {large.records:,} records, {GOAL_RECORDS:,} would take"
            f" about {GOAL_RECORDS / rate / 60:,.0f} min to fill (if the rate held)"
        )
    ratios: list[float] = []
    for number, name in enumerate(names):
        first, last = small.timings[number], large.timings[number]
        goal = P99_GOALS[number]
        if first.unsupported or last.unsupported:
            print(f"case {number + 1} ({name}): not supported yet by the API (422)")
            continue
        ratio = last.p99 / first.p99
        ratios.append(ratio)
        scope = (
            "" if at_goal else f" (the goal is at {GOAL_RECORDS:,}; largest run: {large.records:,})"
        )
        print(
            f"case {number + 1}: p99 {last.p99 * 1000:.1f} ms at {large.records:,} records,"
            f" goal < {goal * 1000:.0f} ms: {'met' if last.p99 < goal else 'NOT met'}{scope};"
            f" p99 {large.records:,} / {small.records:,} = {ratio:.2f},"
            f" goal <= {RATIO_GOAL:.0f}: {'met' if ratio <= RATIO_GOAL else 'NOT met'}"
        )
    return max(ratios) if ratios else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--records",
        default="10000,1000000,10000000",
        help="comma-separated source-record counts, smallest first",
    )
    parser.add_argument("--repeat", type=int, default=100, help="timed queries per case")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--consumers",
        type=int,
        default=2,
        help="consumers filling side by side (processes, as replicas on their own partitions)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help=f"keep {STATE.relative_to(ROOT)} and the filled databases, and reuse those an"
        " earlier run with --keep filled (same size and seed) instead of filling again",
    )
    parser.add_argument(
        "--shared-buffers",
        default=SHARED_BUFFERS,
        help="PostgreSQL's buffer pool for the aggregation database (default %(default)s)",
    )
    parser.add_argument("--latency", action="store_true", help="also run write -> indicator")
    parser.add_argument("--latency-only", action="store_true", help="only write -> indicator")
    parser.add_argument("--latency-rate", type=float, default=200.0, help="writes per second")
    parser.add_argument("--latency-seconds", type=float, default=30.0)
    parser.add_argument(
        "--poll-pause", type=float, default=0.01, help="seconds between the poller's requests"
    )
    args = parser.parse_args()
    sizes = [] if args.latency_only else [int(n) for n in args.records.split(",") if n.strip()]
    if sizes != sorted(sizes) or any(n <= 0 for n in sizes):
        parser.error("--records: positive counts, smallest first")

    started = time.monotonic()
    scales: list[Scale] = []
    latency: Latency | None = None
    try:
        if sizes:
            if not args.keep:
                shutil.rmtree(STATE, ignore_errors=True)
            shutil.rmtree(STATE / "kafka", ignore_errors=True)
            (STATE / "logs").mkdir(parents=True, exist_ok=True)
            secrets = SecretStore(STATE / "secrets", environ={})
            keys = (STATE / "jwt-private.pem", STATE / "jwt-public.pem")
            ensure_keypair(*keys)
            postgres = PostgresServer(
                data_dir=STATE / "postgres",
                port=free_port(),
                log_path=STATE / "logs" / "postgres.log",
                password=postgres_superuser_password(secrets),
                shared_buffers=args.shared_buffers,
            )
            # A broker with the platform's principals and empty topics, so the service's
            # consumer runs as deployed (idle), not retrying a missing broker meanwhile.
            broker = platform_broker(
                secrets,
                data_dir=STATE / "kafka",
                libs_dir=ensure_kafka_libs(ROOT / ".local" / "cache"),
                port=free_port(),
                controller_port=free_port(),
                log_path=STATE / "logs" / "kafka.log",
            )
            postgres.start()
            broker.start()
            try:
                asyncio.run(ensure_topics(broker.admin, list(TOPICS)))
                for records in sizes:
                    scales.append(measure_scale(postgres, broker, secrets, keys, records, args))
            finally:
                broker.stop()
                postgres.stop()
                if not args.keep:
                    shutil.rmtree(STATE, ignore_errors=True)
        if args.latency or args.latency_only:
            latency = write_to_indicator(args)
    finally:
        say(f"(whole run: {time.monotonic() - started:.0f} s)")

    worst = print_scales(scales) if scales else None
    if latency is not None:
        print_latency(latency)
    print(f"goal: each case's p99 ratio <= {RATIO_GOAL:.0f}")
    print(f"ratio = {'n/a' if worst is None else f'{worst:.3g}'}")


if __name__ == "__main__":
    main()
