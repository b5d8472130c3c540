"""Composition root of the aggregation service: the API and, beside it, the event consumer.

Run with ``uvicorn --factory aggregation.main:create_app`` (port 8105 in the local runner).
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import FastAPI
from shared.kafka import KafkaAccess
from shared.service import create_service_app
from shared.settings import Settings

from aggregation.consumer import GROUP_ID, TOPICS, build_consumer
from aggregation.cube.maintain import ensure_built
from aggregation.indicators.router import router as indicators_router
from aggregation.regions.router import router as regions_router


def create_app(
    settings: Settings | None = None,
    *,
    topics: Sequence[str] = TOPICS,
    group_id: str = GROUP_ID,
) -> FastAPI:
    """Build the aggregation app; its lifespan runs the consumer of ``topics`` as ``group_id``.

    ``topics`` and ``group_id`` exist so that tests sharing one broker can consume a topic of
    their own; deployments keep the defaults.
    """
    settings = settings or Settings()

    async def consume(app: FastAPI) -> None:
        await ensure_built(app.state.sessions)
        consumer = build_consumer(
            sessions=app.state.sessions,
            kafka=KafkaAccess.from_settings(settings),
            topics=topics,
            group_id=group_id,
            max_attempts=settings.consumer_max_attempts,
        )
        app.state.consumer = consumer
        try:
            await consumer.run()
        finally:
            await consumer.stop()

    return create_service_app(
        name="aggregation",
        title="Sinergi aggregation",
        description=(
            "Indicators per regency, province and nation and month, computed from projections "
            "of the domain event streams."
        ),
        settings=settings,
        routers=[indicators_router, regions_router],
        outbox=None,
        background=[consume],
    )
