"""The local Kafka broker (sinergi_local.kafka) against the real aiokafka clients the services use.

One broker per module, on free loopback ports in a tmp dir; its jars come from the shared cache
in <repo>/.local/cache, so Maven downloads them once per machine.
"""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import InvalidTopicError
from sinergi_local.kafka import KafkaBroker, ensure_kafka_libs, ensure_topics

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = REPO_ROOT / ".local" / "cache"


def _free_ports(n: int) -> list[int]:
    # Hold all sockets open until every port is picked, so the n ports are distinct.
    socks = [socket.socket() for _ in range(n)]
    try:
        for s in socks:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in socks]
    finally:
        for s in socks:
            s.close()


@pytest.fixture(scope="module")
def libs_dir() -> Path:
    return ensure_kafka_libs(CACHE_DIR)


@pytest.fixture(scope="module")
def broker(libs_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    root = tmp_path_factory.mktemp("kafka")
    port, controller_port = _free_ports(2)
    b = KafkaBroker(
        data_dir=root / "data",
        libs_dir=libs_dir,
        port=port,
        controller_port=controller_port,
        log_path=root / "broker.log",
    )
    b.start()
    try:
        yield b
    finally:
        b.stop()


async def _consume(
    bootstrap: str, topic: str, group: str | None, count: int, *, commit: bool
) -> list[tuple[bytes | None, bytes | None]]:
    """Read ``count`` records (earliest when the group has no offset), optionally commit."""
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
    )
    await consumer.start()
    got: list[tuple[bytes | None, bytes | None]] = []
    try:
        deadline = time.monotonic() + 20
        while len(got) < count and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for records in batches.values():
                got.extend((r.key, r.value) for r in records)
        # Nothing beyond what was expected may be delivered (offsets resumed exactly).
        extra = await consumer.getmany(timeout_ms=300)
        got.extend((r.key, r.value) for records in extra.values() for r in records)
        if commit:
            await consumer.commit()
    finally:
        await consumer.stop()
    return got


async def _produce(bootstrap: str, topic: str, values: list[bytes]) -> None:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, enable_idempotence=True, acks="all")
    await producer.start()
    try:
        for v in values:
            # One key per test so everything lands in one partition and keeps its order.
            await producer.send_and_wait(topic, value=v, key=b"k")
    finally:
        await producer.stop()


async def test_idempotent_producer_and_consumer_group_resume(broker: KafkaBroker) -> None:
    bs = broker.bootstrap_servers
    await ensure_topics(bs, ["t.orders"])
    first = [f"order-{i}".encode() for i in range(10)]
    await _produce(bs, "t.orders", first)

    got = await _consume(bs, "t.orders", "g.orders", len(first), commit=True)
    assert [v for _, v in got] == first

    second = [f"order-{i}".encode() for i in range(10, 15)]
    await _produce(bs, "t.orders", second)
    # A new consumer instance in the same group (a restarted service) starts at the commit.
    got = await _consume(bs, "t.orders", "g.orders", len(second), commit=True)
    assert [v for _, v in got] == second


async def test_ensure_topics_is_idempotent(broker: KafkaBroker) -> None:
    bs = broker.bootstrap_servers
    topics = ["t.a", "t.b"]
    await ensure_topics(bs, topics)
    await ensure_topics(bs, topics)  # all exist: no-op
    # Two creators racing on a new topic: the loser's TOPIC_ALREADY_EXISTS is not an error.
    await asyncio.gather(ensure_topics(bs, ["t.c", "t.a"]), ensure_topics(bs, ["t.c"]))

    admin = AIOKafkaAdminClient(bootstrap_servers=bs)
    await admin.start()
    try:
        assert {"t.a", "t.b", "t.c"} <= set(await admin.list_topics())
        described = await admin.describe_topics(["t.a", "t.c"])
        assert [len(t["partitions"]) for t in described] == [3, 3]
    finally:
        await admin.close()

    with pytest.raises(InvalidTopicError):
        await ensure_topics(bs, ["not a valid topic!"])


async def test_restart_keeps_data_and_offsets(broker: KafkaBroker) -> None:
    bs = broker.bootstrap_servers
    await ensure_topics(bs, ["t.durable"])
    values = [f"event-{i}".encode() for i in range(6)]
    await _produce(bs, "t.durable", values)
    await _consume(bs, "t.durable", "g.durable", 6, commit=True)

    broker.stop()
    assert not broker.is_running()
    broker.stop()  # idempotent
    broker.start()
    assert broker.is_running()

    # The records survived: a group-less consumer reads them all from the beginning.
    got = await _consume(bs, "t.durable", None, len(values), commit=False)
    assert [v for _, v in got] == values
    # So did the committed offsets: the old group sees only what is produced after.
    await _produce(bs, "t.durable", [b"after-restart"])
    got = await _consume(bs, "t.durable", "g.durable", 1, commit=True)
    assert [v for _, v in got] == [b"after-restart"]

    consumer = AIOKafkaConsumer(bootstrap_servers=bs, group_id="g.durable")
    await consumer.start()
    try:
        committed = [await consumer.committed(TopicPartition("t.durable", p)) for p in range(3)]
    finally:
        await consumer.stop()
    # One key, so one partition holds all 7 records and its committed offset is 7.
    assert sorted(c or 0 for c in committed) == [0, 0, len(values) + 1]


def test_start_failure_reports_log(broker: KafkaBroker, libs_dir: Path, tmp_path: Path) -> None:
    # Same client port as the running broker: the second one cannot bind and exits.
    (controller_port,) = _free_ports(1)
    clash = KafkaBroker(
        data_dir=tmp_path / "data",
        libs_dir=libs_dir,
        port=broker.port,
        controller_port=controller_port,
        log_path=tmp_path / "broker.log",
    )
    with pytest.raises(RuntimeError, match="Kafka exited") as exc:
        clash.start(timeout=60)
    assert "Address already in use" in str(exc.value) or "bind" in str(exc.value).lower()
    assert not clash.is_running()
    clash.stop()
