"""Composition root of the inspection service."""

from __future__ import annotations

from fastapi import FastAPI
from shared.service import create_service_app
from shared.settings import Settings

from inspection.accidents import router as accidents
from inspection.companies import router as companies
from inspection.db import audit_log, imports, outbox, reporting
from inspection.inspections import router as inspections


def create_app(settings: Settings | None = None) -> FastAPI:
    """The inspection API; its outbox relay publishes to ``sinergi.inspection.v1``."""
    return create_service_app(
        name="inspection",
        title="Sinergi labour inspection and K3",
        description=(
            "Companies (WLKP), labour inspections with their findings, and workplace accidents "
            "pushed by regional labour offices."
        ),
        settings=settings or Settings(service_name="inspection"),
        routers=[companies.router, inspections.router, accidents.router],
        entities=[companies.ENTITY, inspections.ENTITY, accidents.ENTITY],
        imports=imports,
        outbox=outbox,
        audit=audit_log,
        reporting=reporting,
    )
