"""The aggregation's dead letters: list them, look at one, replay them after a fix.

    uv run --frozen python -m aggregation.dlq list
    uv run --frozen python -m aggregation.dlq show <event id> [--data]
    uv run --frozen python -m aggregation.dlq replay [<event id> ...]

With the service's environment (``SINERGI_DATABASE_URL`` and the aggregation's Kafka principal,
``SINERGI_KAFKA_*``: it may read the dead-letter topics ``<topic>.dlq``). ``list`` prints one
line per dead letter: where it is, where it came from, its type and event id, when and why it
was set aside, and its state in the inbox (``waiting``: dead-lettered and not replayed;
``applied``: replayed since; ``-``: not an event, or refused, so nothing to replay). ``show``
prints one dead letter's headers and CloudEvent attributes (``--data`` adds its data: events
carry no NIK or name, but they are records of people all the same). ``replay`` applies the
waiting ones (or those named) through the consumer's own path (inbox, projections, cube, in
one transaction each), as if they came from their topic again; one that fails again stays
waiting, and the exit status is 1. Replaying twice changes nothing.
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
    HEADER_ERROR,
    HEADER_OFFSET,
    HEADER_PARTITION,
    HEADER_TIME,
    HEADER_TOPIC,
    dlq_topic,
)
from shared.inbox import DEAD
from shared.kafka import KafkaAccess, make_consumer, partition_count
from shared.settings import Settings
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aggregation.consumer import TOPICS, build_consumer
from aggregation.projections.tables import inbox


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
            topic=self.headers.get(HEADER_TOPIC, r.topic.removesuffix(".dlq")),
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
    """Every record of the dead-letter topics of ``topics``, oldest first per partition."""
    partitions = [
        TopicPartition(dlq_topic(topic), p)
        for topic in topics
        for p in range(await partition_count(kafka, dlq_topic(topic)))
    ]
    consumer = make_consumer(kafka, group_id=None)
    await consumer.start()
    try:
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        remaining = {tp for tp in partitions if ends[tp] > await consumer.position(tp)}
        while remaining:
            batches = await consumer.getmany(*remaining, timeout_ms=1000)
            for tp, records in batches.items():
                for record in records:
                    yield _letter(record)
                if records and records[-1].offset + 1 >= ends[tp]:
                    remaining.discard(tp)
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
    if not ids:
        return {}
    async with sessions() as session:
        rows = await session.execute(
            sa.select(inbox.c.event_id, inbox.c.status).where(inbox.c.event_id.in_(ids))
        )
        return {event_id: "waiting" if status == DEAD else status for event_id, status in rows}


async def run(args: argparse.Namespace, settings: Settings, out: TextIO) -> int:
    """Carry out one command; the exit status."""
    kafka = KafkaAccess.from_settings(settings)
    engine = create_engine(settings.database_url, pool_size=1)
    sessions = session_factory(engine)
    try:
        letters = [letter async for letter in dead_letters(kafka, TOPICS)]
        states = await _states(sessions, [lt.event_id for lt in letters if lt.event_id])
        if args.command == "list":
            for lt in letters:
                r, h = lt.record, lt.headers
                print(
                    f"{r.topic}@{r.partition}:{r.offset}\t"
                    f"{h.get(HEADER_TOPIC, '?')}:{h.get(HEADER_PARTITION, '?')}:"
                    f"{h.get(HEADER_OFFSET, '?')}\t{lt.event_type or '-'}\t{lt.event_id or '-'}\t"
                    f"{h.get(HEADER_TIME, '-')}\t{states.get(lt.event_id or '', '-')}\t"
                    f"{h.get(HEADER_ERROR, '')}",
                    file=out,
                )
            print(f"{len(letters)} dead letter(s)", file=out)
            return 0
        if args.command == "show":
            found = [lt for lt in letters if lt.event_id == args.event_id]
            if not found:
                print(f"no dead letter with event id {args.event_id}", file=out)
                return 1
            letter = found[-1]
            shown = {k: v for k, v in (letter.envelope or {}).items() if k != "data"}
            if args.data:
                shown["data"] = (letter.envelope or {}).get("data")
            print(
                json.dumps(
                    {
                        "dlq": f"{letter.record.topic}@{letter.record.partition}:"
                        f"{letter.record.offset}",
                        "headers": letter.headers,
                        "state": states.get(args.event_id, "-"),
                        "event": shown,
                    },
                    indent=2,
                ),
                file=out,
            )
            return 0
        wanted = set(args.event_ids)
        consumer = build_consumer(sessions=sessions, kafka=kafka)
        failed = 0
        done: set[str] = set()
        for lt in letters:
            event_id = lt.event_id
            if event_id is None or states.get(event_id) != "waiting" or event_id in done:
                continue
            if wanted and event_id not in wanted:
                continue
            done.add(event_id)
            try:
                applied = await consumer.replay(lt.original())
            except Exception as exc:  # noqa: BLE001 - reported, the letter stays waiting
                failed += 1
                print(f"{event_id}\tfailed again: {type(exc).__name__}: {exc}", file=out)
                continue
            print(f"{event_id}\t{'replayed' if applied else 'skipped'}", file=out)
        print(f"{len(done) - failed} replayed, {failed} failed", file=out)
        return 1 if failed else 0
    finally:
        await engine.dispose()


def parser() -> argparse.ArgumentParser:
    """The command line."""
    top = argparse.ArgumentParser(prog="python -m aggregation.dlq", description=__doc__)
    commands = top.add_subparsers(dest="command", required=True)
    commands.add_parser("list", help="every dead letter, one line each")
    show = commands.add_parser("show", help="one dead letter")
    show.add_argument("event_id")
    show.add_argument("--data", action="store_true", help="also print the event's data")
    replay = commands.add_parser("replay", help="apply the waiting dead letters again")
    replay.add_argument("event_ids", nargs="*", metavar="event_id")
    return top


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m aggregation.dlq``."""
    return asyncio.run(run(parser().parse_args(argv), Settings(), sys.stdout))


if __name__ == "__main__":
    sys.exit(main())
