"""The aggregation consumer: the domain topics, through the inbox, into the projections.

An event whose ``source`` is not the service owning its topic (or its type) is refused
(``shared.events.origin_problem``): the broker lets only that service write the topic, and the
consumer does not take an event's word for where it came from either. Events it can never
apply go to their topic's DLQ (``shared.dlq``; ``python -m aggregation.dlq``), and so does an
event of the platform's own type namespace that no handler knows (a version a domain service
publishes before the aggregation learnt it): it is replayed once the handler is deployed,
where ignoring it would leave it out of the indicators for good.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.dlq import DeadLetters
from shared.events import TOPICS as DOMAIN_TOPICS
from shared.events import origin_problem
from shared.events.base import EVENT_TYPE_PREFIX
from shared.inbox import IdempotentConsumer
from shared.kafka import KafkaAccess
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aggregation.cube.maintain import maintain
from aggregation.handlers import HANDLERS
from aggregation.projections.tables import inbox

GROUP_ID = "sinergi-aggregation"
# Every domain's topic: job market, training, inspection, social security.
TOPICS: tuple[str, ...] = DOMAIN_TOPICS


def build_consumer(
    *,
    sessions: async_sessionmaker[AsyncSession],
    kafka: KafkaAccess,
    topics: Sequence[str] = TOPICS,
    group_id: str = GROUP_ID,
    max_attempts: int = 3,
) -> IdempotentConsumer:
    """The idempotent consumer applying ``HANDLERS`` to the aggregation database, keeping
    the indicator cube current in the same transactions."""
    return IdempotentConsumer(
        sessions=sessions,
        inbox=inbox,
        kafka=kafka,
        topics=list(topics),
        group_id=group_id,
        handlers=HANDLERS,
        dead_letters=DeadLetters(kafka, client_id=f"{group_id}-dlq"),
        max_attempts=max_attempts,
        verify=origin_problem,
        expects=_platform_type,
        around=maintain,
    )


def _platform_type(event_type: str) -> bool:
    """Whether a type is one of the platform's own (which the aggregation must handle)."""
    return event_type.startswith(EVENT_TYPE_PREFIX)
