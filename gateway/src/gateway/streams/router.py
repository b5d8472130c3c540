"""``GET /api/v1/streams/{domain}``: a domain's events as server-sent events.

Each SSE event is one CloudEvent (structured JSON, as on Kafka) whose ``id`` is the resume
token (``positions``). Filters use the envelope's attributes only: ``types`` (CloudEvents
types) and ``region`` (the ``region`` extension attribute, within the token's regions).
``Last-Event-ID`` (or ``?after=``) resumes exactly after an event; ``?from=earliest``,
``latest`` (the default) or an RFC 3339 time starts a new stream. The stream carries keep-alive
comments (``: ping`` after 15 s of silence) and ends, when the access token expires,
with an event ``token-expired`` whose ``id`` is the resume token.
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import StreamingResponse
from prometheus_client import Gauge
from pydantic import AwareDatetime, TypeAdapter, ValidationError
from shared.auth import Caller, Principal
from shared.errors import (
    PROBLEM_JSON,
    PROBLEM_RESPONSES,
    Problem,
    ProblemError,
    field_error,
    validation_problem,
)
from shared.events import EVENT_TYPES, TOPICS
from shared.kafka import KafkaAccess
from shared.listing import refuse_unknown_query
from shared.regions import registry
from shared.services import DOMAINS

from gateway.settings import GatewaySettings
from gateway.streams.hub import Subscription, TopicHub
from gateway.webhooks.rules import matches

DOMAIN_TOPICS: dict[str, str] = {topic.split(".")[1]: topic for topic in TOPICS}
"""Stream name (the API's domain segment, e.g. ``job-market``) to its topic."""

EXPIRED_EVENT = "token-expired"
KEEPALIVE_SECONDS = 15.0
_WAKE_SECONDS = 1.0
_TIME = TypeAdapter(AwareDatetime)

_STREAM_NAME = "^(" + "|".join(re.escape(name) for name in DOMAIN_TOPICS) + ")$"
_MAX_LISTED = 100
_ERRORS: dict[int | str, dict[str, Any]] = {
    **PROBLEM_RESPONSES,
    **{
        status: {"model": Problem, "content": {PROBLEM_JSON: {}}, "description": description}
        for status, description in (
            (406, "The client does not accept text/event-stream"),
            (429, "Too many open streams of this client"),
            (503, "Kafka cannot be reached"),
        )
    },
}

router = APIRouter(
    tags=["streams"], dependencies=[Depends(refuse_unknown_query)], responses=_ERRORS
)


class StreamHubs:
    """The gateway process's hubs, one per topic, started on first use."""

    def __init__(self, settings: GatewaySettings, *, subscribers: Gauge | None = None) -> None:
        self._settings = settings
        self._hubs: dict[str, TopicHub] = {}
        self._open: dict[str, int] = {}
        self._subscribers = subscribers
        self.open_timeout = settings.stream_open_timeout_seconds

    def hub(self, topic: str) -> TopicHub:
        if topic not in self._hubs:
            self._hubs[topic] = TopicHub(
                kafka=KafkaAccess.from_settings(self._settings),
                topic=topic,
                buffer=self._settings.stream_buffer_events,
            )
        return self._hubs[topic]

    def admit(self, client_id: str) -> None:
        """Count one more open stream of the client, or refuse it past the limit (429)."""
        limit = self._settings.stream_connections_per_client
        if self._open.get(client_id, 0) >= limit:
            raise ProblemError(
                429,
                f"this client already has {limit} open streams on this gateway; close one first",
                kind="too-many-streams",
                headers={"Retry-After": "5"},
            )
        self._open[client_id] = self._open.get(client_id, 0) + 1
        if self._subscribers is not None:
            self._subscribers.inc()

    def release(self, client_id: str) -> None:
        if self._subscribers is not None:
            self._subscribers.dec()
        self._open[client_id] -= 1
        if not self._open[client_id]:
            del self._open[client_id]

    async def stop(self) -> None:
        await asyncio.gather(*(hub.stop() for hub in self._hubs.values()))


def _listed(values: Iterable[str] | None) -> list[str]:
    """Values of a repeatable, comma-separated query parameter."""
    return [v.strip() for value in values or () for v in value.split(",") if v.strip()]


def _regions_within(principal: Principal, asked: list[str]) -> frozenset[str] | None:
    """The regions to stream (regency or province codes), None for all; problems for codes
    that are unknown or outside the token's regions."""
    known = registry()
    errors = []
    chosen = set()
    for code in asked:
        area = known.normalise_area(code)
        if area is None or area == "ID":
            errors.append(field_error("query.region", f"{code!r} is not a regency or province"))
        elif not principal.national and area not in principal.regions:
            errors.append(field_error("query.region", f"{code} is outside this token's regions"))
        else:
            chosen.add(area)
    if errors:
        raise validation_problem(errors)
    if chosen:
        return frozenset(chosen)
    return None if principal.national else principal.regions


@dataclass(frozen=True)
class OpenStream:
    """A checked request for a stream: where it starts and what it lets through."""

    subscription: Subscription
    types: frozenset[str] | None
    regions: frozenset[str] | None
    expires_at: float


async def open_stream(
    request: Request,
    principal: Caller,
    stream: Annotated[
        str,
        Path(
            max_length=32,
            pattern=_STREAM_NAME,
            description="The domain: " + ", ".join(DOMAINS),
        ),
    ],
    types: Annotated[
        list[str] | None,
        Query(
            max_length=_MAX_LISTED,
            description="CloudEvents types to receive (repeat or separate with commas)",
        ),
    ] = None,
    region: Annotated[
        list[str] | None,
        Query(
            max_length=_MAX_LISTED,
            description="Regency or province codes within the token's regions (repeat or "
            "separate with commas); all of the token's regions by default",
        ),
    ] = None,
    after: Annotated[
        str | None,
        Query(max_length=4096, description="Resume after the event with this id"),
    ] = None,
    start: Annotated[
        str | None,
        Query(
            alias="from",
            max_length=64,
            description="Where a new stream starts: earliest, latest (the default) or an "
            "RFC 3339 time",
        ),
    ] = None,
    last_event_id: Annotated[
        str | None,
        Header(alias="Last-Event-ID", max_length=4096, description="Resume after this event"),
    ] = None,
) -> AsyncIterator[OpenStream]:
    """Dependency: check everything before the answer starts (a refusal is a problem
    document, not a broken stream), and count the stream while it is open."""
    domain = stream
    topic = DOMAIN_TOPICS[domain]
    if f"{domain}:subscribe" not in principal.scopes:
        raise ProblemError(403, f"this token lacks the scope {domain}:subscribe", kind="forbidden")
    accept = request.headers.get("accept", "*/*")
    if not any(
        kind.split(";")[0].strip() in {"text/event-stream", "text/*", "*/*"}
        for kind in accept.split(",")
    ):
        raise ProblemError(406, "this endpoint answers text/event-stream only")
    errors = []
    wanted = frozenset(_listed(types)) or None
    domain_types = {t for t, cls in EVENT_TYPES.items() if cls.topic == topic}
    for unknown in sorted((wanted or set()) - domain_types):
        errors.append(field_error("query.types", f"{unknown!r} is not an event type of {domain}"))
    resume = last_event_id or after
    since: datetime | None = None
    if start is not None and resume is not None:
        errors.append(field_error("query.from", "give either a resume position or from="))
    elif start not in (None, "earliest", "latest"):
        try:
            since = _TIME.validate_python(start)
        except ValidationError:
            errors.append(
                field_error("query.from", "earliest, latest or an RFC 3339 time with offset")
            )
    try:
        regions = _regions_within(principal, _listed(region))
    except ProblemError as problem:
        errors.extend(problem.errors)
    if errors:
        raise validation_problem(errors)

    hubs: StreamHubs = request.app.state.stream_hubs
    try:
        subscription = await asyncio.wait_for(
            Subscription.open(
                hubs.hub(topic), after=resume, since=since, earliest=start == "earliest"
            ),
            timeout=hubs.open_timeout,
        )
    except ValueError as exc:
        field = "header.Last-Event-ID" if last_event_id else "query.after"
        raise validation_problem([field_error(field, str(exc))]) from exc
    except TimeoutError as exc:
        raise ProblemError(
            503,
            "the event streams are unavailable; try again shortly",
            headers={"Retry-After": "5"},
        ) from exc
    hubs.admit(principal.client_id)
    try:
        yield OpenStream(
            subscription=subscription,
            types=wanted,
            regions=regions,
            expires_at=principal.expires_at or float("inf"),
        )
    finally:
        hubs.release(principal.client_id)


@router.get(
    "/api/v1/streams/{stream}",
    response_class=StreamingResponse,
    summary="Subscribe to a domain's events (server-sent events)",
    responses={
        200: {
            "description": "One CloudEvent (JSON) per SSE event, its id the resume token",
            "content": {"text/event-stream": {"schema": {"type": "string"}}},
        }
    },
)
async def event_stream(opened: Annotated[OpenStream, Depends(open_stream)]) -> StreamingResponse:
    """The domain's events from a position on, one CloudEvent per SSE event, its ``id`` the
    token to resume from (``Last-Event-ID`` or ``after``); a final ``token-expired`` event
    when the access token expires. Needs the scope ``{domain}:subscribe``; a regional token
    receives its own regions' events only."""
    return StreamingResponse(
        _sse(opened),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def _sse(opened: OpenStream) -> AsyncIterator[bytes]:
    """The stream's bytes: the events of each batch in one write (their ``data`` encoded once
    per gateway, only the ``id`` per subscriber), a keep-alive comment after
    ``KEEPALIVE_SECONDS`` of silence, and the final event."""
    subscription = opened.subscription
    types, regions = opened.types or (), opened.regions

    def expired() -> bool:
        return time.time() >= opened.expires_at

    quiet_since = time.monotonic()
    async for batch in subscription.batches(wait=_WAKE_SECONDS, stop=expired):
        chunk = b"".join(
            b"id: " + token.encode() + b"\n" + record.sse
            for record, token in batch
            if matches(event_type=record.type, region=record.region, types=types, regions=regions)
        )
        if chunk:
            quiet_since = time.monotonic()
            yield chunk
        elif time.monotonic() - quiet_since >= KEEPALIVE_SECONDS:
            quiet_since = time.monotonic()
            yield b": ping\n\n"
    final = json.dumps(
        {
            "detail": "the access token expired: get a new one and resume with "
            "Last-Event-ID (or after=) set to this event's id"
        }
    )
    token = subscription.positions.token()
    yield f"event: {EXPIRED_EVENT}\nid: {token}\ndata: {final}\n\n".encode()
