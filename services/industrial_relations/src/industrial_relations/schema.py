"""Every table of the industrial-relations database, for Alembic."""

from industrial_relations.agreements.models import Agreement
from industrial_relations.db import metadata
from industrial_relations.disputes.models import Dispute
from industrial_relations.layoffs.models import LaidOffWorker, Layoff
from industrial_relations.unions.models import Union

__all__ = ["Agreement", "Dispute", "LaidOffWorker", "Layoff", "Union", "metadata"]
