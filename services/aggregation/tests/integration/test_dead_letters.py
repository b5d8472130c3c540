"""Poison events: a lasting error sends the event to its topic's DLQ after the bounded tries
and the partition goes on; a passing error (the database unreachable) never does; the CLI
lists, shows and replays dead letters."""

from __future__ import annotations

import dataclasses
import io
import json
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from aggregation.consumer import GROUP_ID, TOPICS
from aggregation.dlq import dead_letters, parser, run
from aggregation.handlers import HANDLERS
from aggregation.projections.tables import inbox
from shared.db import create_engine, session_factory
from shared.dlq import DeadLetters, is_passing
from shared.events import CloudEvent
from shared.events.job_market import JobSeekerRegisteredV1
from shared.inbox import Batched, IdempotentConsumer
from shared.settings import Settings
from sinergi_local.access import AGGREGATION_USER
from sinergi_local.kafka import KafkaBroker
from sinergi_local.testing import free_port
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

Sessions = async_sessionmaker[AsyncSession]
BOOM = "id.go.kemnaker.sinergi.job_market.job_seeker.registered.v1"


async def _letters(kafka: KafkaBroker) -> dict[str, dict[str, str]]:
    """Dead letters on the broker by event id: their headers."""
    found = {}
    async for letter in dead_letters(kafka.access(AGGREGATION_USER), TOPICS):
        if letter.event_id:
            found[letter.event_id] = letter.headers
    return found


async def _statuses(sessions: Sessions) -> dict[str, str]:
    async with sessions() as session:
        return dict((await session.execute(sa.select(inbox.c.event_id, inbox.c.status))).all())


async def test_a_poison_event_goes_to_the_dlq_and_the_events_after_it_still_count(
    consumer: IdempotentConsumer,
    sessions: Sessions,
    kafka: KafkaBroker,
    seeker: Callable[..., JobSeekerRegisteredV1],
    record: Callable[..., Any],
    indicator_values: Any,
) -> None:
    good = seeker(region_code="33.25", registered_at=date(2026, 4, 7))
    invalid = CloudEvent(
        source="/sinergi/job-market", type=good.event_type, subject=str(uuid.uuid4()),
        data={"id": str(uuid.uuid4()), "revision": "one"},
    )  # fmt: skip
    undecodable = dataclasses.replace(record(good), value=b"\x00 not a cloud event")
    later = seeker(region_code="33.25", registered_at=date(2026, 4, 8))
    records = [record(invalid), undecodable, record(good), record(later)]

    await consumer.apply(records)

    got = await indicator_values(["job_seekers_registered"], ["33.25"], ["2026-04"])
    assert got == {("job_seekers_registered", "33.25", "2026-04"): 2}
    statuses = await _statuses(sessions)
    assert statuses[invalid.id] == "dead_lettered"
    letters = await _letters(kafka)
    headers = letters[invalid.id]
    assert headers["dlq-topic"] == records[0].topic
    assert headers["dlq-partition"] == "0" and headers["dlq-offset"] == str(records[0].offset)
    assert headers["dlq-attempts"] == "3" and "revision" in headers["dlq-error"]
    assert "one" not in headers["dlq-error"]  # the reason names fields, not their values
    assert headers["dlq-time"]
    refused = [h for h in letters.values() if h["dlq-offset"] == str(undecodable.offset)]
    assert refused == [] or refused[0]["dlq-error"].startswith("undecodable")
    async with sessions() as session:
        assert await consumer.count_dead_letters() >= 1
        assert await session.scalar(sa.select(sa.func.count()).select_from(inbox)) == 3


def buggy_consumer(
    sessions: Sessions, kafka: KafkaBroker, region: str, calls: list[str], attempts: int = 2
) -> IdempotentConsumer:
    """The aggregation's consumer with a bug: registering a job seeker of ``region`` raises."""
    registered = HANDLERS[BOOM]

    async def boom(session: AsyncSession, event: CloudEvent) -> None:
        calls.append(event.id)
        if event.data["region_code"] == region:
            raise RuntimeError("a handler bug")
        if isinstance(registered, Batched):
            await registered.apply(session, [event])
        else:
            await registered(session, event)

    access = kafka.access(AGGREGATION_USER)
    return IdempotentConsumer(
        sessions=sessions, inbox=inbox, kafka=access, topics=list(TOPICS), group_id=GROUP_ID,
        handlers={**HANDLERS, BOOM: boom}, max_attempts=attempts,
        dead_letters=DeadLetters(access, client_id="test-dlq"),
    )  # fmt: skip


async def test_an_unexpected_exception_is_tried_a_bounded_number_of_times_then_set_aside(
    sessions: Sessions,
    kafka: KafkaBroker,
    dead_letter_topics: list[str],
    seeker: Callable[..., JobSeekerRegisteredV1],
    record: Callable[..., Any],
) -> None:
    calls: list[str] = []
    consumer = buggy_consumer(sessions, kafka, "32.73", calls)
    bad = seeker(region_code="32.73", registered_at=date(2026, 5, 2))
    fine = seeker(region_code="32.16", registered_at=date(2026, 5, 2))
    bad_record, fine_record = record(bad), record(fine)
    bad_event = CloudEvent.from_bytes(bad_record.value)
    fine_event = CloudEvent.from_bytes(fine_record.value)

    await consumer.apply([bad_record, fine_record])

    # Once in the batch, then twice alone; the good one after it is applied.
    assert calls.count(bad_event.id) == 3
    statuses = await _statuses(sessions)
    assert statuses[bad_event.id] == "dead_lettered" and statuses[fine_event.id] == "applied"
    headers = (await _letters(kafka))[bad_event.id]
    assert headers["dlq-attempts"] == "2" and "RuntimeError: a handler bug" in headers["dlq-error"]
    await consumer.stop()


async def test_the_database_down_is_waited_for_never_dead_lettered(
    aggregation_db: str,
    sessions: Sessions,
    kafka: KafkaBroker,
    dead_letter_topics: list[str],
    seeker: Callable[..., JobSeekerRegisteredV1],
    record: Callable[..., Any],
) -> None:
    from aggregation.consumer import build_consumer

    down = create_engine(
        aggregation_db.replace(
            aggregation_db.split("@")[1].split("/")[0], f"127.0.0.1:{free_port()}"
        ),
        pool_size=1,
    )
    access = kafka.access(AGGREGATION_USER)
    waiting = build_consumer(sessions=session_factory(down), kafka=access)
    event = seeker(region_code="33.25", registered_at=date(2026, 6, 1))
    before = await _letters(kafka)

    with pytest.raises(Exception) as raised:  # noqa: PT011 - any passing error
        await waiting.apply([record(event)])
    assert is_passing(raised.value)
    await down.dispose()
    assert await _letters(kafka) == before  # nothing set aside

    # The same record, once the database answers: applied.
    applying = build_consumer(sessions=sessions, kafka=access)
    await applying.apply([record(event)])
    assert set((await _statuses(sessions)).values()) == {"applied"}
    await waiting.stop()
    await applying.stop()


async def test_the_cli_lists_shows_and_replays_dead_letters(
    consumer: IdempotentConsumer,
    aggregation_db: str,
    sessions: Sessions,
    kafka: KafkaBroker,
    seeker: Callable[..., JobSeekerRegisteredV1],
    record: Callable[..., Any],
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
    await consumer.apply([dataclasses.replace(victim, value=json.dumps(envelope).encode())])
    broken_id = envelope["id"]
    cell = [["job_seekers_registered"], ["13.03"], ["2026-07"]]
    assert list((await indicator_values(*cell)).values()) == [0]

    access = kafka.access(AGGREGATION_USER)
    settings = Settings(
        database_url=aggregation_db, kafka_bootstrap=access.bootstrap,
        kafka_username=access.username, kafka_password=access.password, environment="test",
    )  # fmt: skip

    async def cli(*argv: str) -> tuple[int, str]:
        out = io.StringIO()
        status = await run(parser().parse_args(list(argv)), settings, out)
        return status, out.getvalue()

    status, listed = await cli("list")
    rows = {i: row for row in listed.splitlines() for i in (victim_id, broken_id) if i in row}
    assert status == 0 and all("\twaiting\t" in row for row in rows.values()) and len(rows) == 2
    assert "RuntimeError: a handler bug" in rows[victim_id] and "sex" in rows[broken_id]
    status, shown = await cli("show", victim_id)
    assert status == 0 and json.loads(shown)["headers"]["dlq-attempts"] == "2"
    assert "data" not in json.loads(shown)["event"]

    status, replayed = await cli("replay", victim_id, broken_id)
    assert status == 1
    assert f"{victim_id}\treplayed" in replayed and f"{broken_id}\tfailed again" in replayed
    assert list((await indicator_values(*cell)).values()) == [1]
    statuses = await _statuses(sessions)
    assert statuses[victim_id] == "applied" and statuses[broken_id] == "dead_lettered"

    # Replaying again changes nothing: the replayed one is no longer waiting.
    status, again = await cli("replay", victim_id)
    assert status == 0 and "0 replayed" in again
    assert list((await indicator_values(*cell)).values()) == [1]
