"""Kafka clients configured the way the platform needs them.

aiokafka's defaults (acks=1, no idempotence, auto-commit) can lose or reorder events; the
platform always produces with ``acks="all"`` and idempotence, and commits consumer offsets
itself after the database commit.
"""

from __future__ import annotations

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer


def make_producer(bootstrap: str, *, client_id: str) -> AIOKafkaProducer:
    """An idempotent producer whose sends complete only once every in-sync replica has them."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=10_000,
        retry_backoff_ms=200,
    )


def make_consumer(bootstrap: str, *topics: str, group_id: str) -> AIOKafkaConsumer:
    """A group consumer that never commits on its own and starts at the oldest event."""
    return AIOKafkaConsumer(
        *topics,
        bootstrap_servers=bootstrap,
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        fetch_max_wait_ms=50,
        max_poll_records=500,
        isolation_level="read_committed",
    )
