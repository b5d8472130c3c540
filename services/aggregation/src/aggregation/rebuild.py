"""Rebuilding the read models by replaying the event streams from the beginning.

The projections are a pure function of the events, so dropping them and replaying every topic
gives the same numbers (ARCHITECTURE, "Rebuildable"). The procedure:

1. Stop every aggregation process: a consumer group's offsets can only be moved while it has no
   members (Kafka refuses otherwise, and so does this tool).
2. Run ``uv run python -m aggregation.rebuild`` with the service's environment
   (``SINERGI_DATABASE_URL``, ``SINERGI_KAFKA_BOOTSTRAP``, ``SINERGI_KAFKA_USERNAME``,
   ``SINERGI_KAFKA_PASSWORD``: the aggregation's own principal may read its group). It
   rewinds the committed offsets of the group ``sinergi-aggregation`` to the first retained
   event of every partition of the consumed topics, then empties the projections, the
   indicator cube and the inbox in one transaction.
3. Start the service again; its consumer replays everything, and the indicators return to the
   same values once it has caught up.

Kafka's own tool can do step 2's rewind instead (``kafka-consumer-groups.sh --bootstrap-server
<host:port> --group sinergi-aggregation --reset-offsets --to-earliest --all-topics --execute``
covers the four domain topics the group consumes; or its class ``org.apache.kafka.tools.
consumer.group.ConsumerGroupCommand`` with the broker jars); then run this module with
``--keep-offsets``.

The replay reproduces the numbers only if the topics keep every event (``retention.ms=-1``):
events that retention has deleted cannot be replayed.

The rewind comes before the truncation on purpose: if the rewind is refused (the service still
runs) nothing has been deleted; if the truncation then fails, the replay finds every event in
the inbox and changes nothing, so the numbers stay right either way.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
from aiokafka import TopicPartition
from aiokafka.structs import OffsetAndMetadata
from shared.db import create_engine
from shared.kafka import KafkaAccess, make_admin, make_consumer
from shared.settings import Settings
from sqlalchemy.ext.asyncio import AsyncEngine

from aggregation.consumer import GROUP_ID, TOPICS
from aggregation.projections.tables import PROJECTIONS, cube_state, cube_years, inbox

log = logging.getLogger(__name__)

# Group states in which nobody consumes, so the offsets may be moved.
_IDLE_STATES = frozenset({"Empty", "Dead", ""})


class ConsumerGroupActiveError(RuntimeError):
    """The consumer group still has members: stop the aggregation service first."""


@dataclass(frozen=True, slots=True)
class RebuildReport:
    """What a rebuild did."""

    partitions_rewound: int
    tables_emptied: tuple[str, ...]


async def rewind_offsets(*, kafka: KafkaAccess, topics: Sequence[str], group_id: str) -> int:
    """Commit the earliest retained offset of every partition of ``topics`` for ``group_id``."""
    admin = make_admin(kafka, client_id="sinergi-aggregation-rebuild")
    await admin.start()
    try:
        for response in await admin.describe_consumer_groups([group_id]):
            for group in response.groups:
                state, members = group[2], group[5]
                if state not in _IDLE_STATES or members:
                    raise ConsumerGroupActiveError(
                        f"consumer group {group_id!r} is {state} with {len(members)} member(s); "
                        "stop the aggregation service before rebuilding"
                    )
        # A topic that does not exist (error_code != 0) has nothing to replay.
        partitions = [
            TopicPartition(described["topic"], p["partition"])
            for described in await admin.describe_topics(list(topics))
            if described["error_code"] == 0
            for p in described["partitions"]
        ]
    finally:
        await admin.close()
    if not partitions:
        return 0

    consumer = make_consumer(kafka, group_id=group_id)
    await consumer.start()
    try:
        consumer.assign(partitions)
        earliest = await consumer.beginning_offsets(partitions)
        await consumer.commit(
            {tp: OffsetAndMetadata(offset, "") for tp, offset in earliest.items()}
        )
    finally:
        await consumer.stop()
    return len(partitions)


async def empty_read_models(engine: AsyncEngine) -> tuple[str, ...]:
    """Empty the projections and the inbox in one transaction."""
    tables = (*PROJECTIONS, cube_years, cube_state, inbox)
    names = tuple(table.name for table in tables)
    async with engine.begin() as conn:
        await conn.execute(sa.text(f"TRUNCATE {', '.join(names)}"))
    return names


async def rebuild(
    settings: Settings,
    *,
    rewind: bool = True,
    topics: Sequence[str] = TOPICS,
    group_id: str = GROUP_ID,
) -> RebuildReport:
    """Prepare a full replay: rewind the group's offsets (unless told not to), empty the models."""
    rewound = 0
    if rewind:
        rewound = await rewind_offsets(
            kafka=KafkaAccess.from_settings(settings), topics=topics, group_id=group_id
        )
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        emptied = await empty_read_models(engine)
    finally:
        await engine.dispose()
    return RebuildReport(partitions_rewound=rewound, tables_emptied=emptied)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m aggregation.rebuild [--keep-offsets]``."""
    parser = argparse.ArgumentParser(
        prog="python -m aggregation.rebuild",
        description="Empty the aggregation read models and rewind the consumer group so that "
        "the next start replays every event. Stop the aggregation service first.",
    )
    parser.add_argument(
        "--keep-offsets",
        action="store_true",
        help="do not touch Kafka (the offsets were reset with Kafka's own tool)",
    )
    parser.add_argument("--group-id", default=GROUP_ID, help=f"consumer group (default {GROUP_ID})")
    parser.add_argument(
        "--topic",
        action="append",
        dest="topics",
        help=f"topic to replay, repeatable (default: {', '.join(TOPICS)})",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    try:
        report = asyncio.run(
            rebuild(
                Settings(),
                rewind=not args.keep_offsets,
                topics=args.topics or TOPICS,
                group_id=args.group_id,
            )
        )
    except ConsumerGroupActiveError as exc:
        log.error("%s", exc)
        return 1
    log.info(
        "rewound %d partition(s); emptied %s; start the aggregation service to replay",
        report.partitions_rewound,
        ", ".join(report.tables_emptied),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
