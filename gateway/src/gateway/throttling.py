"""The gateway's rate limits: per-client API quotas and the throttling of failed token requests.

Both count in :class:`gateway.limit_storage.PostgresStorage`, so every replica counts the
same hits.

- **API quota** (fixed window, ``SINERGI_RATE_LIMIT_API``): each proxied request of a client
  (the token's ``sub``) is one hit. A replica takes a client's hits from the shared count a
  lease at a time: one statement counts ``LEASE_SHARE``-th of the limit (at least 1) and the
  replica admits that many requests of the client, until the window ends, without asking
  again (one statement for every request took an eighth of the gateway's CPU). Near the limit
  a lease is what is left, so one replica admits exactly the limit per window; with several,
  a client may be refused early by at most the leases the other replicas hold unused. Past
  the limit the answer is a 429 problem with ``Retry-After`` (seconds until the window ends).
  When the database does not answer, requests are served without the quota (logged and
  counted): the quota protects the platform, it must not take the whole API down with the
  gateway's database.
- **Token throttling** (moving window, ``SINERGI_RATE_LIMIT_TOKEN_FAILURES_PER_CLIENT`` and
  ``..._PER_ADDRESS``): an authentication attempt first takes an entry in the window of its
  client id and in that of its source address; a successful one gives both back, a failed
  one leaves them. When either window is full the attempt is refused before the secret is
  looked at, right or wrong, until the oldest failure leaves the window. Taking the entry
  before verifying means concurrent guesses cannot overtake the count.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from limits import RateLimitItem
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import StorageError
from shared.errors import ProblemError

from gateway.clients import well_formed_client_id
from gateway.limit_storage import PostgresStorage
from gateway.metrics import GatewayMetrics

log = logging.getLogger(__name__)

TOO_MANY_REQUESTS = "Too many requests"
# The window of every id that is not in the registry's format: such an id never
# authenticates, and keys stay short whatever a caller sends.
MALFORMED_CLIENT_ID = "(malformed)"


def retry_after(reset: float, *, now: float | None = None) -> int:
    """Whole seconds from now until ``reset`` (epoch seconds), at least 1."""
    return max(1, math.ceil(reset - (time.time() if now is None else now)))


class Throttled(Exception):
    """An attempt refused because its window is full; retry after ``retry_after`` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"throttled; retry after {retry_after} s")
        self.retry_after = retry_after


LEASE_SHARE = 100
"""A replica takes a client's API hits this fraction of the limit at a time (at least 1)."""


@dataclass
class _Lease:
    """Hits of one client taken from the shared count and not used yet."""

    left: int
    ends: float
    """When the window they were counted in ends (``time.monotonic()``)."""


class ApiQuota:
    """The per-client limit on proxied API requests."""

    def __init__(
        self, *, storage: PostgresStorage, limit: RateLimitItem, metrics: GatewayMetrics
    ) -> None:
        self._storage = storage
        self._limit = limit
        self._lease = max(1, limit.amount // LEASE_SHARE)
        self._leases: dict[str, _Lease] = {}
        self._metrics = metrics

    async def hit(self, client_id: str) -> None:
        """Count one request of ``client_id``; a 429 problem once it is past its quota."""
        now = time.monotonic()
        lease = self._leases.get(client_id)
        if lease is not None and lease.left > 0 and now < lease.ends:
            lease.left -= 1
            return
        try:
            count, seconds_left = await self._storage.take(
                self._limit.key_for("api", client_id), self._limit.get_expiry(), self._lease
            )
        except StorageError as exc:
            self._metrics.rate_limit_errors.inc()
            log.warning("API quota not checked, the rate-limit storage failed: %r", exc)
            return
        # Of the hits just counted, those within the limit are this replica's to admit.
        granted = min(self._lease, self._limit.amount - (count - self._lease))
        if granted > 0:
            self._leases[client_id] = _Lease(left=granted - 1, ends=now + seconds_left)
            return
        self._leases.pop(client_id, None)
        self._metrics.throttled.labels("api").inc()
        wait = max(1, math.ceil(seconds_left))
        raise ProblemError(
            429,
            f"this client sent more than {self._limit} requests; retry after {wait} s",
            kind="rate-limited",
            title=TOO_MANY_REQUESTS,
            headers={"Retry-After": str(wait)},
        )


class Attempt:
    """One token request's authentication; mark it ``failed()`` when the secret was wrong."""

    def __init__(self) -> None:
        self.counts = False

    def failed(self) -> None:
        """Keep this attempt's entries in the windows: it counts as a failure."""
        self.counts = True


class LoginThrottle:
    """Failed authentications at the token endpoint and the console's sign-in, per client id
    (or username) and per source address."""

    def __init__(
        self,
        *,
        storage: PostgresStorage,
        per_client: RateLimitItem,
        per_address: RateLimitItem,
        metrics: GatewayMetrics,
    ) -> None:
        self._storage = storage
        self._limiter = MovingWindowRateLimiter(storage)
        self._per_client = per_client
        self._per_address = per_address
        self._metrics = metrics

    @asynccontextmanager
    async def attempt(
        self, *, client_id: str, address: str | None, kind: str = "token-client"
    ) -> AsyncIterator[Attempt]:
        """Take this attempt's entries (``Throttled`` if a window is full); give them back
        on leaving unless the attempt ``failed()``. ``kind`` names whose failures
        ``client_id`` counts: an API client's (``token-client``) or a person's
        (``console-user``, ``client_id`` the username); the address counts both.

        ``limits.errors.StorageError`` when the database does not answer.
        """
        client_key = client_id if well_formed_client_id(client_id) else MALFORMED_CLIENT_ID
        windows = (
            (self._per_client, (kind, client_key)),
            (self._per_address, ("token-address", address or "unknown")),
        )
        attempt = Attempt()
        taken: list[str] = []
        try:
            for limit, identifiers in windows:
                if not await self._limiter.hit(limit, *identifiers):
                    stats = await self._limiter.get_window_stats(limit, *identifiers)
                    self._metrics.throttled.labels("token").inc()
                    raise Throttled(retry_after(stats.reset_time))
                taken.append(limit.key_for(*identifiers))
            yield attempt
        finally:
            if not attempt.counts:
                await self._give_back(taken)

    async def _give_back(self, keys: list[str]) -> None:
        try:
            for key in keys:
                await self._storage.release_entry(key)
        except StorageError as exc:
            # The entries stay and expire with their window: a success may count once.
            self._metrics.rate_limit_errors.inc()
            log.warning("token throttle entries not given back: %r", exc)
