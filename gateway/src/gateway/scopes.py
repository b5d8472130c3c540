"""The OAuth2 scopes a client may be granted: read, write or subscribe per domain (one set
per declared domain service, ``shared.services``), indicators, the audit trail, and reading the
operational metrics.

Services check the scope they need on every route; the gateway only grants them.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.http_security import METRICS_READ
from shared.services import DOMAIN_SERVICES

SCOPE_DESCRIPTIONS: dict[str, str] = {
    **{
        service.scope(action): description.format(title=service.title, domain=service.domain)
        for service in DOMAIN_SERVICES
        for action, description in (
            ("read", "Read {title} of the token's regions"),
            ("write", "Write {title} of the token's regions"),
            (
                "subscribe",
                "Receive the {domain} event stream (SSE, webhooks) of the token's regions",
            ),
        )
    },
    "indicators:read": "Read labour-market indicators of any region (small counts of other "
    "regions suppressed)",
    "indicators:read-exact": "Read every indicator value exactly, small counts included",
    "audit:read": "Read the audit trail (who wrote or read a record) of the token's regions",
    METRICS_READ: "Read the Prometheus metrics (/metrics) of the gateway and the services",
}

SCOPES: tuple[str, ...] = tuple(SCOPE_DESCRIPTIONS)


def unknown_scopes(scopes: Iterable[str]) -> list[str]:
    """The entries of ``scopes`` that are not scopes of the platform, in order."""
    return [s for s in scopes if s not in SCOPE_DESCRIPTIONS]
