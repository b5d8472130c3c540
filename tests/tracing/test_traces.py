"""One trace from a request at the gateway to the indicator update, across five hops: the
gateway's server span, the job-market service's server span, the outbox row (its CloudEvent's
``traceparent``), the relay's producer span (the Kafka record's ``traceparent`` header) and the
aggregation's consumer span. Spans are collected in memory (what an OTLP exporter would send)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from datetime import date
from typing import Any

import httpx
import pytest
import uvicorn
from aggregation.consumer import build_consumer
from gateway.main import create_app as gateway_app
from gateway.settings import GatewaySettings
from job_market.db import outbox
from job_market.main import create_app as job_market_app
from opentelemetry import trace
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from shared.auth import TokenIssuer
from shared.db import create_engine, session_factory
from shared.events.job_market import TOPIC
from shared.identifiers import nik_for
from shared.outbox.relay import OutboxRelay
from shared.settings import Settings
from sinergi_local.kafka import KafkaBroker
from sinergi_local.testing import MigratedDb, ServiceUnderTest, event_reader, free_port

EXPORTED = InMemorySpanExporter()


@pytest.fixture(scope="module")
def spans() -> Iterator[InMemorySpanExporter]:
    """The process's spans, kept in memory (installed once: a process has one provider)."""
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(EXPORTED))
    trace.set_tracer_provider(provider)
    yield EXPORTED
    provider.shutdown()  # nothing recorded after this module
    EXPORTED.clear()


@pytest.fixture(scope="module")
def served_job_market(
    service_settings: Settings,
) -> Iterator[str]:
    """The job-market service on a loopback port (uvicorn in a thread), as the gateway calls
    it; its relay is run by the test."""
    port = free_port()
    app = job_market_app(service_settings.model_copy(update={"relay_enabled": False}))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the job-market service did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


@pytest.fixture(scope="module")
async def service_settings(migrated_db: MigratedDb, kafka: KafkaBroker, jwt_keys: Any) -> Settings:
    under_test = ServiceUnderTest(
        name="job_market", topic=TOPIC, create_app=job_market_app, scopes=()
    )
    return await under_test.settings(migrated_db=migrated_db, kafka=kafka, jwt_keys=jwt_keys)


def _by_name(finished: tuple[ReadableSpan, ...], prefix: str) -> ReadableSpan:
    found = [s for s in finished if s.name.startswith(prefix)]
    assert found, f"no span {prefix!r} among {[s.name for s in finished]}"
    return found[-1]


@pytest.mark.timeout(300)
async def test_one_trace_spans_the_gateway_service_outbox_kafka_and_aggregation(
    spans: InMemorySpanExporter,
    served_job_market: str,
    service_settings: Settings,
    migrated_db: MigratedDb,
    kafka: KafkaBroker,
    jwt_keys: Any,
) -> None:
    settings = GatewaySettings(
        environment="test",
        database_url=await migrated_db("gateway"),
        jwt_private_key_path=jwt_keys[0],
        jwt_public_key_path=jwt_keys[1],
        upstreams={"job_market": served_job_market},
        webhooks_enabled=False,
        rate_limit_enabled=False,
    )
    token = TokenIssuer(
        private_key_pem=jwt_keys[0].read_bytes(),
        issuer=settings.jwt_issuer,
        audience=settings.jwt_audience,
    ).issue(client_id="trace-test", scopes=["job-market:write"], regions=["32.16"], ttl=300)
    birth = date(1997, 8, 21)
    body = {
        "external_id": "TRACE-1",
        "nik": nik_for(district="32.16.01", birth_date=birth, sex="M", serial=77),
        "full_name": "Hendra Wijaya",
        "birth_date": birth.isoformat(),
        "sex": "M",
        "education_level": "SMA",
        "region_code": "32.16",
        "registered_at": "2026-06-03",
    }
    spans.clear()
    app = gateway_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
            written = await client.post(
                "/api/v1/job-market/job-seekers",
                json=body,
                headers={"Authorization": f"Bearer {token}"},
            )
    assert written.status_code == 201, written.text
    record_id = written.json()["id"]

    # The relay publishes the outbox row (what the service's own relay does in production).
    engine = create_engine(service_settings.database_url, pool_size=1)
    try:
        relay = OutboxRelay(
            engine=engine,
            table=outbox,
            kafka=kafka.access("job-market"),
            client_id="trace-test-relay",
        )
        assert await relay.publish_batch() >= 1
        await relay.stop()
    finally:
        await engine.dispose()

    reader = event_reader(service_settings, TOPIC)
    await reader.start()
    try:
        async with asyncio.timeout(60):
            found = None
            while found is None:
                batches = await reader.getmany(timeout_ms=500)
                for record in (r for rs in batches.values() for r in rs):
                    if record.key == record_id.encode():
                        found = record
    finally:
        await reader.stop()
    cloudevent = json.loads(found.value)

    aggregation = create_engine(await migrated_db("aggregation"), pool_size=2)
    try:
        consumer = build_consumer(sessions=session_factory(aggregation), kafka=kafka.admin)
        await consumer.apply([found])
        await consumer.stop()
    finally:
        await aggregation.dispose()

    finished = spans.get_finished_spans()
    gateway = next(s for s in finished if s.name == "POST /api/v1/job-market")
    service = _by_name(finished, "POST /api/v1/job-market/job-seekers")
    producer = _by_name(finished, f"publish {TOPIC}")
    consumer_span = _by_name(finished, "apply id.go.kemnaker.sinergi.job_market.job_seeker")
    trace_id = gateway.context.trace_id
    assert {s.context.trace_id for s in (service, producer, consumer_span)} == {trace_id}
    # Each hop is the child of the one before.
    assert service.parent is not None and service.parent.span_id == gateway.context.span_id
    written_in = cloudevent["traceparent"].split("-")
    assert written_in[1] == format(trace_id, "032x")  # the outbox row's CloudEvent
    assert written_in[2] == format(service.context.span_id, "016x")
    assert producer.parent is not None and producer.parent.span_id == service.context.span_id
    headers = dict(found.headers)
    assert headers["traceparent"].decode().split("-")[2] == format(producer.context.span_id, "016x")
    assert consumer_span.parent is not None
    assert consumer_span.parent.span_id == producer.context.span_id
