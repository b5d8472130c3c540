"""The gateway's liveness and readiness: alive whatever its dependencies; ready only with its
database and Kafka (here a broker address nothing listens on)."""

from __future__ import annotations

from typing import Any


async def test_live_always_ready_only_with_kafka(gateway_for: Any, make_settings: Any) -> None:
    settings = make_settings(kafka_bootstrap="127.0.0.1:9")
    async with gateway_for(settings) as client:
        assert (await client.get("/health/live")).json() == {"status": "ok", "service": "gateway"}
        ready = await client.get("/health/ready")
    assert ready.status_code == 503
    assert ready.json() | {} == {
        "status": "unavailable", "service": "gateway", "database": "up", "kafka": "down"
    }  # fmt: skip
