"""Alembic environment of the inspection database."""

from inspection.schema import metadata
from shared.migrate import run_env

run_env(metadata)
