"""``/health``: is the gateway up, does its database answer, which upstreams answer;
``/health/live`` and ``/health/ready`` (database and Kafka) as ``shared.health`` describes."""

from __future__ import annotations

import asyncio
from typing import Literal

import httpx
import sqlalchemy as sa
from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from shared.health import KafkaProbe
from shared.kafka import KafkaAccess
from sqlalchemy.ext.asyncio import AsyncEngine

UPSTREAM_CHECK_SECONDS = 2.0

Status = Literal["up", "down"]


class Health(BaseModel):
    """The gateway's health; ``status`` is ``ok`` only when everything answers."""

    status: Literal["ok", "degraded", "unavailable"]
    service: str = "gateway"
    database: Status
    upstreams: dict[str, Status]


async def _database(engine: AsyncEngine) -> Status:
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
    except (OSError, sa.exc.SQLAlchemyError):
        return "down"
    return "up"


async def _upstream(client: httpx.AsyncClient, base_url: str) -> Status:
    try:
        response = await client.get(
            base_url.rstrip("/") + "/health", timeout=UPSTREAM_CHECK_SECONDS
        )
    except httpx.HTTPError:
        return "down"
    return "up" if response.status_code == 200 else "down"


router = APIRouter(tags=["Gateway"])


@router.get(
    "/health",
    summary="Gateway health and which services answer",
    response_model=Health,
    responses={503: {"model": Health, "description": "The gateway's database is down"}},
)
async def health(request: Request) -> JSONResponse:
    """200 while the gateway can issue tokens (its database answers), else 503."""
    state = request.app.state
    upstream_urls: dict[str, str] = state.settings.upstream_urls()
    database, *answers = await asyncio.gather(
        _database(state.engine), *(_upstream(state.http, url) for url in upstream_urls.values())
    )
    upstreams = dict(zip(upstream_urls, answers, strict=True))
    if database == "down":
        overall: Literal["ok", "degraded", "unavailable"] = "unavailable"
    else:
        overall = "ok" if all(a == "up" for a in answers) else "degraded"
    body = Health(status=overall, database=database, upstreams=upstreams)
    return JSONResponse(body.model_dump(), status_code=503 if database == "down" else 200)


@router.get("/health/live", include_in_schema=False)
async def live() -> dict[str, str]:
    """The process answers."""
    return {"status": "ok", "service": "gateway"}


@router.get("/health/ready", include_in_schema=False)
async def ready(request: Request) -> JSONResponse:
    """503 unless the gateway's database answers and Kafka takes a connection (the event
    streams and webhooks read it); the upstreams have their own readiness."""
    state = request.app.state
    probe: KafkaProbe | None = getattr(state, "kafka_probe", None)
    if probe is None:
        probe = state.kafka_probe = KafkaProbe(KafkaAccess.from_settings(state.settings))
    database, kafka = await asyncio.gather(_database(state.engine), probe.status())
    ok = database == "up" and kafka == "up"
    return JSONResponse(
        {"status": "ok" if ok else "unavailable", "service": "gateway", "database": database,
         "kafka": kafka},
        status_code=200 if ok else 503,
    )  # fmt: skip
