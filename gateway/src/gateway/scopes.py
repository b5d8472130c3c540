"""The OAuth2 scopes a client may be granted: read or write, per domain, and reading the
operational metrics.

Services check the scope they need on every route; the gateway only grants them.
"""

from __future__ import annotations

from collections.abc import Iterable

from shared.http_security import METRICS_READ

SCOPE_DESCRIPTIONS: dict[str, str] = {
    "job-market:read": "Read job seekers, vacancies and placements of the token's regions",
    "job-market:write": "Write job seekers, vacancies and placements of the token's regions",
    "training:read": "Read training (pelatihan) records of the token's regions",
    "training:write": "Write training (pelatihan) records of the token's regions",
    "inspection:read": "Read labour inspection (pengawasan) records of the token's regions",
    "inspection:write": "Write labour inspection (pengawasan) records of the token's regions",
    "social-security:read": "Read social security (BPJS) membership records",
    "social-security:write": "Write social security (BPJS) membership records",
    "job-market:subscribe": "Receive the job-market event stream (SSE, webhooks) of the "
    "token's regions",
    "training:subscribe": "Receive the training event stream (SSE, webhooks) of the token's "
    "regions",
    "inspection:subscribe": "Receive the inspection event stream (SSE, webhooks) of the "
    "token's regions",
    "social-security:subscribe": "Receive the social-security event stream (SSE, webhooks) of "
    "the token's regions",
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
