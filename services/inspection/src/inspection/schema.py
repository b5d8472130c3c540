"""Every table of the inspection database, for Alembic."""

from inspection.accidents.models import Accident, AccidentVictimRow
from inspection.companies.models import Company
from inspection.db import metadata
from inspection.inspections.models import Inspection

__all__ = ["Accident", "AccidentVictimRow", "Company", "Inspection", "metadata"]
