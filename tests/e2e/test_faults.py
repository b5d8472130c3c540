"""Faults lose no accepted record and never double-count one.

The broker is stopped while writes keep coming; Kafka redelivers an event. Both against the
real broker the test session started.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx
from aiokafka.structs import ConsumerRecord
from shared.events.job_market import TOPIC
from shared.identifiers import nik_for
from shared.kafka import KafkaAccess, make_admin, make_consumer, make_producer
from sinergi_local.kafka import KafkaBroker
from sinergi_local.platform import Platform
from sinergi_local.postgres import PostgresServer

Tokens = Callable[[str], Awaitable[dict[str, str]]]
ValueOf = Callable[..., Awaitable[float | None]]
Eventually = Callable[..., Awaitable[Any]]
JOB_SEEKERS = "/api/v1/job-market/job-seekers"
AGGREGATION_GROUP = "sinergi-aggregation"


def job_seeker(serial: int, registered_at: str) -> dict[str, Any]:
    birth = date(1988, 6, 30)
    return {
        "external_id": f"FAULT-{uuid.uuid4().hex[:12]}",
        "nik": nik_for(district="32.73.01", birth_date=birth, sex="F", serial=serial),
        "full_name": "Dewi Lestari",
        "birth_date": birth.isoformat(),
        "sex": "F",
        "education_level": "S1",
        "region_code": "32.73",
        "registered_at": registered_at,
    }


async def test_writes_during_a_broker_outage_are_all_counted_once(
    gateway: httpx.AsyncClient,
    auth: Tokens,
    value_of: ValueOf,
    eventually: Eventually,
    kafka: KafkaBroker,
) -> None:
    period, day = "2025-03", "2025-03-10"
    headers = await auth("disnaker-3273")
    # Nothing sent for that month yet: not reported (no value) or 0.
    assert (await value_of("job_seekers_registered", "32.73", period) or 0) == 0

    async def write(serial: int) -> None:
        response = await gateway.post(JOB_SEEKERS, json=job_seeker(serial, day), headers=headers)
        assert response.status_code == 201, response.text

    for serial in range(1, 11):
        await write(serial)
    await asyncio.to_thread(kafka.stop)
    try:
        for serial in range(11, 31):
            await write(serial)
    finally:
        await asyncio.to_thread(kafka.start)
    for serial in range(31, 41):
        await write(serial)
    seen = await eventually(
        lambda: value_of("job_seekers_registered", "32.73", period), 40, timeout=120
    )
    assert seen == 40
    await asyncio.sleep(2)  # a late duplicate would show up now
    assert await value_of("job_seekers_registered", "32.73", period) == 40
    assert await value_of("job_seekers_registered", "32", period) == 40


async def test_an_event_delivered_twice_is_counted_once(
    gateway: httpx.AsyncClient,
    auth: Tokens,
    value_of: ValueOf,
    eventually: Eventually,
    kafka: KafkaBroker,
) -> None:
    period = "2025-04"
    headers = await auth("disnaker-3273")
    created = await gateway.post(JOB_SEEKERS, json=job_seeker(77, "2025-04-02"), headers=headers)
    assert created.status_code == 201
    assert await eventually(lambda: value_of("job_seekers_registered", "32.73", period), 1) == 1

    original = await _find_event(kafka.admin, created.json()["id"])
    # Re-sent as the job-market relay would after a crash between Kafka's ack and its commit.
    producer = make_producer(kafka.access("job-market"), client_id="e2e-redelivery")
    await producer.start()
    try:
        duplicate = await producer.send_and_wait(
            TOPIC, value=original.value, key=original.key, headers=list(original.headers)
        )
    finally:
        await producer.stop()
    assert duplicate.partition == original.partition and duplicate.offset > original.offset

    async def consumed_past_duplicate() -> bool:
        admin = make_admin(kafka.admin)
        await admin.start()
        try:
            offsets = await admin.list_consumer_group_offsets(AGGREGATION_GROUP)
        finally:
            await admin.close()
        committed = next(
            (
                o.offset
                for tp, o in offsets.items()
                if tp.partition == duplicate.partition and tp.topic == TOPIC
            ),
            -1,
        )
        return committed > duplicate.offset

    assert await eventually(consumed_past_duplicate, True) is True
    assert await value_of("job_seekers_registered", "32.73", period) == 1


async def _find_event(access: KafkaAccess, entity_id: str) -> ConsumerRecord[bytes, bytes]:
    consumer = make_consumer(access, TOPIC, group_id=f"e2e-{uuid.uuid4().hex}")
    await consumer.start()
    try:
        async with asyncio.timeout(30):
            while True:
                batches = await consumer.getmany(timeout_ms=500)
                for records in batches.values():
                    for record in records:
                        if record.key == entity_id.encode():
                            return record
    finally:
        await consumer.stop()


async def test_postgres_outage_refuses_writes_cleanly_and_loses_nothing(
    gateway: httpx.AsyncClient,
    auth: Tokens,
    value_of: ValueOf,
    eventually: Eventually,
    postgres: PostgresServer,
) -> None:
    period, day = "2025-06", "2025-06-11"
    headers = await auth("disnaker-3273")
    for serial in range(101, 106):
        response = await gateway.post(JOB_SEEKERS, json=job_seeker(serial, day), headers=headers)
        assert response.status_code == 201
    await asyncio.to_thread(postgres.stop)
    try:
        refused = await gateway.post(JOB_SEEKERS, json=job_seeker(106, day), headers=headers)
    finally:
        await asyncio.to_thread(postgres.start)
    assert refused.status_code == 503, refused.text
    assert refused.headers["content-type"].startswith("application/problem+json")
    assert refused.headers["retry-after"]
    # The refused request is simply sent again; a new one goes through as well.
    for body in (json.loads(refused.request.content), job_seeker(107, day)):
        response = await eventually(
            lambda b=body: _status(gateway.post(JOB_SEEKERS, json=b, headers=headers)), 201
        )
        assert response == 201
    assert await eventually(lambda: value_of("job_seekers_registered", "32.73", period), 7) == 7


async def test_killed_service_and_consumer_lose_no_accepted_write(
    gateway: httpx.AsyncClient,
    auth: Tokens,
    value_of: ValueOf,
    eventually: Eventually,
    platform: Platform,
) -> None:
    period, day = "2025-07", "2025-07-21"
    headers = await auth("disnaker-3273")
    for serial in range(201, 221):
        response = await gateway.post(JOB_SEEKERS, json=job_seeker(serial, day), headers=headers)
        assert response.status_code == 201
    # Crash both ends of the pipeline right after the 201s: events may sit in the outbox
    # unpublished and in Kafka unconsumed.
    platform.kill("job_market")
    platform.kill("aggregation")
    await asyncio.to_thread(platform.restart, "job_market")
    await asyncio.to_thread(platform.restart, "aggregation")
    for serial in range(221, 231):
        response = await gateway.post(JOB_SEEKERS, json=job_seeker(serial, day), headers=headers)
        assert response.status_code == 201
    assert await eventually(lambda: value_of("job_seekers_registered", "32.73", period), 30) == 30
    await asyncio.sleep(2)
    assert await value_of("job_seekers_registered", "32.73", period) == 30


async def _status(request: Awaitable[httpx.Response]) -> int:
    return (await request).status_code
