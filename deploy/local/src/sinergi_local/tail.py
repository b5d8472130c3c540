"""``python -m sinergi_local.tail TOPIC``: print a topic's CloudEvents, oldest first.

What a ministry service subscribing to the event streams sees, with the ministry's own
read-only Kafka principal: its credentials come from the ``"kafka"`` entry of
``demo-clients.json`` (``--credentials``; ``make run`` writes ``.local/demo-clients.json``).
It reads with a consumer group of its own (``--group NAME`` joins ``<group prefix>NAME``, the
only groups that principal may use) or, by default, as a one-off reader that commits nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path
from typing import Any

from shared.kafka import KafkaAccess, make_consumer

DEFAULT_CREDENTIALS = Path(__file__).resolve().parents[4] / ".local" / "demo-clients.json"


def load_access(path: Path, bootstrap: str | None = None) -> tuple[KafkaAccess, str]:
    """The Kafka access and group prefix written into a demo-clients file."""
    entry: dict[str, Any] = json.loads(path.read_text())["kafka"]
    access = KafkaAccess(
        bootstrap=bootstrap or entry["bootstrap"],
        username=entry["username"],
        password=entry["password"],
        security_protocol=entry["security_protocol"],
        sasl_mechanism=entry["sasl_mechanism"],
    )
    return access, str(entry["group_prefix"])


async def tail(access: KafkaAccess, topic: str, group: str | None, follow: bool) -> None:
    """Print every event of ``topic`` as one JSON line; keep waiting if ``follow``."""
    consumer = make_consumer(access, topic, group_id=group)
    await consumer.start()
    try:
        while True:
            batches = await consumer.getmany(timeout_ms=2000)
            if not batches and not follow:
                return
            for records in batches.values():
                for record in records:
                    print(json.dumps(json.loads(record.value or b"{}"), ensure_ascii=False))
            if group is not None:
                await consumer.commit()
    finally:
        await consumer.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("topic", help="e.g. sinergi.job-market.v1")
    parser.add_argument(
        "--credentials",
        type=Path,
        default=DEFAULT_CREDENTIALS,
        help="demo-clients.json with the ministry's Kafka credentials (default: %(default)s)",
    )
    parser.add_argument("--bootstrap", default=None, help="override the file's bootstrap")
    parser.add_argument("--group", default=None, help="consumer group name (commits offsets)")
    parser.add_argument("--follow", action="store_true", help="keep waiting for new events")
    args = parser.parse_args()
    if not args.credentials.is_file():
        sys.exit(f"{args.credentials} not found: start the platform (make run) first")
    access, prefix = load_access(args.credentials, args.bootstrap)
    group = args.group
    if group is not None and not group.startswith(prefix):
        group = prefix + group
    asyncio.run(tail(access, args.topic, group, args.follow))


if __name__ == "__main__":
    main()
