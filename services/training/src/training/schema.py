"""Every table of the training database, for Alembic."""

from training.db import metadata
from training.enrollments.models import Enrollment
from training.programs.models import Program

__all__ = ["Enrollment", "Program", "metadata"]
