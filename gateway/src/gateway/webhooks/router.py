"""``/api/v1/subscriptions``: a client's webhook endpoints, their delivery log, redelivery.

A client holding a ``{domain}:subscribe`` scope registers an endpoint for that domain's events
(``types``: CloudEvents types, all by default; ``regions``: within the token's, all of them by
default). The answer shows the Standard Webhooks signing secret (``whsec_...``) once. A client
sees and changes only its own subscriptions; another's are 404.
"""

from __future__ import annotations

import base64
import secrets
import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

import sqlalchemy as sa
from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field
from shared.auth import Caller, Principal
from shared.errors import PROBLEM_RESPONSES, ProblemError, field_error, validation_problem
from shared.events import EVENT_TYPES
from shared.listing import refuse_unknown_query
from shared.regions import registry
from shared.services import DOMAINS

from gateway.models import webhook_deliveries, webhook_subscriptions
from gateway.streams.router import DOMAIN_TOPICS
from gateway.webhooks.delivery import (
    ACTIVE,
    DISABLED,
    PENDING,
    WebhookDelivery,
    check_endpoint,
)
from gateway.webhooks.rules import MAX_URL_LENGTH, RefusedEndpoint

if TYPE_CHECKING:
    Domain = str
else:  # one of the declared domains (shared.services), an enum in the OpenAPI document
    Domain = Literal[DOMAINS]
Status = Literal["active", "disabled"]


async def subscriber(principal: Caller) -> Principal:
    """Dependency: a caller holding at least one ``{domain}:subscribe`` scope."""
    if not any(scope.endswith(":subscribe") for scope in principal.scopes):
        raise ProblemError(403, "this token lacks a {domain}:subscribe scope", kind="forbidden")
    return principal


Subscriber = Annotated[Principal, Depends(subscriber)]
router = APIRouter(
    prefix="/api/v1/subscriptions",
    tags=["subscriptions"],
    dependencies=[Depends(refuse_unknown_query)],
    responses=PROBLEM_RESPONSES,
)


class SubscriptionCreate(BaseModel):
    """A webhook endpoint to register."""

    model_config = ConfigDict(extra="forbid", strict=True)

    url: str = Field(
        min_length=1,
        max_length=MAX_URL_LENGTH,
        description="https endpoint receiving the deliveries (public address)",
        examples=["https://dashboard.example.go.id/hooks/sinergi"],
    )
    domain: Domain
    types: list[Annotated[str, Field(max_length=200)]] = Field(
        default_factory=list, max_length=50, description="CloudEvents types; empty: all"
    )
    regions: list[Annotated[str, Field(max_length=8)]] | None = Field(
        default=None, max_length=600, description="Regency or province codes; default: the token's"
    )


class SubscriptionUpdate(BaseModel):
    """A change of a subscription: enable it again (or disable it)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    status: Status


class SubscriptionPublic(BaseModel):
    """A registered webhook endpoint."""

    id: uuid.UUID
    url: str
    domain: Domain
    types: list[str]
    regions: list[str] | None = Field(description="None: every region")
    status: Status
    disabled_reason: str | None
    created_at: datetime


class SubscriptionCreated(SubscriptionPublic):
    """A new subscription with its signing secret (shown this once)."""

    secret: str = Field(description="Standard Webhooks signing secret (whsec_...)")


class DeliveryPublic(BaseModel):
    """One event's delivery to the endpoint."""

    id: uuid.UUID
    event_id: str
    event_type: str
    status: Literal["pending", "delivered"]
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime


def _public(row: Any) -> dict[str, Any]:
    return {k: row._mapping[k] for k in SubscriptionPublic.model_fields}


def _delivery(request: Request) -> WebhookDelivery:
    delivery: WebhookDelivery | None = request.app.state.webhooks
    if delivery is None:
        raise ProblemError(503, "webhooks are not enabled on this gateway")
    return delivery


async def _owned(request: Request, principal: Principal, subscription_id: uuid.UUID) -> Any:
    s = webhook_subscriptions.c
    async with request.app.state.engine.connect() as conn:
        row = (
            await conn.execute(
                sa.select(webhook_subscriptions).where(
                    s.id == subscription_id, s.client_id == principal.client_id
                )
            )
        ).first()
    if row is None:
        raise ProblemError(404, "no such subscription of this client", kind="not-found")
    return row


@router.post("", status_code=201, response_model=SubscriptionCreated)
async def create_subscription(
    request: Request, body: SubscriptionCreate, principal: Subscriber
) -> dict[str, Any]:
    """Register an endpoint for a domain's events; the answer carries the signing secret."""
    if f"{body.domain}:subscribe" not in principal.scopes:
        raise ProblemError(
            403, f"this token lacks the scope {body.domain}:subscribe", kind="forbidden"
        )
    errors = []
    topic = DOMAIN_TOPICS[body.domain]
    known = {t for t, cls in EVENT_TYPES.items() if cls.topic == topic}
    errors += [
        field_error(f"types.{i}", f"{t!r} is not an event type of {body.domain}")
        for i, t in enumerate(body.types)
        if t not in known
    ]
    regions: list[str] | None = None
    if body.regions is not None:
        regions = []
        for i, code in enumerate(body.regions):
            area = registry().normalise_area(code)
            if area is None or area == "ID":
                errors.append(field_error(f"regions.{i}", f"{code!r} is not a regency or province"))
            elif not principal.national and area not in principal.regions:
                errors.append(field_error(f"regions.{i}", f"{code} is outside the token's regions"))
            else:
                regions.append(area)
    elif not principal.national:
        regions = sorted(principal.regions)
    try:
        await check_endpoint(body.url, request.app.state.settings)
    except RefusedEndpoint as exc:
        errors.append(field_error("url", str(exc)))
    if errors:
        raise validation_problem(errors)
    delivery = _delivery(request)
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    values = {
        "id": uuid.uuid4(),
        "client_id": principal.client_id,
        "url": body.url,
        "domain": body.domain,
        "types": sorted(set(body.types)),
        "regions": regions,
        "secret": delivery.seal(secret),
        "status": ACTIVE,
    }
    async with request.app.state.engine.begin() as conn:
        row = (
            await conn.execute(
                sa.insert(webhook_subscriptions).values(**values).returning(webhook_subscriptions)
            )
        ).one()
    return _public(row) | {"secret": secret}


@router.get("", response_model=list[SubscriptionPublic])
async def list_subscriptions(request: Request, principal: Subscriber) -> list[dict[str, Any]]:
    """This client's subscriptions, newest first."""
    s = webhook_subscriptions.c
    async with request.app.state.engine.connect() as conn:
        rows = await conn.execute(
            sa.select(webhook_subscriptions)
            .where(s.client_id == principal.client_id)
            .order_by(s.created_at.desc())
        )
        return [_public(row) for row in rows]


@router.get("/{subscription_id}", response_model=SubscriptionPublic)
async def read_subscription(
    request: Request, subscription_id: uuid.UUID, principal: Subscriber
) -> dict[str, Any]:
    """One of this client's subscriptions."""
    return _public(await _owned(request, principal, subscription_id))


@router.patch("/{subscription_id}", response_model=SubscriptionPublic)
async def update_subscription(
    request: Request, subscription_id: uuid.UUID, body: SubscriptionUpdate, principal: Subscriber
) -> dict[str, Any]:
    """Enable a disabled subscription again (its waiting deliveries resume), or disable it."""
    await _owned(request, principal, subscription_id)
    s = webhook_subscriptions.c
    changes: dict[str, Any] = {"status": body.status}
    changes |= (
        {"disabled_reason": None, "failing_since": None}
        if body.status == ACTIVE
        else {"disabled_reason": "disabled by its client"}
    )
    async with request.app.state.engine.begin() as conn:
        row = (
            await conn.execute(
                sa.update(webhook_subscriptions)
                .where(s.id == subscription_id)
                .values(**changes)
                .returning(webhook_subscriptions)
            )
        ).one()
    return _public(row)


@router.delete("/{subscription_id}", status_code=204)
async def delete_subscription(
    request: Request, subscription_id: uuid.UUID, principal: Subscriber
) -> Response:
    """Remove a subscription and its deliveries."""
    await _owned(request, principal, subscription_id)
    async with request.app.state.engine.begin() as conn:
        await conn.execute(
            sa.delete(webhook_subscriptions).where(webhook_subscriptions.c.id == subscription_id)
        )
    return Response(status_code=204)


@router.get("/{subscription_id}/deliveries", response_model=list[DeliveryPublic])
async def list_deliveries(
    request: Request,
    subscription_id: uuid.UUID,
    principal: Subscriber,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    status: Annotated[Literal["pending", "delivered"] | None, Query()] = None,
) -> list[dict[str, Any]]:
    """The subscription's deliveries, newest first."""
    await _owned(request, principal, subscription_id)
    d = webhook_deliveries.c
    stmt = sa.select(webhook_deliveries).where(d.subscription_id == subscription_id)
    if status is not None:
        stmt = stmt.where(d.status == status)
    async with request.app.state.engine.connect() as conn:
        rows = await conn.execute(stmt.order_by(d.seq.desc()).limit(limit))
        return [
            {k: row._mapping[k] for k in DeliveryPublic.model_fields}
            | {"next_attempt_at": row.next_attempt_at if row.status == PENDING else None}
            for row in rows
        ]


@router.post("/{subscription_id}/deliveries/{delivery_id}/redeliver", status_code=202)
async def redeliver(
    request: Request, subscription_id: uuid.UUID, delivery_id: uuid.UUID, principal: Subscriber
) -> Response:
    """Send a delivery again (delivered or not), in its entity's order, as soon as possible."""
    row = await _owned(request, principal, subscription_id)
    d = webhook_deliveries.c
    async with request.app.state.engine.begin() as conn:
        found = await conn.execute(
            sa.update(webhook_deliveries)
            .where(d.id == delivery_id, d.subscription_id == subscription_id)
            .values(status=PENDING, next_attempt_at=sa.func.now(), delivered_at=None)
        )
    if not found.rowcount:
        raise ProblemError(404, "no such delivery of this subscription", kind="not-found")
    if row.status == DISABLED:
        return Response(status_code=202, headers={"Warning": '199 - "subscription disabled"'})
    return Response(status_code=202)
