"""Every table of the job-market database, for Alembic."""

from job_market.db import metadata
from job_market.employment_programs.models import EmploymentProgram
from job_market.job_seekers.models import JobSeeker
from job_market.placements.models import Placement
from job_market.program_beneficiaries.models import Beneficiary
from job_market.vacancies.models import Vacancy

__all__ = ["Beneficiary", "EmploymentProgram", "JobSeeker", "Placement", "Vacancy", "metadata"]
