"""What each kind of account may do: the scopes of a role, for people and demo clients alike.

A role grants the same scopes a client of that kind holds, so a person sees and changes exactly
what their office's system could through the API:

- ``regional_officer``: a regional labour office (Disnaker) for its regions: read, write and
  subscribe to every domain its regions report (read and subscribe only where another body
  writes, as BPJS does for social security), and the indicators;
- ``ministry_analyst``: the ministry (Kemnaker Pusdatin): read and subscribe to every domain
  everywhere, and every indicator value exactly;
- ``admin``: an analyst who also reads the audit trail and the operational metrics.
"""

from __future__ import annotations

from typing import Literal

from shared.http_security import METRICS_READ
from shared.services import DOMAIN_SERVICES

Role = Literal["regional_officer", "ministry_analyst", "admin"]
ROLES: tuple[Role, ...] = ("regional_officer", "ministry_analyst", "admin")

REGIONAL_SCOPES: tuple[str, ...] = (
    *(
        service.scope(action)
        for service in DOMAIN_SERVICES
        for action in ("read", "write", "subscribe")
        if action != "write" or service.regional_write
    ),
    "indicators:read",
)
"""A regional labour office: its regions' records of every domain it reports."""

MINISTRY_SCOPES: tuple[str, ...] = (
    *(service.scope(action) for service in DOMAIN_SERVICES for action in ("read", "subscribe")),
    "indicators:read",
    "indicators:read-exact",
)
"""The ministry: reads and subscribes to everything, writes nothing."""

ROLE_SCOPES: dict[Role, tuple[str, ...]] = {
    "regional_officer": REGIONAL_SCOPES,
    "ministry_analyst": MINISTRY_SCOPES,
    "admin": (*MINISTRY_SCOPES, "audit:read", METRICS_READ),
}
