"""Webhook deliveries: the dispatcher turns events into delivery rows, the sender posts them.

**Dispatcher.** A consumer group (``sinergi-gateway.webhooks``) of every domain topic. For each
batch it matches every event (its CloudEvents ``type`` and ``region`` attributes, ``data`` is
not parsed) against the active subscriptions of its domain and inserts one delivery row per
match (unique per subscription and event id), then commits the offsets: at least once, and a
redelivered event adds nothing.

**Sender.** Every ``poll`` seconds it takes the due deliveries (``FOR UPDATE SKIP LOCKED``, so
several gateways share the work), skipping any whose subscription has an earlier delivery of
the same entity still pending (order per entity), and posts each with the Standard Webhooks
headers (``webhook-id`` = the CloudEvent id, ``webhook-timestamp``, ``webhook-signature``,
signed with the ``standardwebhooks`` package) and the CloudEvent as the JSON body. A 2xx is
delivered. Anything else is a failed attempt, tried again after ``retry_delay`` (doubling, with
jitter); a subscription whose deliveries have failed without a success for
``webhook_disable_after_seconds`` is disabled, and its deliveries wait until it is enabled
again. The endpoint's host is resolved and checked again before every attempt (SSRF), and
redirects are not followed.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import httpx
import sqlalchemy as sa
from aiokafka.structs import ConsumerRecord, OffsetAndMetadata
from prometheus_client import Counter
from shared.crypto import Keyring
from shared.events import TOPICS
from shared.kafka import KafkaAccess, make_consumer
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine
from standardwebhooks import Webhook

from gateway.models import webhook_deliveries, webhook_subscriptions
from gateway.settings import GatewaySettings
from gateway.streams.hub import to_record
from gateway.webhooks.rules import (
    RefusedEndpoint,
    check_addresses,
    matches,
    parse_endpoint,
    retry_delay,
)

log = logging.getLogger(__name__)

GROUP_ID = "sinergi-gateway.webhooks"
DISPATCH_GATHER_MS = 250
"""How long the dispatcher's fetch waits for events to pile up."""
SECRET_PURPOSE = "webhook-secret"  # noqa: S105 (what the key encrypts, not a secret)
PENDING, DELIVERED = "pending", "delivered"
ACTIVE, DISABLED = "active", "disabled"

DELIVERIES = Counter(
    "sinergi_webhook_deliveries_total", "Webhook delivery attempts by outcome", ["outcome"]
)


def domain_of(topic: str) -> str:
    """``sinergi.job-market.v1`` -> ``job-market``."""
    return topic.split(".")[1]


def platform_hosts(settings: GatewaySettings) -> set[str]:
    """``host:port`` of the platform's own listeners (the services; the gateway is added by
    its own listen address when known)."""
    found = set()
    for url in settings.upstream_urls().values():
        with contextlib.suppress(RefusedEndpoint):
            endpoint = parse_endpoint(url, allow_http=True)
            found.add(f"{endpoint.host}:{endpoint.port}")
    return found


async def check_endpoint(url: str, settings: GatewaySettings) -> None:
    """Refuse (``RefusedEndpoint``) a URL the platform must not call."""
    endpoint = parse_endpoint(url, allow_http=settings.webhook_allow_http)
    allowed = {h.strip().lower() for h in settings.webhook_allowed_hosts.split(",") if h.strip()}
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(endpoint.host, endpoint.port, proto=6)
    except OSError:
        infos = []
    check_addresses(
        endpoint,
        {str(info[4][0]) for info in infos},
        allowed=allowed,
        platform=platform_hosts(settings),
    )


class WebhookDelivery:
    """The dispatcher and the sender of one gateway process."""

    def __init__(self, *, engine: AsyncEngine, settings: GatewaySettings) -> None:
        self._engine = engine
        self._settings = settings
        self._keys = Keyring.parse(settings.data_keys)
        self._http = httpx.AsyncClient(
            timeout=settings.webhook_timeout_seconds, follow_redirects=False, trust_env=False
        )
        self._tasks: list[asyncio.Task[None]] = []

    def seal(self, secret: str) -> str:
        """A signing secret as stored."""
        return self._keys.encrypt(secret, purpose=SECRET_PURPOSE)

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._dispatch_forever(), name="webhook-dispatcher"),
            asyncio.create_task(self._send_forever(), name="webhook-sender"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._http.aclose()

    # ------------------------------------------------------------------ dispatcher
    async def _dispatch_forever(self) -> None:
        backoff = 0.5
        while True:
            # Deliveries are retried over minutes anyway: a quarter second of gathering makes
            # one dispatch transaction of what would be one per event under load.
            consumer = make_consumer(
                KafkaAccess.from_settings(self._settings),
                *TOPICS,
                group_id=GROUP_ID,
                gather_ms=DISPATCH_GATHER_MS,
            )
            try:
                await consumer.start()
                backoff = 0.5
                while True:
                    batches = await consumer.getmany(timeout_ms=500, max_records=500)
                    for tp, records in batches.items():
                        await self.dispatch(tp.topic, records)
                        await consumer.commit({tp: OffsetAndMetadata(records[-1].offset + 1, "")})
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Kafka or database: uncommitted comes again
                log.warning("webhook dispatcher: %s; restarting in %.1fs", exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                with contextlib.suppress(Exception):
                    await consumer.stop()

    async def dispatch(self, topic: str, records: Sequence[ConsumerRecord[bytes, bytes]]) -> int:
        """Insert the deliveries of ``records`` (Kafka records of ``topic``); how many."""
        s = webhook_subscriptions.c
        async with self._engine.begin() as conn:
            subscriptions = (
                await conn.execute(
                    sa.select(s.id, s.types, s.regions).where(
                        s.domain == domain_of(topic), s.status == ACTIVE
                    )
                )
            ).all()
            if not subscriptions:
                return 0
            now = datetime.now(UTC)
            rows = []
            for raw in records:
                record = to_record(raw)
                if record is None:
                    continue
                envelope = json.loads(record.value)
                for subscription_id, types, regions in subscriptions:
                    if matches(
                        event_type=record.type, region=record.region, types=types, regions=regions
                    ):
                        rows.append(
                            {
                                "id": uuid.uuid4(),
                                "subscription_id": subscription_id,
                                "event_id": str(envelope.get("id")),
                                "event_type": record.type,
                                "entity": str(envelope.get("subject")),
                                "payload": record.value,
                                "status": PENDING,
                                "next_attempt_at": now,
                            }
                        )
            if rows:
                await conn.execute(
                    insert(webhook_deliveries).on_conflict_do_nothing(
                        constraint="uq_webhook_deliveries_event"
                    ),
                    rows,
                )
        return len(rows)

    # ------------------------------------------------------------------ sender
    async def _send_forever(self) -> None:
        while True:
            try:
                sent = await self.send_due()
                if sent:
                    continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the database: the rows wait
                log.warning("webhook sender: %s", exc)
            await asyncio.sleep(self._settings.webhook_poll_seconds)

    async def send_due(self, limit: int = 50) -> int:
        """Post the due deliveries (one per entity at a time); how many were tried."""
        d, s = webhook_deliveries.c, webhook_subscriptions.c
        earlier = webhook_deliveries.alias("earlier")
        async with self._engine.begin() as conn:
            due = (
                await conn.execute(
                    sa.select(
                        d.id, d.event_id, d.payload, d.attempts, d.subscription_id, s.url, s.secret
                    )
                    .join(webhook_subscriptions, s.id == d.subscription_id)
                    .where(
                        d.status == PENDING,
                        d.next_attempt_at <= sa.func.now(),
                        s.status == ACTIVE,
                        ~sa.exists().where(
                            earlier.c.subscription_id == d.subscription_id,
                            earlier.c.entity == d.entity,
                            earlier.c.status == PENDING,
                            earlier.c.seq < d.seq,
                        ),
                    )
                    .order_by(d.seq)
                    .limit(limit)
                    .with_for_update(of=webhook_deliveries, skip_locked=True)
                )
            ).all()
            if not due:
                return 0
            outcomes = await asyncio.gather(
                *(self._post(row.url, row.secret, row.event_id, row.payload) for row in due)
            )
            now = datetime.now(UTC)
            for row, (status_code, error) in zip(due, outcomes, strict=True):
                if error is None:
                    DELIVERIES.labels("delivered").inc()
                    await conn.execute(
                        sa.update(webhook_deliveries)
                        .where(d.id == row.id)
                        .values(status=DELIVERED, attempts=row.attempts + 1,
                                last_status_code=status_code, last_error=None, delivered_at=now)
                    )  # fmt: skip
                    await conn.execute(
                        sa.update(webhook_subscriptions)
                        .where(s.id == row.subscription_id)
                        .values(failing_since=None)
                    )
                    continue
                DELIVERIES.labels("failed").inc()
                delay = retry_delay(
                    row.attempts + 1,
                    first=self._settings.webhook_retry_first_seconds,
                    longest=self._settings.webhook_retry_longest_seconds,
                )
                await conn.execute(
                    sa.update(webhook_deliveries)
                    .where(d.id == row.id)
                    .values(attempts=row.attempts + 1, last_status_code=status_code,
                            last_error=error[:500], next_attempt_at=now + timedelta(seconds=delay))
                )  # fmt: skip
                await conn.execute(
                    sa.update(webhook_subscriptions)
                    .where(s.id == row.subscription_id, s.failing_since.is_(None))
                    .values(failing_since=now)
                )
            limit_after = timedelta(seconds=self._settings.webhook_disable_after_seconds)
            await conn.execute(
                sa.update(webhook_subscriptions)
                .where(s.status == ACTIVE, s.failing_since < now - limit_after)
                .values(
                    status=DISABLED,
                    disabled_reason="every delivery failed for "
                    f"{self._settings.webhook_disable_after_seconds:g} s",
                )
            )
            retention = timedelta(hours=self._settings.webhook_delivered_retention_hours)
            await conn.execute(
                sa.delete(webhook_deliveries).where(
                    d.status == DELIVERED, d.delivered_at < now - retention
                )
            )
        return len(due)

    async def _post(
        self, url: str, sealed: str, event_id: str, payload: str
    ) -> tuple[int | None, str | None]:
        """(status code, error) of one attempt; error None when delivered."""
        try:
            await check_endpoint(url, self._settings)
        except RefusedEndpoint as exc:
            return None, f"refused: {exc}"
        secret = self._keys.decrypt(sealed, purpose=SECRET_PURPOSE)
        stamp = datetime.now(UTC)
        signature = Webhook(secret).sign(event_id, stamp, payload)
        headers = {
            "content-type": "application/json",
            "webhook-id": event_id,
            "webhook-timestamp": str(int(stamp.timestamp())),
            "webhook-signature": signature,
            "user-agent": "Sinergi-Webhooks/1",
        }
        try:
            answer = await self._http.post(url, content=payload.encode(), headers=headers)
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}"
        if 200 <= answer.status_code < 300:
            return answer.status_code, None
        return answer.status_code, f"HTTP {answer.status_code}"
