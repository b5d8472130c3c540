"""Composition root of the social-security service."""

from __future__ import annotations

from fastapi import FastAPI
from shared.service import create_service_app
from shared.settings import Settings

from social_security.claims import router as claims
from social_security.db import audit_log, imports, outbox, reporting
from social_security.memberships import router as memberships


def create_app(settings: Settings | None = None) -> FastAPI:
    """The social-security API; its outbox relay publishes to ``sinergi.social-security.v1``."""
    return create_service_app(
        name="social-security",
        title="Sinergi social security",
        description=(
            "BPJS Ketenagakerjaan memberships (kepesertaan: JKK, JKM, JHT, JP, JKP) and "
            "benefit claims, pushed by BPJS and the regions."
        ),
        settings=settings or Settings(service_name="social-security"),
        routers=[memberships.router, claims.router],
        entities=[memberships.ENTITY, claims.ENTITY],
        imports=imports,
        outbox=outbox,
        audit=audit_log,
        reporting=reporting,
    )
