"""Where a single write's CPU goes: CPU milliseconds per write of every process of the platform.

A diagnostic for the write path (no goal of its own; ``write_throughput.py`` and
``indicator_scale.py --latency-only`` hold the goals): it starts the whole platform, sends
``--writes`` new job seekers through the gateway on ``--concurrency`` raw keep-alive
connections (closed loop, no indicator polls), waits for the pipeline to drain, and prints
each process's CPU time (user + system, from ``/proc``) divided by the writes: the gateway,
each service, the aggregation, the Kafka broker (``java``), each database's PostgreSQL backends
(``pg:<database>``) and this load generator. On a machine where everything shares the same
cores, the total is what bounds the writes per second.

Usage::

    uv run --frozen python bench/write_cpu.py [--writes 3000] [--concurrency 8]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from collections import defaultdict

import httpx
from bench_platform import Token, running_platform
from write_throughput import REGION, Connection, body

PROCESSES = (
    "gateway",
    "job_market",
    "training",
    "inspection",
    "social_security",
    "industrial_relations",
    "aggregation",
    "java",
    "write_cpu",
)


def cpu_seconds() -> dict[int, tuple[str, float]]:
    """Every process's name (as grouped here) and CPU seconds so far."""
    tick = os.sysconf("SC_CLK_TCK")
    found: dict[int, tuple[str, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat, open(f"/proc/{entry}/cmdline") as cmd:
                fields = stat.read().rsplit(")", 1)[1].split()
                command = cmd.read().replace("\0", " ")
        except OSError:
            continue
        found[int(entry)] = (_group(command), (int(fields[11]) + int(fields[12])) / tick)
    return found


def _group(command: str) -> str:
    if command.startswith("postgres:"):  # "postgres: <role> <database> ..."
        words = command.split()
        return f"pg:{words[2]}" if len(words) > 2 else "pg"
    return next((name for name in PROCESSES if name in command), "other")


async def write(url: str, credentials: dict[str, str], serials: range, concurrency: int) -> None:
    async with httpx.AsyncClient(base_url=url) as http:
        headers = {**await Token(http, credentials).headers(), "Content-Type": "application/json"}
    waiting = iter(serials)

    async def worker() -> None:
        connection = Connection(url)
        try:
            for serial in waiting:
                code, answer = await connection.post(
                    "/api/v1/job-market/job-seekers", body(serial), headers
                )
                if code != 201:
                    raise RuntimeError(f"write {serial}: {code} {answer[:300]!r}")
        finally:
            await connection.close()

    await asyncio.gather(*(worker() for _ in range(concurrency)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--drain-seconds", type=float, default=3.0)
    args = parser.parse_args()
    settings = {"SINERGI_RATE_LIMIT_API": "1000000/minute"}
    with running_platform("bench-write-cpu", settings=settings) as up:
        credentials = up.credentials(REGION)
        warm = range(500)
        asyncio.run(write(up.gateway_url, credentials, warm, args.concurrency))
        measured = range(warm.stop, warm.stop + args.writes)
        before, began = cpu_seconds(), time.perf_counter()
        asyncio.run(write(up.gateway_url, credentials, measured, args.concurrency))
        spent = time.perf_counter() - began
        time.sleep(args.drain_seconds)  # the relay and the aggregation finish what was sent
        after = cpu_seconds()
    used: defaultdict[str, float] = defaultdict(float)
    for pid, (name, seconds) in after.items():
        used[name] += seconds - before.get(pid, (name, 0.0))[1]
    print(
        f"{args.writes} writes in {spent:.1f} s = {args.writes / spent:.1f} writes/s"
        f" ({args.concurrency} connections), then {args.drain_seconds:.0f} s to drain"
    )
    for name, seconds in sorted(used.items(), key=lambda item: -item[1]):
        if seconds * 1000 / args.writes >= 0.005:
            print(f"  {name:<32} {seconds * 1000 / args.writes:6.2f} ms CPU a write")
    print(f"  {'total':<32} {sum(used.values()) * 1000 / args.writes:6.2f} ms CPU a write")


if __name__ == "__main__":
    main()
