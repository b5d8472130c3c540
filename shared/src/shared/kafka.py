"""Kafka clients configured the way the platform needs them.

aiokafka's defaults (acks=1, no idempotence, auto-commit) can lose or reorder events; the
platform always produces with ``acks="all"`` and idempotence, and commits consumer offsets
itself after the database commit.

Every client authenticates: ``KafkaAccess`` is where to connect and as whom (SASL/SCRAM
username and password, over plaintext locally or TLS in production). What a principal may do
is the broker's business (ACLs): a domain service's relay may only write its own topic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.helpers import create_ssl_context

if TYPE_CHECKING:
    from shared.settings import Settings


@dataclass(frozen=True)
class KafkaAccess:
    """Where a client connects and as whom."""

    bootstrap: str
    username: str
    password: str = field(repr=False)
    security_protocol: str = "SASL_PLAINTEXT"
    sasl_mechanism: str = "SCRAM-SHA-512"
    ssl_cafile: Path | None = None
    """CA bundle that signed the brokers' certificates (``SSL``/``SASL_SSL``); None: system CAs."""

    @classmethod
    def from_settings(cls, settings: Settings) -> KafkaAccess:
        """The process's own Kafka identity (``SINERGI_KAFKA_*``); required outside development."""
        if not settings.is_development and not (
            settings.kafka_username and settings.kafka_password
        ):
            raise ValueError("SINERGI_KAFKA_USERNAME and SINERGI_KAFKA_PASSWORD must be set")
        return cls(
            bootstrap=settings.kafka_bootstrap,
            username=settings.kafka_username,
            password=settings.kafka_password,
            security_protocol=settings.kafka_security_protocol,
            sasl_mechanism=settings.kafka_sasl_mechanism,
            ssl_cafile=settings.kafka_ssl_cafile,
        )

    def client_options(self) -> dict[str, Any]:
        """The keyword arguments every aiokafka client takes for this access."""
        options: dict[str, Any] = {
            "bootstrap_servers": self.bootstrap,
            "security_protocol": self.security_protocol,
        }
        if self.security_protocol.startswith("SASL_"):
            options.update(
                sasl_mechanism=self.sasl_mechanism,
                sasl_plain_username=self.username,
                sasl_plain_password=self.password,
            )
        if self.security_protocol in {"SSL", "SASL_SSL"}:
            cafile = str(self.ssl_cafile) if self.ssl_cafile is not None else None
            options["ssl_context"] = create_ssl_context(cafile=cafile)
        return options


def make_producer(access: KafkaAccess, *, client_id: str) -> AIOKafkaProducer:
    """An idempotent producer whose sends complete only once every in-sync replica has them."""
    return AIOKafkaProducer(
        **access.client_options(),
        client_id=client_id,
        acks="all",
        enable_idempotence=True,
        linger_ms=5,
        request_timeout_ms=10_000,
        retry_backoff_ms=200,
    )


GATHER_BYTES = 1024 * 1024
"""How much a gathering consumer's fetch waits for (``make_consumer(gather_ms=...)``)."""


def make_consumer(
    access: KafkaAccess, *topics: str, group_id: str | None, gather_ms: int | None = None
) -> AIOKafkaConsumer:
    """A consumer that never commits on its own and starts at the oldest event.

    ``group_id=None`` reads without a consumer group (nothing to commit, no group ACL needed).
    ``gather_ms``: for a consumer that need not see each event at once, a fetch waits that long
    for events to pile up (up to ``GATHER_BYTES``) instead of returning with the first one:
    under load, one batch where there were dozens, and as many fewer answers for the broker to
    send and transactions for the consumer to run.
    """
    return AIOKafkaConsumer(
        *topics,
        **access.client_options(),
        group_id=group_id,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        # How long the broker holds a fetch while nothing new is there (Kafka's default). A
        # record arriving meanwhile is sent at once, so this costs no latency; a shorter wait
        # only makes every idle consumer ask again (at 50 ms the idle platform kept the broker
        # 18 % busy, at 500 ms 7.5 %).
        fetch_max_wait_ms=gather_ms or 500,
        fetch_min_bytes=GATHER_BYTES if gather_ms else 1,
        max_poll_records=500,
        isolation_level="read_committed",
    )


def make_admin(access: KafkaAccess, *, client_id: str = "sinergi-admin") -> AIOKafkaAdminClient:
    """An admin client (topics, consumer groups); what it may do is up to the broker's ACLs."""
    return AIOKafkaAdminClient(**access.client_options(), client_id=client_id)


async def partition_count(access: KafkaAccess, topic: str) -> int:
    """How many partitions ``topic`` has (a consumer without a subscription cannot tell)."""
    admin = make_admin(access, client_id="sinergi-metadata")
    await admin.start()
    try:
        (described,) = await admin.describe_topics([topic])
    finally:
        await admin.close()
    if described["error_code"] != 0 or not described["partitions"]:
        raise LookupError(f"topic {topic} is not available (error {described['error_code']})")
    return len(described["partitions"])
