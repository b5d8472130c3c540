"""Dead letters: events a consumer can never apply, set aside so the partition moves on.

An error is **lasting** when applying the same event again cannot succeed; the consumer tries
the event ``SINERGI_CONSUMER_MAX_ATTEMPTS`` times (3; each try a fresh apply in a savepoint of
its own, so the rest of the batch still applies), then produces the record to ``<topic>.dlq``
and goes on with the next event. Lasting:

- the record is not a CloudEvent (undecodable), or its ``source`` does not own the topic
  (refused by the consumer's ``verify``): set aside at once, there is nothing to try;
- its data fails the model (pydantic ``ValidationError``);
- a handler raises ``ValueError``, ``KeyError``, ``TypeError``, ``LookupError``,
  ``AttributeError``, ``ArithmeticError``..., or the type has no handler where one is expected
  (``shared.inbox.UnknownEventType``): any exception that is not passing counts as lasting,
  since the event is what differs between the one that fails and the ones that apply;
- the database refuses the row itself: ``IntegrityError`` (a constraint the event can never
  meet), ``DataError`` (a value the column cannot hold), and the other statement errors.

An error is **passing** when the world around the event is at fault and waiting helps; the
consumer commits nothing, restarts with backoff and tries again until it succeeds, and never
dead-letters for it. Passing:

- PostgreSQL unreachable, restarting, or the connection lost: ``OperationalError``,
  ``InterfaceError``, ``DisconnectionError``, an invalidated connection, ``OSError`` (refused
  or reset connections), SQLSTATE classes 08 (connection), 40 (serialization failure,
  deadlock), 53 (insufficient resources), 55 (lock not available), 57 (shutdown, starting up,
  statement timeout) and 58 (system error);
- the schema not (yet) what the code expects: SQLSTATE 3F000, 42P01, 42703, 42883 (undefined
  schema, table, column, function) and 42501 (no privilege). Every event would fail alike
  until the migration or the grant is deployed, which needs no replay afterwards;
- a timeout (``TimeoutError``, the connection pool's ``TimeoutError``);
- a Kafka error, including a dead letter the broker did not acknowledge: the batch is not
  committed and comes again.

An exception caused (``raise ... from``) by a passing one is passing.

Headers of a dead letter, beside the record's own key, value and headers: ``dlq-error`` (the
exception's class and message, without the values the event carried: see ``describe``),
``dlq-topic``, ``dlq-partition``, ``dlq-offset`` (where it was), ``dlq-time`` (RFC 3339, when
it was set aside) and ``dlq-attempts``. Dead-letter topics have one partition: a dead letter
is found by its topic and offset, and there are few.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime

from aiokafka import AIOKafkaProducer
from aiokafka.errors import KafkaError
from aiokafka.structs import ConsumerRecord
from pydantic import ValidationError
from sqlalchemy import exc as sa_exc

from shared.kafka import KafkaAccess, make_producer

DLQ_SUFFIX = ".dlq"
DLQ_PARTITIONS = 1
"""Partitions of a dead-letter topic: one, so that a topic and an offset name a dead letter."""
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
    sa_exc.DisconnectionError,
    sa_exc.TimeoutError,
    OSError,
    TimeoutError,  # asyncio.TimeoutError too
    KafkaError,
)
# SQLSTATE classes of PostgreSQL errors that come from the server's state, not the statement:
# connection exceptions, transaction rollbacks (serialization, deadlock), insufficient
# resources, object not in prerequisite state (lock not available), operator intervention
# (shutdown, starting up, statement timeout), system errors.
_PASSING_SQLSTATE_CLASSES = frozenset({"08", "40", "53", "55", "57", "58"})
# The schema not deployed yet: undefined schema, table, column, function; no privilege.
_PASSING_SQLSTATES = frozenset({"3F000", "42P01", "42703", "42883", "42501"})
_MAX_ERROR_CHARS = 2000
_MASK = "***"


def dlq_topic(topic: str) -> str:
    """The dead-letter topic of ``topic``."""
    return topic + DLQ_SUFFIX


def origin_topic(topic: str) -> str:
    """The topic whose dead letters ``topic`` holds (``topic`` itself if it is no DLQ)."""
    return topic.removesuffix(DLQ_SUFFIX)


def is_passing(error: BaseException) -> bool:
    """Whether waiting and trying the same event again may succeed (see the module)."""
    if isinstance(error, sa_exc.DBAPIError):
        if error.connection_invalidated:
            return True
        state = _sqlstate(error)
        if state is not None and (
            state[:2] in _PASSING_SQLSTATE_CLASSES or state in _PASSING_SQLSTATES
        ):
            return True
    if isinstance(error, _PASSING):
        return True
    cause = error.__cause__
    return cause is not None and cause is not error and is_passing(cause)


def describe(error: BaseException, *, data: object = None) -> str:
    """Why an event failed, fit for a header, a log line and the inbox: the exception's class
    and message, without the values the event carried.

    A ``ValidationError`` names the fields and the kind of problem (its message would quote the
    input); a database error its SQLSTATE and the constraint, table and column PostgreSQL names
    (its message may quote a value, and SQLAlchemy's adds the statement); any other message
    has every value of ``data`` (the event's data) of three characters or more masked.
    """
    if isinstance(error, ValidationError):
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem['loc']) or '(root)'}: {problem['type']}"
            for problem in error.errors(include_input=False, include_url=False)
        )
        return f"ValidationError: {problems}"[:_MAX_ERROR_CHARS]
    if isinstance(error, sa_exc.DBAPIError):
        return _describe_database_error(error)
    message = str(error)
    for value in sorted(set(_values(data)), key=len, reverse=True):
        message = message.replace(value, _MASK)
    return f"{type(error).__name__}: {message}"[:_MAX_ERROR_CHARS]


def _describe_database_error(error: sa_exc.DBAPIError) -> str:
    driver = error.orig.__cause__ if error.orig is not None else None
    parts = [f"{type(error).__name__}: {type(driver or error.orig).__name__}"]
    state = _sqlstate(error)
    if state is not None:
        parts.append(f"SQLSTATE {state}")
    for what in ("constraint", "table", "column"):
        name = getattr(driver, f"{what}_name", None)
        if isinstance(name, str) and name:
            parts.append(f"{what} {name}")
    return ", ".join(parts)[:_MAX_ERROR_CHARS]


def _sqlstate(error: sa_exc.DBAPIError) -> str | None:
    state = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
    return state if isinstance(state, str) else None


def _values(data: object) -> Iterator[str]:
    """The leaf values of ``data`` as a message could quote them (booleans and short values
    apart: masking them would mask ordinary words)."""
    if isinstance(data, dict):
        for value in data.values():
            yield from _values(value)
    elif isinstance(data, list | tuple):
        for value in data:
            yield from _values(value)
    elif data is not None and not isinstance(data, bool):
        text = str(data)
        if len(text) >= 3:
            yield text
            quoted = repr(text)[1:-1]
            if quoted != text:
                yield quoted


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
            (HEADER_ERROR, error[:_MAX_ERROR_CHARS].encode()),
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
