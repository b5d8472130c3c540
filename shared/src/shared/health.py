"""Liveness and readiness, for orchestrators and load balancers.

- ``GET /health/live``: the process answers (restart it when this fails);
- ``GET /health/ready``: it can do its work: its database answers and Kafka takes a
  connection (stop sending it traffic while this is 503; it recovers by itself);
- ``GET /health`` stays what it was: the process and its database.

Kafka is asked at most every ``KafkaProbe.every`` seconds (a connection with SASL costs more
than a readiness probe should), the last answer is reused in between.
"""

from __future__ import annotations

import asyncio
import time
from typing import Literal

from shared.kafka import KafkaAccess, make_admin

Status = Literal["up", "down"]


class KafkaProbe:
    """Whether Kafka takes a connection as this process's principal, cached for ``every``."""

    def __init__(self, access: KafkaAccess, *, every: float = 15.0, timeout: float = 3.0) -> None:
        self._access = access
        self._every = every
        self._timeout = timeout
        self._checked = -float("inf")
        self._status: Status = "down"
        self._lock = asyncio.Lock()

    async def status(self) -> Status:
        """``up`` when the last check (at most ``every`` seconds old) reached a broker."""
        async with self._lock:
            if time.monotonic() - self._checked >= self._every:
                self._status = await self._check()
                self._checked = time.monotonic()
            return self._status

    async def _check(self) -> Status:
        admin = make_admin(self._access, client_id="sinergi-health")
        try:
            await asyncio.wait_for(admin.start(), timeout=self._timeout)
            await asyncio.wait_for(admin.describe_cluster(), timeout=self._timeout)
        except Exception:  # noqa: BLE001 - any failure to reach a broker means: not ready
            return "down"
        finally:
            try:
                await admin.close()
            except Exception:  # noqa: BLE001, S110 - a client that never started
                pass
        return "up"
