"""Forged events: the broker refuses writers without the right, the aggregation refuses liars.

Against the real platform (services and gateway as processes, the session's broker with the
platform's principals and ACLs). A forged ``job_seeker.registered.v1`` sent with the ministry's
read-only credentials, as handed out in ``demo-clients.json``, or with another domain's
credentials, never reaches the topic. One that does reach it (written with the broker's admin
credentials, as a compromised or misconfigured writer could) but claims a ``source`` that does
not own the topic, or a type of another domain, is not counted: the indicator stays as it was,
the aggregation's rejected counter grows, the log names the record but not its data, and the
consumer's offsets move past it.
"""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from datetime import date
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.errors import ClusterAuthorizationFailedError, TopicAuthorizationFailedError
from shared.events import CloudEvent, origin_problem
from shared.events.envelope import kafka_headers
from shared.events.job_market import TOPIC, JobSeekerRegisteredV1
from shared.events.training import SOURCE as TRAINING_SOURCE
from shared.events.training import EnrollmentRecordedV1
from shared.kafka import KafkaAccess, make_admin, make_producer
from sinergi_local.kafka import KafkaBroker
from sinergi_local.platform import Platform

AGGREGATION_GROUP = "sinergi-aggregation"
WRITE_REFUSED = (TopicAuthorizationFailedError, ClusterAuthorizationFailedError)
# A year no other test records anything in (the demo-data test takes 2019).
FORGERY_YEAR = 2017


def _seeker(period: date) -> JobSeekerRegisteredV1:
    return JobSeekerRegisteredV1(
        id=uuid.uuid4(),
        revision=1,
        region_code="32.16",
        person_ref=uuid.uuid4().hex * 2,
        sex="F",
        birth_year=1990,
        education_level="S1",
        disability=False,
        registered_at=period,
        status="active",
    )


def _enrollment(period: date) -> EnrollmentRecordedV1:
    return EnrollmentRecordedV1(
        id=uuid.uuid4(),
        revision=1,
        program_id=str(uuid.uuid4()),
        region_code="32.16",
        person_ref=uuid.uuid4().hex * 2,
        sex="M",
        birth_year=1995,
        enrolled_at=period,
        status="registered",
        completed_at=None,
        certified=False,
    )


async def _send(access: KafkaAccess, event: CloudEvent, **producer: Any) -> tuple[int, int]:
    """Produce ``event`` to the job-market topic; its (partition, offset)."""
    if producer:
        client = AIOKafkaProducer(**access.client_options(), **producer)
    else:
        client = make_producer(access, client_id="forger")
    try:
        await client.start()
        sent = await client.send_and_wait(
            TOPIC, value=event.to_bytes(), key=event.subject.encode(), headers=kafka_headers()
        )
    finally:
        await client.stop()
    return sent.partition, sent.offset


def _ministry_access(platform: Platform) -> KafkaAccess:
    """The Kafka credentials the ministry was handed, from ``demo-clients.json``."""
    entry = json.loads((platform.config.state_dir / "demo-clients.json").read_text())["kafka"]
    return KafkaAccess(
        bootstrap=entry["bootstrap"],
        username=entry["username"],
        password=entry["password"],
        security_protocol=entry["security_protocol"],
        sasl_mechanism=entry["sasl_mechanism"],
    )


async def test_a_forgery_with_the_ministry_read_credentials_is_refused(
    platform: Platform,
) -> None:
    forged = _seeker(date(FORGERY_YEAR, 1, 7)).to_cloudevent()
    ministry = _ministry_access(platform)
    # Idempotent (as the relay produces): refused when asking for a producer id...
    with pytest.raises(WRITE_REFUSED):
        await _send(ministry, forged)
    # ...and a plain producer is refused by the topic's ACL.
    with pytest.raises(TopicAuthorizationFailedError):
        await _send(ministry, forged, acks=1, enable_idempotence=False)


async def test_another_domain_cannot_write_the_job_market_topic(kafka: KafkaBroker) -> None:
    forged = _seeker(date(FORGERY_YEAR, 1, 8)).to_cloudevent()
    with pytest.raises(TopicAuthorizationFailedError):
        await _send(kafka.access("training"), forged)


def _lie_about_the_source(period: date) -> CloudEvent:
    """A job-seeker event on the job-market topic claiming to come from the training service."""
    return _seeker(period).to_cloudevent().model_copy(update={"source": TRAINING_SOURCE})


def _smuggle_another_domains_type(period: date) -> CloudEvent:
    """A training enrolment on the job-market topic, claiming the job market as its source."""
    return _enrollment(period).to_cloudevent().model_copy(update={"source": "/sinergi/job-market"})


@pytest.mark.parametrize(
    ("forge", "indicator"),
    [
        (_lie_about_the_source, "job_seekers_registered"),
        (_smuggle_another_domains_type, "training_enrollments"),
    ],
)
async def test_an_event_from_the_wrong_source_is_not_counted(
    platform: Platform, kafka: KafkaBroker, forge: Any, indicator: str
) -> None:
    period = date(FORGERY_YEAR, 2 if indicator == "job_seekers_registered" else 3, 11)
    month = period.strftime("%Y-%m")
    forged: CloudEvent = forge(period)
    assert origin_problem(TOPIC, forged) is not None
    async with httpx.AsyncClient(timeout=30) as http:
        rejected_before = await _rejected(http, platform)
        value_before = await _value(http, platform, indicator, month)
        partition, offset = await _send(kafka.admin, forged)  # only the admin could

        await _until_consumed_past(kafka.admin, partition, offset)
        assert await _value(http, platform, indicator, month) == value_before
        assert await _rejected(http, platform) == rejected_before + 1
    log = (platform.logs_dir / "aggregation.log").read_text(errors="replace")
    assert f"{TOPIC}@{partition}:{offset} refused" in log
    assert forged.data["person_ref"] not in log


async def _until_consumed_past(admin_access: KafkaAccess, partition: int, offset: int) -> None:
    """Wait until the aggregation's group has committed an offset beyond the record."""
    admin = make_admin(admin_access)
    await admin.start()
    try:
        async with asyncio.timeout(60):
            while True:
                offsets = await admin.list_consumer_group_offsets(AGGREGATION_GROUP)
                committed = next(
                    (o.offset for tp, o in offsets.items() if (tp.topic, tp.partition)
                     == (TOPIC, partition)),
                    -1,
                )  # fmt: skip
                if committed > offset:
                    return
                await asyncio.sleep(0.1)
    finally:
        await admin.close()


async def _rejected(http: httpx.AsyncClient, platform: Platform) -> float:
    """The aggregation process's ``sinergi_events_rejected_total``."""
    from shared.auth import TokenIssuer

    port = next(platform.config.port_of(s) for s in platform.services if s.name == "aggregation")
    issuer = TokenIssuer(
        private_key_pem=(platform.secrets_dir / "jwt-private.pem").read_bytes(),
        issuer="sinergi-gateway",
        audience="sinergi",
    )
    token = issuer.issue(client_id="operator", scopes=["metrics:read"], regions=[], ttl=60)
    metrics = (
        await http.get(
            f"http://127.0.0.1:{port}/metrics", headers={"Authorization": f"Bearer {token}"}
        )
    ).text
    found = re.search(r"^sinergi_events_rejected_total (\S+)$", metrics, re.MULTILINE)
    return float(found.group(1)) if found else 0.0


async def _value(http: httpx.AsyncClient, platform: Platform, indicator: str, month: str) -> float:
    """An indicator of Kabupaten Bekasi through the gateway, with the ministry's token."""
    clients = json.loads((platform.config.state_dir / "demo-clients.json").read_text())
    ministry = next(c for c in clients["clients"] if c["client_id"] == "kemnaker-pusdatin")
    gateway = platform.config.gateway_url
    token = await http.post(
        f"{gateway}/oauth/token",
        data={
            "grant_type": "client_credentials",
            "client_id": ministry["client_id"],
            "client_secret": ministry["client_secret"],
        },
    )
    assert token.status_code == 200, token.text
    response = await http.get(
        f"{gateway}/api/v1/indicators/values",
        params={"indicator": indicator, "region": "32.16", "period": month},
        headers={"Authorization": f"Bearer {token.json()['access_token']}"},
    )
    assert response.status_code == 200, response.text
    # A month nobody reported has no value (status not_reported): nothing was counted.
    return float(response.json()["values"][0]["value"] or 0)


def test_origin_rule() -> None:
    genuine = _seeker(date(FORGERY_YEAR, 4, 1)).to_cloudevent()
    assert origin_problem(TOPIC, genuine) is None
    assert "does not own topic" in (
        origin_problem(TOPIC, _lie_about_the_source(date.today())) or ""
    )
    smuggled = _smuggle_another_domains_type(date.today())
    assert "is not published by" in (origin_problem(TOPIC, smuggled) or "")
    # The training topic's owner may not speak for the job market either.
    assert origin_problem("sinergi.training.v1", genuine) is not None
