"""Composition root of the industrial-relations service."""

from __future__ import annotations

from fastapi import FastAPI
from shared.service import create_service_app
from shared.settings import Settings

from industrial_relations.agreements import router as agreements
from industrial_relations.db import audit_log, imports, outbox, reporting
from industrial_relations.disputes import router as disputes
from industrial_relations.layoffs import router as layoffs
from industrial_relations.unions import router as unions


def create_app(settings: Settings | None = None) -> FastAPI:
    """The industrial-relations API; its outbox relay publishes to
    ``sinergi.industrial-relations.v1``."""
    return create_service_app(
        name="industrial-relations",
        title="Sinergi industrial relations",
        description=(
            "Layoff reports (PHK) with their workers, industrial disputes, registered collective "
            "agreements (PKB) and company regulations (PP), and trade unions, pushed by regional "
            "labour offices."
        ),
        settings=settings or Settings(service_name="industrial-relations"),
        routers=[layoffs.router, disputes.router, agreements.router, unions.router],
        entities=[layoffs.ENTITY, disputes.ENTITY, agreements.ENTITY, unions.ENTITY],
        imports=imports,
        outbox=outbox,
        audit=audit_log,
        reporting=reporting,
    )
