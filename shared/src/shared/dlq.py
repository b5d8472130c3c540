"""Dead letters: events a consumer can never apply, set aside so the partition moves on.

An error is **lasting** when applying the same event again cannot succeed: the record is not
a CloudEvent, its source does not own the topic, its data fails the model, a handler raises
``ValueError``/``KeyError``/``TypeError``/``LookupError``/``AttributeError``, the database
refuses the row for good (``IntegrityError``, ``DataError``, ``ProgrammingError``), or any
other exception that is not a passing one. An error is **passing** when the world around the
event is at fault and waiting helps: PostgreSQL unreachable, restarting or the connection lost
(``OperationalError``, ``InterfaceError``, ``OSError``, an invalidated connection, SQLSTATE
classes 08, 40, 53, 57 and 58), a timeout, a Kafka error. The consumer retries passing errors
forever with backoff (nothing is committed meanwhile) and never dead-letters for them; it
tries an event with a lasting error ``SINERGI_CONSUMER_MAX_ATTEMPTS`` times, then produces it
to ``<topic>.dlq``, unchanged (key, value, headers) plus the headers below, and goes on with
the next event.

Headers of a dead letter: ``dlq-error`` (the exception's class and message, never the event's
values), ``dlq-topic``, ``dlq-partition``, ``dlq-offset`` (where it was), ``dlq-time`` (RFC 3339,
when it was set aside), ``dlq-attempts``.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord
from sqlalchemy import exc as sa_exc

from shared.kafka import KafkaAccess, make_producer

DLQ_SUFFIX = ".dlq"
HEADER_ERROR = "dlq-error"
HEADER_TOPIC = "dlq-topic"
HEADER_PARTITION = "dlq-partition"
HEADER_OFFSET = "dlq-offset"
HEADER_TIME = "dlq-time"
HEADER_ATTEMPTS = "dlq-attempts"
DLQ_HEADERS = (
    HEADER_ERROR, HEADER_TOPIC, HEADER_PARTITION, HEADER_OFFSET, HEADER_TIME, HEADER_ATTEMPTS
)  # fmt: skip

_PASSING: tuple[type[BaseException], ...] = (
    sa_exc.OperationalError,
    sa_exc.InterfaceError,
    sa_exc.TimeoutError,
    OSError,
    TimeoutError,
    asyncio.TimeoutError,
    KafkaError,
)


def dlq_topic(topic: str) -> str:
    """The dead-letter topic of ``topic``."""
    return topic + DLQ_SUFFIX


# SQLSTATE classes of PostgreSQL errors that come from the server's state, not the statement:
# connection exceptions, transaction rollbacks (serialization, deadlock), insufficient
# resources, operator intervention (shutdown, starting up, statement timeout), system errors.
_PASSING_SQLSTATE_CLASSES = ("08", "40", "53", "57", "58")


def is_passing(error: BaseException) -> bool:
    """Whether waiting and trying the same event again may succeed (see the module)."""
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        state = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
        if isinstance(state, str) and state[:2] in _PASSING_SQLSTATE_CLASSES:
            return True
    if isinstance(error, _PASSING):
        return True
    cause = error.__cause__
    return cause is not None and cause is not error and is_passing(cause)


class DeadLetters:
    """The producer of a consumer's dead letters (started on the first one)."""

    def __init__(self, kafka: KafkaAccess, *, client_id: str) -> None:
        self._kafka = kafka
        self._client_id = client_id
        self._producer: AIOKafkaProducer | None = None

    async def send(
        self, record: ConsumerRecord[bytes, bytes], *, error: str, attempts: int
    ) -> None:
        """Put ``record`` on its topic's DLQ and wait for the broker's acknowledgement
        (``acks=all``); a failure raises (a passing error: the consumer will try again)."""
        producer = await self._ensure_producer()
        headers = [
            *((name, value) for name, value in (record.headers or ()) if name not in DLQ_HEADERS),
            (HEADER_ERROR, error.encode()[:4000]),
            (HEADER_TOPIC, record.topic.encode()),
            (HEADER_PARTITION, str(record.partition).encode()),
            (HEADER_OFFSET, str(record.offset).encode()),
            (HEADER_TIME, datetime.now(UTC).isoformat().encode()),
            (HEADER_ATTEMPTS, str(attempts).encode()),
        ]
        try:
            sent = await producer.send(
                dlq_topic(record.topic), value=record.value, key=record.key, headers=headers
            )
            await sent
        except Exception:
            await self.close()
            raise

    async def close(self) -> None:
        """Close the producer (a new one starts with the next dead letter)."""
        producer, self._producer = self._producer, None
        if producer is not None:
            with contextlib.suppress(Exception):
                await producer.stop()

    async def _ensure_producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            producer = make_producer(self._kafka, client_id=self._client_id)
            try:
                await producer.start()
            except Exception:
                with contextlib.suppress(Exception):
                    await producer.stop()
                raise
            self._producer = producer
        return self._producer
