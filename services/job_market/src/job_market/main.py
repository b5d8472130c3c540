"""Composition root of the job-market service."""

from __future__ import annotations

from fastapi import FastAPI
from shared.service import create_service_app
from shared.settings import Settings

from job_market.db import audit_log, imports, outbox, reporting
from job_market.employment_programs import router as employment_programs
from job_market.job_seekers import router as job_seekers
from job_market.placements import router as placements
from job_market.program_beneficiaries import router as program_beneficiaries
from job_market.vacancies import router as vacancies


def create_app(settings: Settings | None = None) -> FastAPI:
    """The job-market API; its outbox relay publishes to ``sinergi.job-market.v1``."""
    return create_service_app(
        name="job-market",
        title="Sinergi job market",
        description=(
            "Job seekers (AK/I), vacancies, placements and employment-expansion programs with "
            "their beneficiaries, pushed by regional systems."
        ),
        settings=settings or Settings(service_name="job-market"),
        routers=[
            job_seekers.router,
            vacancies.router,
            placements.router,
            employment_programs.router,
            program_beneficiaries.router,
        ],
        entities=[
            job_seekers.ENTITY,
            vacancies.ENTITY,
            placements.ENTITY,
            employment_programs.ENTITY,
            program_beneficiaries.ENTITY,
        ],
        imports=imports,
        outbox=outbox,
        audit=audit_log,
        reporting=reporting,
    )
