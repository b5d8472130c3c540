"""One reader per topic and gateway process, shared by every subscriber of the topic.

The hub tails its topic (partitions assigned, no consumer group) from the moment it starts,
keeping the last ``buffer`` records in memory with their CloudEvents ``type`` and ``region``
read once from the envelope. A subscriber whose position is inside that window reads the
records from memory: 200 subscribers cost one Kafka fetch and one JSON parse per record, not
200. A subscriber further behind (``from=earliest``, a time, an old resume token, or one too
slow for the window) reads with a consumer of its own until it reaches the window, then joins
the hub: ``Subscription`` hides the switch, so what a client receives depends only on its
position, never on where the records came from.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from datetime import datetime

from aiokafka import TopicPartition
from aiokafka.structs import ConsumerRecord
from shared.kafka import KafkaAccess, make_consumer, partition_count

from gateway.streams.positions import Positions

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Record:
    """One event of the topic, as the streams need it."""

    partition: int
    offset: int
    type: str
    region: str | None
    value: str
    """The CloudEvent, structured JSON on one line."""
    sse: bytes = field(init=False, repr=False, compare=False)
    """Its SSE ``data`` field, encoded once for every subscriber."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "sse", b"data: " + self.value.encode() + b"\n\n")


def to_record(record: ConsumerRecord[bytes, bytes]) -> Record | None:
    """The stream record of a Kafka record; None for a value that is not a CloudEvent."""
    try:
        envelope = json.loads(record.value or b"")
        event_type = envelope["type"]
    except (ValueError, TypeError, KeyError):
        log.warning("record %s:%s of %s is not a CloudEvent", record.partition, record.offset,
                    record.topic)  # fmt: skip
        return None
    if not isinstance(envelope, dict) or not isinstance(event_type, str):
        return None
    region = envelope.get("region")
    if region is None:
        # Events published before the ``region`` extension attribute existed.
        data = envelope.get("data")
        region = data.get("region_code") if isinstance(data, dict) else None
    value = (record.value or b"").decode()
    if "\n" in value or "\r" in value:
        value = json.dumps(envelope, separators=(",", ":"))
    return Record(
        partition=record.partition,
        offset=record.offset,
        type=event_type,
        region=region if isinstance(region, str) else None,
        value=value,
    )


class TopicHub:
    """The shared reader of one topic (see the module docstring)."""

    def __init__(self, *, kafka: KafkaAccess, topic: str, buffer: int) -> None:
        self.kafka = kafka
        self.topic = topic
        self._records: deque[tuple[int, Record]] = deque(maxlen=buffer)
        self._seq = 0
        """Sequence number of the last record appended (the first is 1)."""
        self.partitions = 0
        self.floor = Positions()
        """Per partition, the oldest offset the window still holds (or the next to come)."""
        self.next = Positions()
        """Per partition, the offset after the last record read."""
        self._changed = asyncio.Event()
        self._ready = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._failure: BaseException | None = None

    async def start(self) -> None:
        """Start tailing (once) and wait until the hub knows its partitions and positions."""
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name=f"stream-hub {self.topic}")
        await self._ready.wait()

    async def stop(self) -> None:
        """Stop tailing."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    @property
    def last_seq(self) -> int:
        """Sequence number of the last record appended (0 before the first)."""
        return self._seq

    @property
    def window_start(self) -> int:
        """The sequence number just before the oldest record the window holds."""
        return self._records[0][0] - 1 if self._records else self._seq

    def after(self, seq: int) -> tuple[list[tuple[int, Record]], bool]:
        """Records appended after ``seq``, and whether the window still reached back to it."""
        if not self._records:
            return [], True
        first = self._records[0][0]
        if seq + 1 < first:
            return [], False
        start = seq + 1 - first
        return [self._records[i] for i in range(start, len(self._records))], True

    async def changed(self, timeout: float) -> None:
        """Wait until a record is appended, or ``timeout`` seconds."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._changed.wait(), timeout)

    async def _run(self) -> None:
        backoff = 0.5
        while True:
            consumer = make_consumer(self.kafka, group_id=None)
            try:
                await consumer.start()
                partitions = await partition_count(self.kafka, self.topic)
                tps = [TopicPartition(self.topic, p) for p in range(partitions)]
                consumer.assign(tps)
                if not self._ready.is_set():
                    await consumer.seek_to_end(*tps)
                    for tp in tps:
                        self.next[tp.partition] = await consumer.position(tp)
                    self.floor = Positions(self.next)
                    self.partitions = partitions
                    self._ready.set()
                else:
                    for tp in tps:
                        consumer.seek(tp, self.next.get(tp.partition, 0))
                backoff = 0.5
                while True:
                    batches = await consumer.getmany(timeout_ms=1000, max_records=500)
                    appended = False
                    for tp, records in batches.items():
                        for raw in records:
                            self.next[tp.partition] = raw.offset + 1
                            record = to_record(raw)
                            if record is not None:
                                self._append(record)
                                appended = True
                    if appended:
                        self._changed.set()
                        self._changed = asyncio.Event()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - Kafka faults: read again from self.next
                log.warning("stream hub %s: %s; restarting in %.1fs", self.topic, exc, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 5.0)
            finally:
                with contextlib.suppress(Exception):
                    await consumer.stop()

    def _append(self, record: Record) -> None:
        if len(self._records) == self._records.maxlen:
            _, dropped = self._records[0]
            self.floor[dropped.partition] = dropped.offset + 1
        self._seq += 1
        self._records.append((self._seq, record))


class Subscription:
    """The records of one topic from ``start`` on, in partition order, without gap or repeat.

    ``positions`` is the resume position after the last record yielded (the SSE ``id``).
    """

    def __init__(self, hub: TopicHub, start: Positions) -> None:
        self.hub = hub
        self.positions = Positions(start)

    @classmethod
    async def open(
        cls,
        hub: TopicHub,
        *,
        after: str | None = None,
        since: datetime | None = None,
        earliest: bool = False,
    ) -> Subscription:
        """A subscription after a resume token, from a time, from the beginning, or (none
        of these) from now. Raises ValueError for a token the topic cannot have issued."""
        await hub.start()
        if after is not None:
            start = Positions.parse(after, hub.partitions)
            if any(offset > hub.next.get(p, 0) for p, offset in start.items()):
                # The hub has read every record up to hub.next; a token past it was not ours.
                ends = await _end_offsets(hub)
                if any(offset > ends.get(p, 0) for p, offset in start.items()):
                    raise ValueError("the resume token is ahead of the stream")
            return cls(hub, start)
        if since is not None:
            return cls(hub, await _offsets_at(hub, since))
        if earliest:
            return cls(hub, Positions(dict.fromkeys(range(hub.partitions), 0)))
        return cls(hub, Positions(hub.next))

    async def batches(
        self, *, wait: float, stop: Callable[[], bool]
    ) -> AsyncIterator[list[tuple[Record, str]]]:
        """The records from the position on, forever, as they come: each with the resume
        token after it; an empty batch after ``wait`` seconds without any (a chance to send a
        keep-alive or to end). Ends when ``stop()`` is true."""
        seq: int | None = None
        while not stop():
            if seq is None:
                if not self.positions.covers(self.hub.floor):
                    async for batch in self._catch_up(wait=wait, stop=stop):
                        yield batch
                    continue
                # Inside the window: from its start, skipping what was already delivered.
                seq = self.hub.window_start
            records, reachable = self.hub.after(seq)
            if not reachable:
                seq = None  # too slow for the window: read from Kafka again
                continue
            batch = []
            for seq, record in records:  # noqa: B007 (seq is where to go on from)
                if record.offset >= self.positions.get(record.partition, 0):
                    self.positions[record.partition] = record.offset + 1
                    batch.append((record, self.positions.token()))
            if batch:
                yield batch
            elif self.hub.last_seq == seq:
                await self.hub.changed(wait)
                if self.hub.last_seq == seq:
                    yield []

    async def _catch_up(
        self, *, wait: float, stop: Callable[[], bool]
    ) -> AsyncIterator[list[tuple[Record, str]]]:
        """Read with a consumer of our own until the hub's window covers the position.

        Offsets are taken as contiguous (the topics are neither compacted nor written in
        transactions), so the position after a record is its offset + 1."""
        consumer = make_consumer(self.hub.kafka, group_id=None)
        await consumer.start()
        try:
            tps = [TopicPartition(self.hub.topic, p) for p in range(self.hub.partitions)]
            consumer.assign(tps)
            beginnings = await consumer.beginning_offsets(tps)
            for tp in tps:
                start = max(self.positions.get(tp.partition, 0), beginnings[tp])
                self.positions[tp.partition] = start
                consumer.seek(tp, start)
            while not stop() and not self.positions.covers(self.hub.floor):
                batches = await consumer.getmany(timeout_ms=int(wait * 1000), max_records=500)
                batch = []
                for tp, raws in batches.items():
                    for raw in raws:
                        self.positions[tp.partition] = raw.offset + 1
                        record = to_record(raw)
                        if record is not None:
                            batch.append((record, self.positions.token()))
                yield batch
        finally:
            await consumer.stop()


async def _end_offsets(hub: TopicHub) -> dict[int, int]:
    consumer = make_consumer(hub.kafka, group_id=None)
    await consumer.start()
    try:
        tps = [TopicPartition(hub.topic, p) for p in range(hub.partitions)]
        ends = await consumer.end_offsets(tps)
        return {tp.partition: offset for tp, offset in ends.items()}
    finally:
        await consumer.stop()


async def _offsets_at(hub: TopicHub, since: datetime) -> Positions:
    """Per partition, the first offset whose record is at or after ``since``."""
    consumer = make_consumer(hub.kafka, group_id=None)
    await consumer.start()
    try:
        tps = [TopicPartition(hub.topic, p) for p in range(hub.partitions)]
        found = await consumer.offsets_for_times({tp: int(since.timestamp() * 1000) for tp in tps})
        ends = await consumer.end_offsets(tps)
        return Positions(
            {
                tp.partition: found[tp].offset if found.get(tp) is not None else ends[tp]
                for tp in tps
            }
        )
    finally:
        await consumer.stop()
