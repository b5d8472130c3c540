"""Poison events: a lasting error sends the event to its topic's DLQ after the bounded tries
and the partition goes on; a passing error (PostgreSQL down, the DLQ not acknowledged) never
does, and the events are applied once it is over; the CLI lists, shows and replays dead
letters; the metrics say how many wait."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import io
import json
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from aggregation.consumer import GROUP_ID, TOPICS, build_consumer
from aggregation.cube.maintain import maintain
from aggregation.dlq import dead_letters, parser, run
from aggregation.handlers import HANDLERS
from aggregation.main import create_app
from aggregation.projections.tables import inbox, job_seekers
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from prometheus_client import REGISTRY
from shared.auth import TokenIssuer
from shared.db import create_engine, session_factory
from shared.dlq import DLQ_PARTITIONS, DeadLetters, dlq_topic, is_passing
from shared.events import CloudEvent, origin_problem
from shared.events.envelope import kafka_headers
from shared.events.job_market import JobSeekerRegisteredV1
from shared.inbox import Batched, Handler, IdempotentConsumer, UnknownEventType
from shared.kafka import KafkaAccess, make_consumer, make_producer
from shared.migrate import upgrade
from shared.settings import Settings
from sinergi_local.access import AGGREGATION_USER, postgres_password, postgres_superuser_password
from sinergi_local.kafka import KafkaBroker, ensure_topics
from sinergi_local.postgres import PostgresServer
from sinergi_local.secrets import SecretStore
from sinergi_local.testing import free_port, until
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

Sessions = async_sessionmaker[AsyncSession]
Seekers = Callable[..., JobSeekerRegisteredV1]
Records = Callable[..., ConsumerRecord[bytes, bytes]]
REGISTERED = JobSeekerRegisteredV1.event_type
UNKNOWN_VERSION = REGISTERED.removesuffix(".v1") + ".v9"


async def _letters(
    access: KafkaAccess, topics: Sequence[str] = TOPICS
) -> dict[str, dict[str, str]]:
    """Dead letters on the broker by event id (``@<offset>`` without one): their headers."""
    found = {}
    async for letter in dead_letters(access, topics):
        found[letter.event_id or f"@{letter.headers['dlq-offset']}"] = letter.headers
    return found


async def _statuses(sessions: Sessions) -> dict[str, str]:
    async with sessions() as session:
        return dict((await session.execute(sa.select(inbox.c.event_id, inbox.c.status))).all())


def _metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def _cloudevent(record: ConsumerRecord[bytes, bytes], **changes: Any) -> bytes:
    """The record's CloudEvent with top-level attributes changed (or data, by ``data=``)."""
    envelope = json.loads(record.value or b"")
    return json.dumps(envelope | changes).encode()


async def test_poison_events_go_to_the_dlq_and_the_events_after_them_still_count(
    consumer: IdempotentConsumer,
    sessions: Sessions,
    kafka: KafkaBroker,
    seeker: Seekers,
    record: Records,
    indicator_values: Any,
) -> None:
    first = record(seeker(region_code="33.25", registered_at=date(2026, 4, 6)))
    invalid = CloudEvent(
        source="/sinergi/job-market", type=REGISTERED, subject=str(uuid.uuid4()),
        data={"id": str(uuid.uuid4()), "revision": "one"},
    )  # fmt: skip
    undecodable = dataclasses.replace(first, offset=9_000_001, value=b"\x00 not a cloud event")
    # An id PostgreSQL cannot store (a NUL character): not even its inbox row can be written.
    nul_id = record(seeker(region_code="33.25", registered_at=date(2026, 4, 7)))
    nul_id = dataclasses.replace(nul_id, value=_cloudevent(nul_id, id="nul\u0000id"))
    # A newer version of a platform type that no handler knows yet: set aside to be replayed
    # once the aggregation learns it; a foreign type is none of its business.
    unknown = record(seeker(region_code="33.25", registered_at=date(2026, 4, 7)))
    unknown = dataclasses.replace(unknown, value=_cloudevent(unknown, type=UNKNOWN_VERSION))
    foreign = record(seeker(region_code="33.25", registered_at=date(2026, 4, 7)))
    foreign = dataclasses.replace(foreign, value=_cloudevent(foreign, type="org.example.other.v1"))
    later = record(seeker(region_code="33.25", registered_at=date(2026, 4, 8)))
    records = [first, record(invalid), undecodable, nul_id, unknown, foreign, later]
    ids: list[str] = [json.loads(r.value)["id"] if r is not undecodable else "" for r in records]
    topic = first.topic
    dead_before = _metric("sinergi_events_dead_lettered_total", topic=topic)
    waiting_before = _metric("sinergi_dlq_records", topic=topic)

    await consumer.apply(records)

    got = await indicator_values(["job_seekers_registered"], ["33.25"], ["2026-04"])
    assert got == {("job_seekers_registered", "33.25", "2026-04"): 2}  # first and later
    statuses = await _statuses(sessions)
    assert {i: statuses.get(i) for i in ids if i} == {
        ids[0]: "applied",
        ids[1]: "dead_lettered",
        ids[3]: None,  # no inbox row: on the DLQ, never replayable
        ids[4]: "dead_lettered",
        ids[5]: "ignored",
        ids[6]: "applied",
    }
    letters = await _letters(kafka.access(AGGREGATION_USER))
    headers = letters[invalid.id]
    assert headers["dlq-topic"] == topic and headers["dlq-partition"] == "0"
    assert headers["dlq-offset"] == str(records[1].offset)
    assert headers["dlq-attempts"] == "3" and headers["dlq-time"]
    assert headers["dlq-error"].startswith("ValidationError: ")
    assert "revision: int_parsing" in headers["dlq-error"]
    assert "one" not in headers["dlq-error"]  # the reason names fields, not their values
    assert letters[f"@{undecodable.offset}"]["dlq-error"].startswith("undecodable: ")
    assert letters[ids[3]]["dlq-offset"] == str(nul_id.offset)
    assert letters[ids[4]]["dlq-error"].startswith("UnknownEventType: no handler")
    assert ids[5] not in letters
    # Four records put on the DLQ; two of them are events waiting for a replay.
    assert _metric("sinergi_events_dead_lettered_total", topic=topic) == dead_before + 4
    assert _metric("sinergi_dlq_records", topic=topic) == waiting_before + 2
    assert await consumer.count_dead_letters() == 2


def buggy_consumer(
    sessions: Sessions,
    kafka: KafkaBroker,
    region: str,
    calls: list[str],
    attempts: int = 2,
    extra: dict[str, Handler | Batched] | None = None,
) -> IdempotentConsumer:
    """The aggregation's consumer with a bug: registering a job seeker of ``region`` raises
    an exception nobody expects, quoting the event's values."""
    registered = HANDLERS[REGISTERED]

    async def boom(session: AsyncSession, event: CloudEvent) -> None:
        calls.append(event.id)
        if event.data["region_code"] == region:
            raise RuntimeError(f"a handler bug near {event.data['person_ref']}")
        if isinstance(registered, Batched):
            await registered.apply(session, [event])
        else:
            await registered(session, event)

    access = kafka.access(AGGREGATION_USER)
    return IdempotentConsumer(
        sessions=sessions, inbox=inbox, kafka=access, topics=list(TOPICS), group_id=GROUP_ID,
        handlers={**HANDLERS, REGISTERED: boom, **(extra or {})}, max_attempts=attempts,
        dead_letters=DeadLetters(access, client_id="test-dlq"), verify=origin_problem,
        around=maintain,
    )  # fmt: skip


async def test_an_unexpected_exception_is_tried_a_bounded_number_of_times_then_set_aside(
    sessions: Sessions,
    kafka: KafkaBroker,
    dead_letter_topics: list[str],
    seeker: Seekers,
    record: Records,
) -> None:
    calls: list[str] = []
    consumer = buggy_consumer(sessions, kafka, "32.73", calls)
    bad = seeker(region_code="32.73", registered_at=date(2026, 5, 2))
    fine = seeker(region_code="32.16", registered_at=date(2026, 5, 2))
    bad_record, fine_record = record(bad), record(fine)
    bad_event = CloudEvent.from_bytes(bad_record.value)
    fine_event = CloudEvent.from_bytes(fine_record.value)

    await consumer.apply([bad_record, fine_record])
    await consumer.stop()

    # Once in the batch, then twice alone; the good one after it is applied.
    assert calls.count(bad_event.id) == 3
    statuses = await _statuses(sessions)
    assert statuses[bad_event.id] == "dead_lettered" and statuses[fine_event.id] == "applied"
    headers = (await _letters(kafka.access(AGGREGATION_USER)))[bad_event.id]
    assert headers["dlq-attempts"] == "2"
    # The message without the person_ref it quoted.
    assert headers["dlq-error"] == "RuntimeError: a handler bug near ***"
    async with sessions() as session:
        error = await session.scalar(
            sa.select(inbox.c.error).where(inbox.c.event_id == bad_event.id)
        )
    assert error == headers["dlq-error"]


async def test_a_dead_lettered_event_is_applied_by_a_replay_once_its_handler_exists(
    consumer: IdempotentConsumer,
    sessions: Sessions,
    kafka: KafkaBroker,
    seeker: Seekers,
    record: Records,
) -> None:
    newer = record(seeker(region_code="12.75", registered_at=date(2026, 8, 3)))
    newer = dataclasses.replace(newer, value=_cloudevent(newer, type=UNKNOWN_VERSION))
    event_id, entity_id = json.loads(newer.value)["id"], json.loads(newer.value)["data"]["id"]
    await consumer.apply([newer])
    assert (await _statuses(sessions))[event_id] == "dead_lettered"
    with pytest.raises(UnknownEventType):  # still unknown: it stays dead-lettered
        await consumer.replay(newer)
    assert (await _statuses(sessions))[event_id] == "dead_lettered"

    # The release that knows v9 (here: v9 read as v1) replays it; a second replay is a no-op.
    upgraded = buggy_consumer(
        sessions, kafka, "none", [], extra={UNKNOWN_VERSION: HANDLERS[REGISTERED]}
    )
    try:
        assert await upgraded.replay(newer)
        assert not await upgraded.replay(newer)
        # Redelivered from its topic, it is a duplicate like any applied event.
        await upgraded.apply([newer])
    finally:
        await upgraded.stop()
    assert (await _statuses(sessions))[event_id] == "applied"
    async with sessions() as session:
        projected = await session.scalar(
            sa.select(job_seekers.c.region_code).where(job_seekers.c.id == uuid.UUID(entity_id))
        )
    assert projected == "12.75"


@pytest.fixture
def topic() -> str:
    return f"test.aggregation.dlq.{uuid.uuid4().hex[:8]}"


@pytest.fixture
def group_id() -> str:
    return f"test-aggregation-dlq-{uuid.uuid4().hex[:8]}"


async def _produce(access: KafkaAccess, topic: str, values: list[tuple[bytes, bytes]]) -> None:
    """Produce (key, value) records to partition 0 of ``topic``, in order."""
    producer = make_producer(access, client_id="aggregation-dlq-test")
    await producer.start()
    try:
        for key, value in values:
            await producer.send_and_wait(
                topic, key=key, value=value, partition=0, headers=kafka_headers()
            )
    finally:
        await producer.stop()


def _raw(event: JobSeekerRegisteredV1) -> tuple[bytes, bytes]:
    cloudevent = event.to_cloudevent()
    return cloudevent.subject.encode(), cloudevent.to_bytes()


async def _committed(access: KafkaAccess, group_id: str, topic: str) -> int | None:
    """The group's committed offset of partition 0 of ``topic``."""
    reader = make_consumer(access, group_id=group_id)
    await reader.start()
    try:
        offset: int | None = await reader.committed(TopicPartition(topic, 0))
        return offset
    finally:
        await reader.stop()


async def test_the_running_service_sets_poison_aside_commits_past_it_and_counts_it(
    aggregation_db: str,
    sessions: Sessions,
    kafka: KafkaBroker,
    jwt_keys: tuple[Path, Path],
    topic: str,
    group_id: str,
    seeker: Seekers,
    indicator_values: Any,
) -> None:
    await ensure_topics(kafka.admin, [topic])
    await ensure_topics(kafka.admin, [dlq_topic(topic)], partitions=DLQ_PARTITIONS)
    access = kafka.access(AGGREGATION_USER)
    march = date(2026, 3, 16)
    invalid = seeker(region_code="53.71", registered_at=march).to_cloudevent()
    invalid_raw = json.dumps(
        json.loads(invalid.to_bytes()) | {"data": {"id": str(uuid.uuid4()), "revision": 1}}
    ).encode()
    values = [
        _raw(seeker(region_code="53.71", registered_at=march)),
        (b"poison", invalid_raw),
        (b"garbage", b"{not json"),
        _raw(seeker(region_code="53.71", registered_at=march)),
        _raw(seeker(region_code="53.71", registered_at=march)),
    ]
    await _produce(kafka.admin, topic, values)
    settings = Settings(
        environment="test", database_url=aggregation_db, kafka_bootstrap=access.bootstrap,
        kafka_username=access.username, kafka_password=access.password,
        jwt_public_key_path=jwt_keys[1],
    )  # fmt: skip
    cell = [["job_seekers_registered"], ["53.71"], ["2026-03"]]

    app = create_app(settings, topics=[topic], group_id=group_id)
    async with app.router.lifespan_context(app):

        async def counted() -> bool:
            return list((await indicator_values(*cell)).values()) == [3]

        async def committed() -> bool:
            return await _committed(access, group_id, topic) == len(values)

        await until(counted, "the three good events to be counted")
        await until(committed, "the offset to be committed past every record")
        token = TokenIssuer(
            private_key_pem=jwt_keys[0].read_bytes(),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        ).issue(client_id="operator", scopes=["metrics:read"], regions=[], ttl=60)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://aggregation") as http:
            response = await http.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    exposed = {
        name: float(value)
        for name, value in re.findall(
            rf'^(sinergi_\w+)\{{topic="{re.escape(topic)}"\}} (\S+)$', response.text, re.M
        )
    }
    assert exposed["sinergi_dlq_records"] == 1  # the invalid event; garbage has no event id
    assert exposed["sinergi_events_dead_lettered_total"] == 2
    # Every partition of the topic caught up: nothing left to apply.
    lag = re.findall(
        rf'^sinergi_consumer_lag\{{group="{re.escape(group_id)}",partition="(\d+)",'
        rf'topic="{re.escape(topic)}"\}} (\S+)$',
        response.text,
        re.M,
    )
    assert lag and all(float(value) == 0 for _, value in lag), lag

    letters = await _letters(access, [topic])
    assert {h["dlq-offset"] for h in letters.values()} == {"1", "2"}
    assert letters[invalid.id]["dlq-topic"] == topic
    assert letters[invalid.id]["dlq-attempts"] == str(settings.consumer_max_attempts)
    assert (await _statuses(sessions))[invalid.id] == "dead_lettered"


async def test_a_dead_letter_kafka_does_not_acknowledge_is_a_passing_error(
    consumer: IdempotentConsumer,
    sessions: Sessions,
    kafka: KafkaBroker,
    topic: str,
    seeker: Seekers,
    record: Records,
) -> None:
    # A topic whose DLQ does not exist yet: producing the dead letter times out.
    good = dataclasses.replace(record(seeker(registered_at=date(2026, 9, 1))), topic=topic)
    poison = dataclasses.replace(good, offset=good.offset + 1, value=b"not an event")
    await ensure_topics(kafka.admin, [topic])

    with pytest.raises(Exception) as raised:  # noqa: PT011 - any passing error
        await consumer.apply([poison, good])
    assert is_passing(raised.value)
    assert await _statuses(sessions) == {}  # nothing of the batch committed

    await ensure_topics(kafka.admin, [dlq_topic(topic)], partitions=DLQ_PARTITIONS)
    await consumer.apply([poison, good])
    assert set((await _statuses(sessions)).values()) == {"applied"}
    assert list(await _letters(kafka.access(AGGREGATION_USER), [topic])) == [f"@{poison.offset}"]


@pytest.fixture
async def own_postgres(
    test_dir: Path, secret_store: SecretStore
) -> AsyncIterator[tuple[PostgresServer, str]]:
    """A PostgreSQL server of this test's own (to stop and start), with a migrated aggregation
    database; the server and the database's URL."""
    folder = test_dir / f"pg-{uuid.uuid4().hex[:8]}"
    server = PostgresServer(
        data_dir=folder / "data",
        port=free_port(),
        log_path=folder / "pg.log",
        password=postgres_superuser_password(secret_store),
    )
    await asyncio.to_thread(server.start)
    try:
        password = postgres_password(secret_store, "aggregation")
        await asyncio.to_thread(
            server.ensure_service_database,
            database="aggregation_down",
            role="aggregation",
            password=password,
        )
        url = server.url_for("aggregation_down", role="aggregation", password=password)
        await asyncio.to_thread(upgrade, "aggregation", url)
        yield server, url
    finally:
        await asyncio.to_thread(server.stop)


async def test_with_the_database_down_the_consumer_waits_then_applies_and_never_dead_letters(
    own_postgres: tuple[PostgresServer, str],
    kafka: KafkaBroker,
    topic: str,
    group_id: str,
    seeker: Seekers,
) -> None:
    server, url = own_postgres
    await ensure_topics(kafka.admin, [topic])
    await ensure_topics(kafka.admin, [dlq_topic(topic)], partitions=DLQ_PARTITIONS)
    access = kafka.access(AGGREGATION_USER)
    engine = create_engine(url, pool_size=1)
    sessions = session_factory(engine)
    consumer = build_consumer(sessions=sessions, kafka=access, topics=[topic], group_id=group_id)
    running = asyncio.create_task(consumer.run())
    events = [seeker(region_code="64.72", registered_at=date(2026, 2, 2)) for _ in range(3)]
    try:
        await _produce(kafka.admin, topic, [_raw(events[0])])

        def applied(count: int) -> Callable[[], Awaitable[bool]]:
            async def check() -> bool:
                try:
                    statuses = await _statuses(sessions)
                except Exception as exc:  # noqa: BLE001 - the database is still coming back
                    assert is_passing(exc)
                    return False
                return list(statuses.values()) == ["applied"] * count

            return check

        await until(applied(1), "the first event to be applied")
        await asyncio.to_thread(server.stop)
        faults = _metric("sinergi_consumer_faults_total")
        await _produce(kafka.admin, topic, [_raw(event) for event in events[1:]])

        async def retried() -> bool:
            return _metric("sinergi_consumer_faults_total") >= faults + 2

        # The consumer fails for want of its database, and tries again, more than once.
        await until(retried, "the consumer to retry without its database")
        assert await _committed(access, group_id, topic) == 1  # the batch was not committed
        assert await _letters(access, [topic]) == {}

        await asyncio.to_thread(server.start)
        await until(applied(3), "the events to be applied once the database is back")

        async def committed() -> bool:
            return await _committed(access, group_id, topic) == len(events)

        await until(committed, "the offset commit")
        assert await _letters(access, [topic]) == {}  # nothing was set aside
    finally:
        await consumer.stop()
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        await engine.dispose()


async def test_the_cli_lists_shows_and_replays_dead_letters(
    consumer: IdempotentConsumer,
    aggregation_db: str,
    sessions: Sessions,
    kafka: KafkaBroker,
    seeker: Seekers,
    record: Records,
    indicator_values: Any,
) -> None:
    # One event set aside by a bug (fixed since: the CLI replays with the real consumer),
    # one that is wrong in itself (it fails again).
    victim = record(seeker(region_code="13.03", registered_at=date(2026, 7, 3)))
    buggy = buggy_consumer(sessions, kafka, "13.03", [])
    await buggy.apply([victim])
    await buggy.stop()
    victim_id = CloudEvent.from_bytes(victim.value).id
    envelope = json.loads(record(seeker(region_code="13.03", registered_at=date(2026, 7, 4))).value)
    envelope["data"]["sex"] = "X"
    broken = dataclasses.replace(
        victim, offset=victim.offset + 1, value=json.dumps(envelope).encode()
    )
    await consumer.apply([broken])
    broken_id = envelope["id"]
    cell = [["job_seekers_registered"], ["13.03"], ["2026-07"]]
    assert list((await indicator_values(*cell)).values()) == [0]

    access = kafka.access(AGGREGATION_USER)
    settings = Settings(
        database_url=aggregation_db, kafka_bootstrap=access.bootstrap,
        kafka_username=access.username, kafka_password=access.password, environment="test",
    )  # fmt: skip

    async def cli(*argv: str) -> tuple[int, str, str]:
        out, err = io.StringIO(), io.StringIO()
        status = await run(parser().parse_args(list(argv)), settings, out, err)
        return status, out.getvalue(), err.getvalue()

    status, listed, counted = await cli("list")
    assert status == 0 and re.fullmatch(r"\d+ dead letter\(s\)\n", counted)
    rows = {
        row.split("\t")[5]: row.split("\t")
        for row in listed.splitlines()
        if victim_id in row or broken_id in row
    }
    dlq = dlq_topic(victim.topic)
    assert rows[victim_id][:2] == [dlq, "0"]
    assert rows[victim_id][3] == f"{victim.topic}:0:{victim.offset}"
    assert rows[victim_id][4] == REGISTERED
    assert [rows[i][7] for i in (victim_id, broken_id)] == ["waiting", "waiting"]
    assert rows[victim_id][8] == "RuntimeError: a handler bug near ***"
    assert rows[broken_id][8] == "ValidationError: sex: literal_error"

    status, shown, _ = await cli("show", dlq, rows[victim_id][2])
    document = json.loads(shown)
    assert status == 0 and document["dlq"]["offset"] == int(rows[victim_id][2])
    assert document["headers"]["dlq-attempts"] == "2" and document["state"] == "waiting"
    assert document["event"]["id"] == victim_id and "data" not in document["event"]
    status, shown, _ = await cli("show", victim.topic, rows[victim_id][2], "--data")
    assert json.loads(shown)["event"]["data"]["region_code"] == "13.03"
    status, _, missing = await cli("show", dlq, "999999999")
    assert status == 1 and "no dead letter" in missing

    status, replayed, _ = await cli("replay", victim_id, broken_id)
    assert status == 1
    assert f"{victim_id}\treplayed" in replayed
    assert f"{broken_id}\tfailed again: ValidationError: sex: literal_error" in replayed
    assert list((await indicator_values(*cell)).values()) == [1]
    statuses = await _statuses(sessions)
    assert statuses[victim_id] == "applied" and statuses[broken_id] == "dead_lettered"

    # Replaying again changes nothing: the replayed one is no longer waiting.
    status, again, _ = await cli("replay", victim_id)
    assert status == 0 and again == "0 replayed, 0 failed\n"
    assert list((await indicator_values(*cell)).values()) == [1]
    status, listed, _ = await cli("list")
    assert f"\t{victim_id}\t" in listed
    assert next(r for r in listed.splitlines() if victim_id in r).split("\t")[7] == "applied"
