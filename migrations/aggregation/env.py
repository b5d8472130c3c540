"""Alembic environment of the aggregation database (projections and inbox)."""

from aggregation.projections.tables import metadata
from shared.migrate import run_env

run_env(metadata)
