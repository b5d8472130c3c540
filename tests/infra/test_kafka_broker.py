"""The local Kafka broker (sinergi_local.kafka) against the real aiokafka clients the services use.

One broker per module, on free loopback ports in a tmp dir, with the platform's principals and
ACLs (sinergi_local.access); its jars come from the shared cache in <repo>/.local/cache, so
Maven downloads them once per machine. What no ACL allows is refused, and nobody gets in
without a password.
"""

from __future__ import annotations

import asyncio
import dataclasses
import socket
import struct
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.errors import (
    ClusterAuthorizationFailedError,
    GroupAuthorizationFailedError,
    InvalidTopicError,
    KafkaConnectionError,
    KafkaError,
    TopicAuthorizationFailedError,
)
from shared.events import TOPICS
from shared.kafka import KafkaAccess, make_admin, make_consumer, make_producer
from sinergi_local.access import AGGREGATION_GROUP, MINISTRY_GROUP_PREFIX, MINISTRY_USER
from sinergi_local.kafka import ADMIN_USER, KafkaBroker, ensure_kafka_libs, ensure_topics
from sinergi_local.platform import platform_broker
from sinergi_local.secrets import SecretStore

REPO_ROOT = Path(__file__).resolve().parents[2]
CACHE_DIR = REPO_ROOT / ".local" / "cache"
JOB_MARKET, TRAINING = "sinergi.job-market.v1", "sinergi.training.v1"
# A principal without any write grant is refused already when its idempotent producer asks
# for a producer id (cluster), one with another topic's grant when it sends (topic).
WRITE_REFUSED = (TopicAuthorizationFailedError, ClusterAuthorizationFailedError)


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
    b = platform_broker(
        SecretStore(root / "secrets", environ={}),
        data_dir=root / "data",
        libs_dir=libs_dir,
        port=port,
        controller_port=controller_port,
        log_path=root / "broker.log",
    )
    b.start()
    try:
        asyncio.run(ensure_topics(b.admin, list(TOPICS)))
        yield b
    finally:
        b.stop()


async def _consume(
    access: KafkaAccess, topic: str, group: str | None, count: int, *, commit: bool
) -> list[tuple[bytes | None, bytes | None]]:
    """Read ``count`` records (earliest when the group has no offset), optionally commit."""
    consumer = make_consumer(access, topic, group_id=group)
    got: list[tuple[bytes | None, bytes | None]] = []
    try:
        await consumer.start()
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


async def _produce(access: KafkaAccess, topic: str, values: list[bytes]) -> None:
    producer = make_producer(access, client_id="infra-test")
    try:
        await producer.start()
        for v in values:
            # One key per test so everything lands in one partition and keeps its order.
            await producer.send_and_wait(topic, value=v, key=b"k")
    finally:
        await producer.stop()


async def test_idempotent_producer_and_consumer_group_resume(broker: KafkaBroker) -> None:
    admin = broker.admin
    await ensure_topics(admin, ["t.orders"])
    first = [f"order-{i}".encode() for i in range(10)]
    await _produce(admin, "t.orders", first)

    got = await _consume(admin, "t.orders", "g.orders", len(first), commit=True)
    assert [v for _, v in got] == first

    second = [f"order-{i}".encode() for i in range(10, 15)]
    await _produce(admin, "t.orders", second)
    # A new consumer instance in the same group (a restarted service) starts at the commit.
    got = await _consume(admin, "t.orders", "g.orders", len(second), commit=True)
    assert [v for _, v in got] == second


async def test_ensure_topics_is_idempotent(broker: KafkaBroker) -> None:
    access = broker.admin
    topics = ["t.a", "t.b"]
    await ensure_topics(access, topics)
    await ensure_topics(access, topics)  # all exist: no-op
    # Two creators racing on a new topic: the loser's TOPIC_ALREADY_EXISTS is not an error.
    await asyncio.gather(ensure_topics(access, ["t.c", "t.a"]), ensure_topics(access, ["t.c"]))

    admin = make_admin(access)
    await admin.start()
    try:
        assert {"t.a", "t.b", "t.c"} <= set(await admin.list_topics())
        described = await admin.describe_topics(["t.a", "t.c"])
        assert [len(t["partitions"]) for t in described] == [3, 3]
    finally:
        await admin.close()

    with pytest.raises(InvalidTopicError):
        await ensure_topics(access, ["not a valid topic!"])


# -- who may connect ------------------------------------------------------------------------


def _metadata_answered(port: int) -> bool:
    """Whether an unauthenticated Metadata request (v4) gets any answer at all."""
    client_id = b"anonymous"
    request = struct.pack(">hhih", 3, 4, 7, len(client_id)) + client_id + struct.pack(">i?", 0, 0)
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(struct.pack(">i", len(request)) + request)
        try:
            return len(sock.recv(4)) == 4
        except ConnectionResetError:
            return False


async def test_unauthenticated_clients_are_refused(broker: KafkaBroker) -> None:
    # On the wire: a request without SASL gets the connection closed, not an answer.
    assert not await asyncio.to_thread(_metadata_answered, broker.port)
    assert not await asyncio.to_thread(_metadata_answered, broker.controller_port)
    # The services' client library, without credentials, cannot even start.
    producer = AIOKafkaProducer(bootstrap_servers=broker.bootstrap_servers, request_timeout_ms=5000)
    with pytest.raises(KafkaConnectionError):
        await producer.start()
    await producer.stop()


@pytest.mark.parametrize("user", [ADMIN_USER, "job-market", "nobody"])
async def test_a_wrong_password_is_refused(broker: KafkaBroker, user: str) -> None:
    access = dataclasses.replace(broker.admin, username=user, password="not-the-password-at-all")
    admin = make_admin(access)
    with pytest.raises(KafkaError):
        await admin.start()
    await admin.close()


async def test_plain_is_not_accepted_on_the_client_listener(broker: KafkaBroker) -> None:
    # The right admin password, but with SASL PLAIN (cleartext): only SCRAM is accepted.
    access = dataclasses.replace(broker.admin, sasl_mechanism="PLAIN")
    admin = make_admin(access)
    with pytest.raises(KafkaError):
        await admin.start()
    await admin.close()


# -- what each principal may do -------------------------------------------------------------


async def test_a_domain_service_writes_its_own_topic_only(broker: KafkaBroker) -> None:
    job_market = broker.access("job-market")
    await _produce(job_market, JOB_MARKET, [b"own topic"])
    with pytest.raises(TopicAuthorizationFailedError):
        await _produce(job_market, TRAINING, [b"another domain's topic"])
    # Nor may it read, even its own topic.
    with pytest.raises(TopicAuthorizationFailedError):
        await _consume(job_market, JOB_MARKET, None, 1, commit=False)


async def test_the_ministry_reads_every_domain_topic_and_writes_none(broker: KafkaBroker) -> None:
    await _produce(broker.access("training"), TRAINING, [b"for the ministry"])
    ministry = broker.access(MINISTRY_USER)
    got = await _consume(ministry, TRAINING, f"{MINISTRY_GROUP_PREFIX}infra", 1, commit=True)
    assert b"for the ministry" in [v for _, v in got]
    with pytest.raises(WRITE_REFUSED):
        await _produce(ministry, TRAINING, [b"forged by a reader"])
    # Its consumer groups must carry its prefix (others' groups are not its to move).
    with pytest.raises(GroupAuthorizationFailedError):
        await _consume(ministry, TRAINING, AGGREGATION_GROUP, 1, commit=True)


async def test_the_aggregation_reads_all_domain_topics_in_its_group(broker: KafkaBroker) -> None:
    for topic in TOPICS:
        await _produce(broker.access(topic.split(".")[1]), topic, [f"on {topic}".encode()])
    aggregation = broker.access("aggregation")
    consumer = make_consumer(aggregation, *TOPICS, group_id=AGGREGATION_GROUP)
    await consumer.start()
    seen: set[str] = set()
    try:
        async with asyncio.timeout(30):
            while seen != set(TOPICS):
                batches = await consumer.getmany(timeout_ms=500)
                seen |= {tp.topic for tp, records in batches.items() if records}
        await consumer.commit()
    finally:
        await consumer.stop()
    with pytest.raises(WRITE_REFUSED):
        await _produce(aggregation, JOB_MARKET, [b"the reader writes"])


# -- lifecycle ------------------------------------------------------------------------------


async def test_restart_keeps_data_offsets_and_access(broker: KafkaBroker) -> None:
    admin = broker.admin
    await ensure_topics(admin, ["t.durable"])
    values = [f"event-{i}".encode() for i in range(6)]
    await _produce(admin, "t.durable", values)
    await _consume(admin, "t.durable", "g.durable", 6, commit=True)

    broker.stop()
    assert not broker.is_running()
    broker.stop()  # idempotent
    broker.start()
    assert broker.is_running()

    # The records survived: a group-less consumer reads them all from the beginning.
    got = await _consume(admin, "t.durable", None, len(values), commit=False)
    assert [v for _, v in got] == values
    # So did the committed offsets: the old group sees only what is produced after.
    await _produce(admin, "t.durable", [b"after-restart"])
    got = await _consume(admin, "t.durable", "g.durable", 1, commit=True)
    assert [v for _, v in got] == [b"after-restart"]

    consumer = AIOKafkaConsumer(**admin.client_options(), group_id="g.durable")
    await consumer.start()
    try:
        committed = [await consumer.committed(TopicPartition("t.durable", p)) for p in range(3)]
    finally:
        await consumer.stop()
    # One key, so one partition holds all 7 records and its committed offset is 7.
    assert sorted(c or 0 for c in committed) == [0, 0, len(values) + 1]
    # And the ACLs: still only its own topic for a domain service.
    with pytest.raises(TopicAuthorizationFailedError):
        await _produce(broker.access("inspection"), JOB_MARKET, [b"after restart"])


def test_a_data_directory_without_an_admin_credential_gets_one(
    libs_dir: Path, tmp_path: Path
) -> None:
    port, controller_port = _free_ports(2)
    options = {
        "data_dir": tmp_path / "data",
        "libs_dir": libs_dir,
        "port": port,
        "controller_port": controller_port,
        "log_path": tmp_path / "broker.log",
    }
    first = KafkaBroker(**options, admin_password="first-admin-password")
    first.start()
    first.stop()
    # As left by a version before SASL: formatted, but no admin SCRAM credential (here: not
    # for the password the broker is now given) and no marker saying there is one.
    (tmp_path / "data" / "sasl-scram").unlink()
    second = KafkaBroker(
        **options, admin_password="second-admin-password", users={"app": "app-password-0123"}
    )
    second.start()
    try:

        async def admin_works() -> None:
            await ensure_topics(second.admin, ["t.migrated"])
            await _produce(second.admin, "t.migrated", [b"after migration"])

        asyncio.run(admin_works())
        # And PLAIN, allowed for that one bootstrap start only, is gone again.
        asyncio.run(test_plain_is_not_accepted_on_the_client_listener(second))
    finally:
        second.stop()


def test_start_failure_reports_log(broker: KafkaBroker, libs_dir: Path, tmp_path: Path) -> None:
    # Same client port as the running broker: the second one cannot bind and exits.
    (controller_port,) = _free_ports(1)
    clash = KafkaBroker(
        data_dir=tmp_path / "data",
        libs_dir=libs_dir,
        port=broker.port,
        controller_port=controller_port,
        log_path=tmp_path / "broker.log",
        admin_password="clash-admin-password",
    )
    with pytest.raises(RuntimeError, match="Kafka exited") as exc:
        clash.start(timeout=60)
    assert "Address already in use" in str(exc.value) or "bind" in str(exc.value).lower()
    assert not clash.is_running()
    clash.stop()
