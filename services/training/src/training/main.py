"""Composition root of the training service."""

from __future__ import annotations

from fastapi import FastAPI
from shared.service import create_service_app
from shared.settings import Settings

from training.db import audit_log, imports, outbox, reporting
from training.enrollments import router as enrollments
from training.programs import router as programs


def create_app(settings: Settings | None = None) -> FastAPI:
    """The training API; its outbox relay publishes to ``sinergi.training.v1``."""
    return create_service_app(
        name="training",
        title="Sinergi training",
        description=(
            "Training programs (BPVP/BLK, LPK, companies) and enrolments with completion and "
            "BNSP certification, pushed by regional systems."
        ),
        settings=settings or Settings(service_name="training"),
        routers=[programs.router, enrollments.router],
        entities=[programs.ENTITY, enrollments.ENTITY],
        imports=imports,
        outbox=outbox,
        audit=audit_log,
        reporting=reporting,
    )
