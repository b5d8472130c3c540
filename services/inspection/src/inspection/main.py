"""Composition root of the inspection service."""

from __future__ import annotations

from fastapi import FastAPI
from shared.service import create_service_app
from shared.settings import Settings

from inspection.accidents.router import router as accidents
from inspection.companies.router import router as companies
from inspection.db import outbox
from inspection.inspections.router import router as inspections


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
        routers=[companies, inspections, accidents],
        outbox=outbox,
    )
