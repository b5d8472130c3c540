"""The aggregation's dead letters: list them, look at one, replay them after a fix.

    uv run --frozen python -m aggregation.dlq list
    uv run --frozen python -m aggregation.dlq show <topic> <offset> [--partition N] [--data]
    uv run --frozen python -m aggregation.dlq replay [<event id> ...]

With the service's environment (``SINERGI_DATABASE_URL`` and the aggregation's Kafka principal,
``SINERGI_KAFKA_*``: it may read the dead-letter topics ``<topic>.dlq``).

``list`` prints one tab-separated line per dead letter: its DLQ topic, partition and offset,
where it came from (``topic:partition:offset``), its type and event id, when it was set aside,
its state in the inbox (``waiting``: dead-lettered, not replayed yet; ``applied``: replayed
or applied since; ``-``: not an event, or a refused one, so nothing to replay) and why it was
set aside; a count follows on standard error.

``show`` prints one dead letter (by its DLQ topic, or the topic it came from, and its offset on
the DLQ) as JSON: its headers and CloudEvent attributes; ``--data`` adds the event's data
(events carry no NIK or name, but they are records of people all the same).

``replay`` applies the waiting ones (or those named) through the consumer's own path (its
checks, the inbox, the projections and the indicator cube, in one transaction each), as if
they came from their topic again. The inbox is the record of what was replayed: a replayed
event's row turns from ``dead_lettered`` to ``applied``, so a second replay skips it; one that
fails again stays waiting, and the exit status is 1. The service's ``sinergi_dlq_records``
gauge follows within a minute (it is read from the inbox).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import TextIO

import sqlalchemy as sa
from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from shared.db import create_engine, session_factory
from shared.dlq import (
    DLQ_SUFFIX,
    HEADER_ERROR,
    HEADER_OFFSET,
    HEADER_PARTITION,
    HEADER_TIME,
    HEADER_TOPIC,
    describe,
    dlq_topic,
    origin_topic,
)
from shared.inbox import DEAD
from shared.kafka import KafkaAccess, make_consumer, partition_count
from shared.settings import Settings
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aggregation.consumer import TOPICS, build_consumer
from aggregation.projections.tables import inbox

WAITING = "waiting"
"""State of a dead letter whose event is dead-lettered in the inbox: replayable."""
_READ_TIMEOUT_MS = 1000


@dataclass(frozen=True)
class DeadLetter:
    """One record of a dead-letter topic."""

    record: ConsumerRecord[bytes, bytes]
    headers: dict[str, str]
    envelope: dict[str, object] | None

    @property
    def event_id(self) -> str | None:
        value = (self.envelope or {}).get("id")
        return value if isinstance(value, str) else None

    @property
    def event_type(self) -> str | None:
        value = (self.envelope or {}).get("type")
        return value if isinstance(value, str) else None

    def original(self) -> ConsumerRecord[bytes, bytes]:
        """The record as it was on its own topic (for the consumer's checks)."""
        r = self.record
        return ConsumerRecord(
            topic=self.headers.get(HEADER_TOPIC, origin_topic(r.topic)),
            partition=int(self.headers.get(HEADER_PARTITION, "0")),
            offset=int(self.headers.get(HEADER_OFFSET, "0")),
            timestamp=r.timestamp,
            timestamp_type=r.timestamp_type,
            key=r.key,
            value=r.value,
            checksum=None,
            serialized_key_size=r.serialized_key_size,
            serialized_value_size=r.serialized_value_size,
            headers=[(k, v) for k, v in (r.headers or ()) if not k.startswith("dlq-")],
        )


async def dead_letters(kafka: KafkaAccess, topics: Sequence[str]) -> AsyncIterator[DeadLetter]:
    """Every record of the dead-letter topics of ``topics`` (those that exist), oldest first
    per partition."""
    partitions: list[TopicPartition] = []
    for topic in topics:
        try:
            count = await partition_count(kafka, dlq_topic(topic))
        except LookupError:
            continue  # no dead-letter topic: no dead letters
        partitions += [TopicPartition(dlq_topic(topic), p) for p in range(count)]
    if not partitions:
        return
    consumer = make_consumer(kafka, group_id=None)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > await consumer.position(tp)}
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=_READ_TIMEOUT_MS)
            for tp, records in batches.items():
                for record in records:
                    if record.offset < ends[tp]:
                        yield _letter(record)
                if records and records[-1].offset + 1 >= ends[tp]:
                    remaining.discard(tp)
    finally:
        await consumer.stop()


async def dead_letter_at(
    kafka: KafkaAccess, topic: str, offset: int, partition: int = 0
) -> DeadLetter | None:
    """The dead letter at ``offset`` of partition ``partition`` of ``topic`` (a DLQ, or the
    topic whose DLQ is meant), or None when there is none."""
    tp = TopicPartition(topic if topic.endswith(DLQ_SUFFIX) else dlq_topic(topic), partition)
    consumer = make_consumer(kafka, group_id=None)
    await consumer.start()
    try:
        consumer.assign([tp])
        await consumer.seek_to_beginning(tp)
        first, end = await consumer.position(tp), (await consumer.end_offsets([tp]))[tp]
        if not first <= offset < end:
            return None
        consumer.seek(tp, offset)
        async with asyncio.timeout(30):
            while True:
                batch = await consumer.getmany(tp, timeout_ms=_READ_TIMEOUT_MS)
                for record in batch.get(tp, []):
                    if record.offset == offset:
                        return _letter(record)
                    if record.offset > offset:
                        return None
    finally:
        await consumer.stop()


def _letter(record: ConsumerRecord[bytes, bytes]) -> DeadLetter:
    headers = {k: v.decode(errors="replace") for k, v in (record.headers or ())}
    try:
        envelope = json.loads(record.value or b"")
    except ValueError:
        envelope = None
    return DeadLetter(record, headers, envelope if isinstance(envelope, dict) else None)


async def _states(sessions: async_sessionmaker[AsyncSession], ids: Sequence[str]) -> dict[str, str]:
    """The inbox state of each event id that has a row (``waiting`` for dead-lettered)."""
    ids = [i for i in ids if _storable(i)]  # the others were set aside without a row
    if not ids:
        return {}
    async with sessions() as session:
        rows = await session.execute(
            sa.select(inbox.c.event_id, inbox.c.status).where(inbox.c.event_id.in_(ids))
        )
        return {event_id: WAITING if status == DEAD else status for event_id, status in rows}


def _storable(text: str) -> bool:
    """Whether PostgreSQL can hold ``text`` (no NUL character, no lone surrogate)."""
    try:
        text.encode()
    except UnicodeEncodeError:
        return False
    return "\x00" not in text


async def run(
    args: argparse.Namespace, settings: Settings, out: TextIO, err: TextIO = sys.stderr
) -> int:
    """Carry out one command; the exit status."""
    kafka = KafkaAccess.from_settings(settings)
    engine = create_engine(settings.database_url, pool_size=1)
    sessions = session_factory(engine)
    topics = args.topics or TOPICS
    try:
        if args.command == "show":
            return await _show(args, kafka, sessions, out, err)
        letters = [letter async for letter in dead_letters(kafka, topics)]
        states = await _states(sessions, [lt.event_id for lt in letters if lt.event_id])
        if args.command == "list":
            for lt in letters:
                r, h = lt.record, lt.headers
                origin = ":".join(h.get(name, "?") for name in (HEADER_TOPIC, HEADER_PARTITION))
                print(
                    r.topic,
                    r.partition,
                    r.offset,
                    f"{origin}:{h.get(HEADER_OFFSET, '?')}",
                    lt.event_type or "-",
                    lt.event_id or "-",
                    h.get(HEADER_TIME, "-"),
                    states.get(lt.event_id or "", "-"),
                    h.get(HEADER_ERROR, ""),
                    sep="\t",
                    file=out,
                )
            print(f"{len(letters)} dead letter(s)", file=err)
            return 0
        return await _replay(letters, states, set(args.event_ids), sessions, kafka, topics, out)
    finally:
        await engine.dispose()


async def _show(
    args: argparse.Namespace,
    kafka: KafkaAccess,
    sessions: async_sessionmaker[AsyncSession],
    out: TextIO,
    err: TextIO,
) -> int:
    letter = await dead_letter_at(kafka, args.topic, args.offset, args.partition)
    if letter is None:
        print(f"no dead letter at offset {args.offset} of {args.topic}", file=err)
        return 1
    event: dict[str, object] | None = None
    if letter.envelope is not None:
        event = {k: v for k, v in letter.envelope.items() if k != "data"}
        if args.data:
            event["data"] = letter.envelope.get("data")
    states = await _states(sessions, [letter.event_id] if letter.event_id else [])
    r = letter.record
    shown = {
        "dlq": {"topic": r.topic, "partition": r.partition, "offset": r.offset},
        "key": r.key.decode(errors="replace") if r.key is not None else None,
        "headers": letter.headers,
        "state": states.get(letter.event_id or "", "-"),
        "event": event,
    }
    if event is None:
        shown["value_bytes"] = len(r.value or b"")  # not a CloudEvent: not shown
    print(json.dumps(shown, indent=2, ensure_ascii=False), file=out)
    return 0


async def _replay(
    letters: list[DeadLetter],
    states: dict[str, str],
    wanted: set[str],
    sessions: async_sessionmaker[AsyncSession],
    kafka: KafkaAccess,
    topics: Sequence[str],
    out: TextIO,
) -> int:
    consumer = build_consumer(sessions=sessions, kafka=kafka, topics=topics)
    replayed = failed = 0
    done: set[str] = set()
    try:
        for lt in letters:
            event_id = lt.event_id
            if event_id is None or states.get(event_id) != WAITING or event_id in done:
                continue
            if wanted and event_id not in wanted:
                continue
            done.add(event_id)
            try:
                applied = await consumer.replay(lt.original())
            except Exception as exc:  # noqa: BLE001 - reported, the letter stays waiting
                failed += 1
                data = (lt.envelope or {}).get("data")
                print(f"{event_id}\tfailed again: {describe(exc, data=data)}", file=out)
                continue
            replayed += applied
            print(f"{event_id}\t{'replayed' if applied else 'skipped'}", file=out)
    finally:
        await consumer.stop()
    print(f"{replayed} replayed, {failed} failed", file=out)
    return 1 if failed else 0


def parser() -> argparse.ArgumentParser:
    """The command line."""
    top = argparse.ArgumentParser(
        prog="python -m aggregation.dlq",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    top.add_argument(
        "--topic",
        dest="topics",
        action="append",
        metavar="TOPIC",
        help="a consumed topic whose dead letters to read (repeatable; default: every domain's)",
    )
    commands = top.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="every dead letter, one line each")
    show = commands.add_parser("show", help="one dead letter, by topic and offset")
    show.add_argument("topic", help="the dead-letter topic (or the topic it belongs to)")
    show.add_argument("offset", type=int, help="the dead letter's offset on its DLQ")
    show.add_argument("--partition", type=int, default=0, help="partition of the DLQ (0)")
    show.add_argument("--data", action="store_true", help="also print the event's data")
    replay = commands.add_parser("replay", help="apply the waiting dead letters again")
    replay.add_argument("event_ids", nargs="*", metavar="event_id")
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m aggregation.dlq``."""
    return asyncio.run(run(parser().parse_args(argv), Settings(), sys.stdout))


if __name__ == "__main__":
    sys.exit(main())
