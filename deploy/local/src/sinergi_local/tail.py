"""``python -m sinergi_local.tail TOPIC``: print a topic's CloudEvents, oldest first.

What a ministry service subscribing to the event streams sees; it reads with its own consumer
group (``--group``) or, by default, as a one-off reader that commits nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os

from aiokafka import AIOKafkaConsumer


async def tail(bootstrap: str, topic: str, group: str | None, follow: bool) -> None:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=group is not None,
    )
    await consumer.start()
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=2000)
            if not batches and not follow:
                return
            for records in batches.values():
                for record in records:
                    print(json.dumps(json.loads(record.value or b"{}"), ensure_ascii=False))
    finally:
        await consumer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("topic", help="e.g. sinergi.job-market.v1")
    parser.add_argument(
        "--bootstrap", default=os.environ.get("SINERGI_KAFKA_BOOTSTRAP", "127.0.0.1:59092")
    )
    parser.add_argument("--group", default=None, help="consumer group (commits offsets)")
    parser.add_argument("--follow", action="store_true", help="keep waiting for new events")
    args = parser.parse_args()
    asyncio.run(tail(args.bootstrap, args.topic, args.group, args.follow))


if __name__ == "__main__":
    main()
