"""Event streams under fan-out: many SSE subscribers at the gateway while writes go in.

Starts its own platform (``.local/bench-fanout``, free ports, the API quota raised), opens
``--subscribers`` (default 200) concurrent streams ``GET /api/v1/streams/job-market?types=<job
seeker registered>`` with the ministry's token (all held by this process, on one HTTP client
with a connection each), then writes new job seekers of Kabupaten Bekasi through the gateway,
``POST /api/v1/job-market/job-seekers``, at a steady open-loop ``--rate`` (default 100 writes/s)
for ``--seconds`` (default 30), on up to 32 connections. For every write it notes when its 201
arrived; every subscriber notes when each event arrived (by ``subject`` = the record's id).
Latency = arrival - 201 (an event may arrive before its 201 is read: counted as 0). After the
writes, it waits up to ``--grace`` seconds for the last events, then checks that every
subscriber got every write exactly once (a gap or a duplicate fails the run, exit 1).

It samples the gateway's resident memory (``VmRSS`` of its process tree, every 0.5 s) and
prints the peak. Comparator, alongside in the same run: one raw aiokafka consumer of the same
topic (the ministry's principal, group-less, as a Kafka-speaking subscriber would read it)
timing the same writes from the 201 to the consumed record. Goals: p99 < 1 s with all
subscribers, gateway RSS < 300 MB. The last line is ``ratio = SSE p99 / Kafka consumer p99``.

The subscribers and the writers run in this process and share the machine's CPUs with the
platform: on 2 cores they take part of the time they measure.

    uv run --frozen python bench/stream_fanout.py [--subscribers 200] [--rate 100] [--seconds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from collections import Counter
from datetime import date
from pathlib import Path

import httpx
from aiokafka import TopicPartition
from bench_platform import RunningPlatform, Token, percentile, running_platform
from shared.identifiers import nik_for
from shared.kafka import KafkaAccess, make_consumer, partition_count
from sinergi_local.access import MINISTRY_USER

TOPIC = "sinergi.job-market.v1"
REGISTERED = "id.go.kemnaker.sinergi.job_market.job_seeker.registered.v1"
STREAM = "/api/v1/streams/job-market"
WRITERS = 32


def tree_rss(pid: int) -> int:
    """Resident bytes of a process and its descendants (0 for one that is gone)."""
    total, pending = 0, [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
        except OSError:
            continue
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1]) * 1024
        pending += [int(child) for child in children]
    return total


async def subscriber(
    http: httpx.AsyncClient, headers: dict[str, str], seen: dict[str, float],
    counts: Counter[str], ready: asyncio.Event,
) -> None:  # fmt: skip
    """One SSE subscriber: notes each event's arrival time by subject."""
    async with http.stream("GET", STREAM, params={"types": REGISTERED}, headers=headers) as answer:
        answer.raise_for_status()
        ready.set()
        async for line in answer.aiter_lines():
            if line.startswith("data:"):
                subject = json.loads(line[5:])["subject"]
                seen.setdefault(subject, time.perf_counter())
                counts[subject] += 1


async def kafka_reader(access: KafkaAccess, seen: dict[str, float], ready: asyncio.Event) -> None:
    """The comparator: a raw consumer of the topic from its end."""
    consumer = make_consumer(access, group_id=None)
    await consumer.start()
    try:
        partitions = await partition_count(access, TOPIC)
        tps = [TopicPartition(TOPIC, p) for p in range(partitions)]
        consumer.assign(tps)
        await consumer.seek_to_end(*tps)
        for tp in tps:
            await consumer.position(tp)
        ready.set()
        while True:
            for records in (await consumer.getmany(timeout_ms=100)).values():
                for record in records:
                    envelope = json.loads(record.value or b"{}")
                    if envelope.get("type") == REGISTERED:
                        seen.setdefault(envelope["subject"], time.perf_counter())
    finally:
        await consumer.stop()


def body(serial: int) -> dict[str, object]:
    birth = date(1995, 1, 1)
    return {
        "external_id": f"FANOUT-{uuid.uuid4().hex}",
        "nik": nik_for(district="32.16.04", birth_date=birth, sex="F", serial=serial % 9999 + 1),
        "full_name": "Bench Mark", "birth_date": birth.isoformat(), "sex": "F",
        "education_level": "SMA", "region_code": "32.16", "registered_at": "2026-09-01",
    }  # fmt: skip


async def measure(args: argparse.Namespace, up: RunningPlatform) -> int:
    limits = httpx.Limits(max_connections=args.subscribers + WRITERS + 8)
    timeout = httpx.Timeout(60, read=None)
    async with httpx.AsyncClient(base_url=up.gateway_url, limits=limits, timeout=timeout) as http:
        ministry = next(c for c in up.demo["clients"] if c["client_id"] == MINISTRY_USER)
        token = Token(http, {k: ministry[k] for k in ("client_id", "client_secret")})
        writer = Token(http, up.credentials("32.16"))
        headers = await token.headers()

        arrivals: list[dict[str, float]] = [{} for _ in range(args.subscribers)]
        counts: list[Counter[str]] = [Counter() for _ in range(args.subscribers)]
        readies = [asyncio.Event() for _ in range(args.subscribers + 1)]
        raw: dict[str, float] = {}
        tasks = [
            asyncio.create_task(subscriber(http, headers, arrivals[i], counts[i], readies[i]))
            for i in range(args.subscribers)
        ]
        tasks.append(
            asyncio.create_task(kafka_reader(up.kafka.access(MINISTRY_USER), raw, readies[-1]))
        )
        await asyncio.wait_for(asyncio.gather(*(r.wait() for r in readies)), timeout=120)
        print(f"{args.subscribers} subscribers connected", file=sys.stderr, flush=True)

        gateway_pid = up.platform.processes["gateway"].pid
        peak = tree_rss(gateway_pid)
        sampling = True

        async def sample() -> None:
            nonlocal peak
            while sampling:
                peak = max(peak, tree_rss(gateway_pid))
                await asyncio.sleep(0.5)

        sampler = asyncio.create_task(sample())
        accepted: dict[str, float] = {}
        failures = 0
        slots = asyncio.Semaphore(WRITERS)
        write_headers = await writer.headers()

        async def write(serial: int) -> None:
            nonlocal failures
            async with slots:
                answer = await http.post(
                    "/api/v1/job-market/job-seekers", json=body(serial), headers=write_headers
                )
                if answer.status_code != 201:
                    failures += 1
                    return
                accepted[answer.json()["id"]] = time.perf_counter()

        began = time.perf_counter()
        total = int(args.rate * args.seconds)
        writes = []
        for serial in range(total):
            due = began + serial / args.rate
            if (delay := due - time.perf_counter()) > 0:
                await asyncio.sleep(delay)
            writes.append(asyncio.create_task(write(serial)))
        await asyncio.gather(*writes)
        spent = time.perf_counter() - began

        deadline = time.perf_counter() + args.grace
        while time.perf_counter() < deadline and not (
            all(set(accepted) <= set(a) for a in arrivals) and set(accepted) <= set(raw)
        ):
            await asyncio.sleep(0.1)
        sampling = False
        await sampler
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    latencies = [
        max(0.0, arrival[subject] - at)
        for arrival in arrivals
        for subject, at in accepted.items()
        if subject in arrival
    ]
    kafka = [max(0.0, raw[s] - at) for s, at in accepted.items() if s in raw]
    missing = sum(1 for arrival in arrivals for s in accepted if s not in arrival)
    twice = sum(1 for c in counts for s in accepted if c[s] > 1)
    print()
    print(f"writes: {len(accepted):,} accepted ({failures} refused) in {spent:.1f} s, "
          f"{len(accepted) / spent:,.1f}/s (asked {args.rate:g}/s)")  # fmt: skip
    print(f"deliveries: {len(latencies):,} of {len(accepted) * args.subscribers:,} "
          f"(missing {missing}, duplicated {twice})")  # fmt: skip
    if not latencies or not kafka:
        print("nothing delivered")
        return 1
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    k50, k99 = percentile(kafka, 0.5), percentile(kafka, 0.99)
    print(f"SSE, {args.subscribers} subscribers: p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, "
          f"max {max(latencies) * 1000:.0f} ms")  # fmt: skip
    print(f"raw Kafka consumer:        p50 {k50 * 1000:.0f} ms, p99 {k99 * 1000:.0f} ms")
    print(f"gateway peak RSS: {peak / 2**20:.0f} MiB")
    print(f"goal p99 < 1000 ms: {'met' if p99 < 1 else 'NOT met'}; "
          f"goal RSS < 300 MB: {'met' if peak < 300 * 10**6 else 'NOT met'}")  # fmt: skip
    print(f"ratio = {p99 / k99:.3g}")
    return 1 if missing or twice else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--rate", type=float, default=100.0, help="writes per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--grace", type=float, default=30.0, help="wait for the last events")
    args = parser.parse_args()
    settings = {
        "SINERGI_RATE_LIMIT_API": "1000000/minute",
        "SINERGI_STREAM_CONNECTIONS_PER_CLIENT": str(args.subscribers + 10),
        "SINERGI_DEMO": "0",
    }
    with running_platform("bench-fanout", settings=settings) as up:
        status = asyncio.run(measure(args, up))
    sys.exit(status)


if __name__ == "__main__":
    main()
