"""The aggregation consumer: the domain topics, through the inbox, into the projections."""

from __future__ import annotations

from collections.abc import Sequence

from shared.events import job_market
from shared.inbox import IdempotentConsumer
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from aggregation.handlers import HANDLERS
from aggregation.projections.tables import inbox

GROUP_ID = "sinergi-aggregation"
TOPICS: tuple[str, ...] = (job_market.TOPIC,)


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
