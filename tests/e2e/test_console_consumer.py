"""A ministry developer reads a topic with Kafka's own console consumer, as the README shows:
the broker jars carry kafka-tools, and `make run` writes the client properties."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import date

import httpx
from shared.identifiers import nik_for
from sinergi_local.platform import ROOT, Platform

Tokens = Callable[[str], Awaitable[dict[str, str]]]
CONSOLE = ROOT / "deploy" / "kafka" / "bin" / "kafka-console-consumer.sh"


async def test_the_console_consumer_reads_a_topic_with_the_ministry_credentials(
    gateway: httpx.AsyncClient, auth: Tokens, platform: Platform
) -> None:
    birth = date(1993, 8, 21)
    body = {
        "external_id": "CONSOLE-1", "full_name": "Rina Marlina", "sex": "F",
        "nik": nik_for(district="33.25.01", birth_date=birth, sex="F", serial=8801),
        "birth_date": birth.isoformat(), "education_level": "S1", "region_code": "33.25",
        "registered_at": "2026-11-09",
    }  # fmt: skip
    created = await gateway.post(
        "/api/v1/job-market/job-seekers", json=body, headers=await auth("disnaker-3325")
    )
    assert created.status_code in (200, 201), created.text
    properties = platform.config.state_dir / "kafka-client.properties"
    assert properties.stat().st_mode & 0o077 == 0  # credentials: the owner's only
    assert "kemnaker-pusdatin" in properties.read_text()

    process = await asyncio.create_subprocess_exec(
        str(CONSOLE),
        "--bootstrap-server", platform.kafka.bootstrap_servers,
        "--consumer.config", str(properties),
        "--group", "kemnaker-pusdatin.console-test",
        "--topic", "sinergi.job-market.v1",
        # The whole topic (other tests and the demo data wrote to it before): until idle.
        "--from-beginning", "--timeout-ms", "10000",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    events = [json.loads(line) for line in out.decode().splitlines() if line.startswith("{")]
    assert any(e["subject"] == created.json()["id"] for e in events), err.decode()[-2000:]
    assert all(e["specversion"] == "1.0" and "nik" not in e["data"] for e in events)
