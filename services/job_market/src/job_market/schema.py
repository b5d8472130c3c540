"""Every table of the job-market database, for Alembic."""

from job_market.db import metadata
from job_market.job_seekers.models import JobSeeker
from job_market.placements.models import Placement
from job_market.vacancies.models import Vacancy

__all__ = ["JobSeeker", "Placement", "Vacancy", "metadata"]
