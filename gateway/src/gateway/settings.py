"""The gateway's settings: the shared ones plus where each upstream service listens and the
limits the gateway enforces.

Every name keeps the ``SINERGI_`` prefix of :class:`shared.settings.Settings`, e.g.
``SINERGI_JOB_MARKET_URL`` (one per service), ``SINERGI_RATE_LIMIT_API`` or
``SINERGI_BODY_LIMIT_BYTES``.
Rate limits are written as the ``limits`` library parses them: ``"12000/minute"``,
``"20 per 1 minute"``, ``"5/10 seconds"``.
"""

from __future__ import annotations

import os
from typing import Literal

from limits import RateLimitItem, parse
from pydantic import Field, field_validator, model_validator
from shared.services import SERVICES
from shared.settings import Settings

MIB = 1024 * 1024

LimitName = Literal["api", "token_failures_per_client", "token_failures_per_address"]


class GatewaySettings(Settings):
    """Configuration of the gateway process."""

    service_name: str = "gateway"
    # Where each declared service (shared.services) answers, by package name. Each is read
    # from its own variable, SINERGI_<PACKAGE>_URL (SINERGI_JOB_MARKET_URL, ...), by default
    # the service's port on this machine.
    upstreams: dict[str, str] = {}
    # Time allowed for an upstream to accept the connection, then to answer.
    upstream_connect_timeout_seconds: float = 3.0
    upstream_timeout_seconds: float = 30.0
    upstream_max_connections: int = Field(default=10, ge=1)
    """Connections to each upstream at most (and kept alive between requests); requests beyond
    them wait here, in order, for one to free. The default is what one service process can
    work on at once (its database pool: 10); with several replicas behind one upstream URL,
    raise it to about 10 x replicas / gateway replicas. More in flight only queue inside the
    service, and httpx's pool does work per request that grows with the connections it holds
    (one pool of 100 shared by every upstream took half the gateway's CPU when saturated)."""
    # How long an upstream's OpenAPI document is reused before it is fetched again.
    openapi_cache_seconds: float = 300.0

    # Rate limits, kept in the gateway database so that every replica counts the same hits.
    rate_limit_enabled: bool = True
    # Proxied /api requests per client (the token's ``sub``), fixed window. 200 a second
    # sustained: far above what one regional system sends one record at a time; bulk loads
    # belong to import jobs (the demo loader sends its year as a few dozen).
    rate_limit_api: str = "12000/minute"
    # Failed POST /oauth/token authentications, moving window: the attempt after this many
    # is refused with 429 until the oldest failure leaves the window, right secret or not.
    rate_limit_token_failures_per_client: str = "20/minute"  # noqa: S105 (a limit)
    rate_limit_token_failures_per_address: str = "20/minute"  # noqa: S105 (a limit)
    # A rate-limit query that takes longer fails; the API then serves without the limit.
    rate_limit_storage_timeout_seconds: float = 2.0
    # How often rows of ended windows are removed from the database.
    rate_limit_purge_seconds: float = 300.0

    # Largest request body (bytes) by default, and for paths under a prefix (the longest
    # matching prefix wins), e.g. SINERGI_BODY_LIMIT_BY_PREFIX='{"/api/v1/imports": 104857600}'.
    body_limit_bytes: int = MIB
    body_limit_by_prefix: dict[str, int] = {}
    # The file of an import job (POST .../{collection}/imports), streamed to the service.
    import_body_limit_bytes: int = 200 * MIB
    # An upload is answered once the service has read and staged the whole file.
    import_timeout_seconds: float = 600.0

    # Event streams (GET /api/v1/streams/{domain}): the records of each topic this gateway
    # keeps in memory for its subscribers (a subscriber further behind reads from Kafka),
    # open streams per client on this gateway, and how long opening one may wait for Kafka.
    stream_buffer_events: int = 10_000
    stream_connections_per_client: int = 20
    stream_open_timeout_seconds: float = 10.0

    # Webhooks (POST /api/v1/subscriptions). The dispatcher and sender run in every gateway
    # process (off only for tests without Kafka). An endpoint must be https and resolve to a
    # public address; hosts (or host:port) listed here are allowed anyway (a partner inside a
    # government network), as is http when webhook_allow_http is set (local testing).
    webhooks_enabled: bool = True
    webhook_allowed_hosts: str = ""
    webhook_allow_http: bool = False
    webhook_timeout_seconds: float = 10.0
    webhook_poll_seconds: float = 0.5
    # A failed delivery is tried again after 5 s, 10 s, 20 s, ... up to 1 h between tries
    # (+-10 %); a subscription whose deliveries all failed for 3 days is disabled.
    webhook_retry_first_seconds: float = 5.0
    webhook_retry_longest_seconds: float = 3600.0
    webhook_disable_after_seconds: float = 3 * 24 * 3600.0
    webhook_delivered_retention_hours: float = 168.0

    @field_validator(
        "rate_limit_api",
        "rate_limit_token_failures_per_client",
        "rate_limit_token_failures_per_address",
    )
    @classmethod
    def _parsable_limit(cls, value: str) -> str:
        parse(value)  # raises ValueError on a malformed limit
        return value

    @model_validator(mode="after")
    def _every_upstream(self) -> GatewaySettings:
        """Fill in each declared service's URL not given: its variable, else its local port."""
        for service in SERVICES:
            if service.name not in self.upstreams:
                self.upstreams[service.name] = os.environ.get(
                    service.url_setting, f"http://127.0.0.1:{service.port}"
                )
        return self

    def upstream_urls(self) -> dict[str, str]:
        """Base URL of each upstream, by the upstream names of the route table."""
        return {service.name: self.upstreams[service.name] for service in SERVICES}

    def limit(self, name: LimitName) -> RateLimitItem:
        """One of the ``rate_limit_*`` settings as a ``limits`` item."""
        return parse(str(getattr(self, f"rate_limit_{name}")))
