"""Time from a write's 201 at the gateway to the change of its indicator, p50 and p99.

Starts its own PostgreSQL, Kafka and platform (under ``.local/bench``, free ports), then
writes job seekers one after another at light load and, after each 201, polls the
``job_seekers_registered`` value of the regency until it has grown by one. The comparator,
run alongside on the same broker, is the bare Kafka round trip the pipeline cannot beat: a
raw ``acks=all`` producer to a group consumer with the same fetch settings (both as the
broker's admin, over the same SASL/SCRAM listener the services use).

    uv run python bench/indicator_latency.py [--writes 200]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from datetime import date

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from bench_platform import percentile, running_platform
from shared.identifiers import nik_for
from shared.kafka import KafkaAccess
from sinergi_local.kafka import ensure_topics


async def pipeline_latencies(gateway_url: str, client: dict[str, str], writes: int) -> list[float]:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as http:
        token = (
            await http.post(
                "/oauth/token",
                data={"grant_type": "client_credentials", **client},
            )
        ).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        params = {"indicator": "job_seekers_registered", "region": "32.16", "period": "2026-08"}

        async def value() -> float:
            response = await http.get("/api/v1/indicators/values", params=params, headers=headers)
            # null until the region has reported anything for the month ("not reported").
            return float(response.json()["values"][0]["value"] or 0)

        latencies = []
        count = await value()
        birth = date(1996, 4, 12)
        for serial in range(1, writes + 1):
            body = {
                "external_id": f"BENCH-{uuid.uuid4().hex}",
                "nik": nik_for(district="32.16.04", birth_date=birth, sex="M", serial=serial),
                "full_name": "Bench Mark",
                "birth_date": birth.isoformat(),
                "sex": "M",
                "education_level": "SMA",
                "region_code": "32.16",
                "registered_at": "2026-08-03",
            }
            response = await http.post("/api/v1/job-market/job-seekers", json=body, headers=headers)
            accepted = time.perf_counter()
            assert response.status_code == 201, response.text
            count += 1
            while await value() < count:
                await asyncio.sleep(0.005)
            latencies.append(time.perf_counter() - accepted)
            await asyncio.sleep(0.02)  # light load: one writer, short pauses
        return latencies


async def raw_kafka_latencies(access: KafkaAccess, messages: int) -> list[float]:
    topic = f"bench-raw-{uuid.uuid4().hex[:8]}"
    await ensure_topics(access, [topic])
    producer = AIOKafkaProducer(**access.client_options(), acks="all", enable_idempotence=True)
    consumer = AIOKafkaConsumer(
        topic,
        **access.client_options(),
        group_id=topic,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=50,
        enable_auto_commit=False,
    )
    await producer.start()
    await consumer.start()
    try:
        latencies = []
        for i in range(messages):
            sent = time.perf_counter()
            await producer.send_and_wait(topic, json.dumps({"i": i}).encode())
            record = await consumer.getone()
            await consumer.commit()
            assert json.loads(record.value)["i"] == i
            latencies.append(time.perf_counter() - sent)
            await asyncio.sleep(0.02)
        return latencies
    finally:
        await consumer.stop()
        await producer.stop()


def report(name: str, samples: list[float]) -> tuple[float, float]:
    p50, p99 = percentile(samples, 0.50), percentile(samples, 0.99)
    print(f"{name:<34} n={len(samples):<5} p50={p50 * 1000:8.1f} ms  p99={p99 * 1000:8.1f} ms")
    return p50, p99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--writes", type=int, default=200)
    args = parser.parse_args()
    with running_platform("bench") as up:
        ours = asyncio.run(pipeline_latencies(up.gateway_url, up.credentials("32.16"), args.writes))
        raw = asyncio.run(raw_kafka_latencies(up.kafka.admin, args.writes))
    print()
    p50, p99 = report("201 -> indicator changed", ours)
    r50, r99 = report("raw producer -> consumer (Kafka)", raw)
    label = "ratio (pipeline / raw Kafka)"
    print(f"{label:<34}          p50={p50 / r50:8.1f} x    p99={p99 / r99:8.1f} x")
    print(f"target p99 < 1000 ms: {'met' if p99 < 1.0 else 'NOT met'}")
    print(f"mean pipeline latency {statistics.fmean(ours) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
