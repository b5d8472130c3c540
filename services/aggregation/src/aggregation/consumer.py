"""The aggregation consumer: the domain topics, through the inbox, into the projections."""

from __future__ import annotations

from collections.abc import Sequence

from shared.events import TOPICS as DOMAIN_TOPICS
from shared.inbox import IdempotentConsumer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aggregation.handlers import HANDLERS
from aggregation.projections.tables import inbox

GROUP_ID = "sinergi-aggregation"
# Every domain's topic: job market, training, inspection, social security.
TOPICS: tuple[str, ...] = DOMAIN_TOPICS


def build_consumer(
    *,
    sessions: async_sessionmaker[AsyncSession],
    bootstrap: str,
    topics: Sequence[str] = TOPICS,
    group_id: str = GROUP_ID,
) -> IdempotentConsumer:
    """The idempotent consumer applying ``HANDLERS`` to the aggregation database."""
    return IdempotentConsumer(
        sessions=sessions,
        inbox=inbox,
        bootstrap=bootstrap,
        topics=list(topics),
        group_id=group_id,
        handlers=HANDLERS,
    )
