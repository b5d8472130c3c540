"""OWASP API10:2023 Unsafe Consumption of APIs: the aggregation does not trust what it reads.

The aggregation consumes the domain topics, each owned by one service. Whoever can write a
topic (its owner's credentials, a misconfigured ACL, a compromised service) must still not
be able to pass an event off as another service's: an event whose CloudEvents ``source`` is
not the topic owner's, or whose type belongs to another domain, is refused (issue 6, item 6).
It moves no indicator and is not recorded as applied, an undecodable record is skipped too,
and consumption goes on: a valid event after them on the same partition is counted.

(That a principal without the right cannot write the topic at all is the infra suite's
``test_kafka_forgery.py``, against the SASL broker.)
"""

from __future__ import annotations

import secrets
import uuid
from datetime import date
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from shared.events import CloudEvent
from shared.events.envelope import kafka_headers
from shared.events.job_market import SOURCE, TOPIC, JobSeekerRegisteredV1
from shared.events.training import SOURCE as TRAINING_SOURCE
from shared.events.training import EnrollmentRecordedV1
from sinergi_local.testing import sql_runner

# A regency and month no other test records anything in.
REGION, PERIOD, DAY = "33.25", "2019-02", date(2019, 2, 11)


def kafka_options(platform: Any, service: str) -> dict[str, Any]:
    """aiokafka connection options of one platform process (its credentials, when it has any)."""
    spec = next(s for s in platform.services if s.name == service)
    env = platform.environment(service, spec.database)
    options: dict[str, Any] = {"bootstrap_servers": env["SINERGI_KAFKA_BOOTSTRAP"]}
    username = env.get("SINERGI_KAFKA_USERNAME")
    if username:
        options.update(
            security_protocol=env.get("SINERGI_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT"),
            sasl_mechanism=env.get("SINERGI_KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"),
            sasl_plain_username=username,
            sasl_plain_password=env.get("SINERGI_KAFKA_PASSWORD", ""),
        )
    return options


def job_seeker_event(source: str) -> CloudEvent:
    """A job seeker registered in ``REGION`` on ``DAY``, claiming to come from ``source``."""
    data = JobSeekerRegisteredV1(
        id=uuid.uuid4(),
        revision=1,
        region_code=REGION,
        person_ref=secrets.token_hex(32),
        sex="F",
        birth_year=1990,
        education_level="SMA",
        disability=False,
        registered_at=DAY,
        status="active",
    )
    return data.to_cloudevent().model_copy(update={"source": source})


def enrollment_event() -> CloudEvent:
    """A training enrolment, with the training service's own source, on the wrong topic."""
    data = EnrollmentRecordedV1(
        id=uuid.uuid4(),
        revision=1,
        program_id=str(uuid.uuid4()),
        region_code=REGION,
        person_ref=secrets.token_hex(32),
        sex="M",
        birth_year=1992,
        enrolled_at=DAY,
        status="registered",
        completed_at=None,
        certified=False,
    )
    return data.to_cloudevent()


async def test_events_that_do_not_come_from_the_topics_owner_are_refused(
    platform: Any, gateway: httpx.AsyncClient, tokens: Any, sec: Any, eventually: Any
) -> None:
    headers = await tokens.headers(sec.MINISTRY)

    async def value(indicator: str) -> float:
        response = await gateway.get(
            "/api/v1/indicators/values",
            params={"indicator": indicator, "region": REGION, "period": PERIOD},
            headers=headers,
        )
        assert response.status_code == 200, sec.short(response)
        return float(response.json()["values"][0]["value"] or 0)

    before = {
        name: await value(name) for name in ("job_seekers_registered", "training_enrollments")
    }
    forged = {
        "another service's source": job_seeker_event(TRAINING_SOURCE),
        "a source of nobody": job_seeker_event("/attacker"),
        "an empty source": job_seeker_event(""),
        "another domain's event": enrollment_event(),
    }
    sentinel = job_seeker_event(SOURCE)
    producer = AIOKafkaProducer(acks="all", **kafka_options(platform, "job_market"))
    await producer.start()
    try:
        # One partition, in order: when the sentinel is counted, the others were consumed.
        for event in forged.values():
            await producer.send_and_wait(
                TOPIC,
                event.to_bytes(),
                key=event.subject.encode(),
                partition=0,
                headers=kafka_headers(),
            )
        await producer.send_and_wait(TOPIC, b"\x00 not a CloudEvent", key=b"junk", partition=0)
        await producer.send_and_wait(
            TOPIC,
            sentinel.to_bytes(),
            key=sentinel.subject.encode(),
            partition=0,
            headers=kafka_headers(),
        )
    finally:
        await producer.stop()

    async def counted() -> bool:
        return await value("job_seekers_registered") > before["job_seekers_registered"]

    assert await eventually(counted, True, timeout=60), (
        "the valid event after them was never counted"
    )
    seekers = await value("job_seekers_registered") - before["job_seekers_registered"]
    assert seekers == 1, f"{seekers - 1:.0f} forged job seekers were counted"
    enrolments = await value("training_enrollments") - before["training_enrollments"]
    assert enrolments == 0, "an enrolment forged on another topic was counted"
    sql = sql_runner(platform.postgres.url_for("sinergi_aggregation"))
    rows = await sql(
        "SELECT event_id, status FROM inbox WHERE event_id = ANY(:ids)",
        ids=[e.id for e in forged.values()],
    )
    applied = [
        what
        for what, e in forged.items()
        for r in rows
        if r["event_id"] == e.id and r["status"] == "applied"
    ]
    assert not applied, f"recorded as applied: {applied}"
