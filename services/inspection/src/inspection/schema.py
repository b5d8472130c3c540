"""Every table of the inspection database, for Alembic."""

from inspection.accidents.models import Accident, Victim
from inspection.companies.models import Company
from inspection.db import metadata
from inspection.inspections.models import Inspection

__all__ = ["Accident", "Victim", "Company", "Inspection", "metadata"]
