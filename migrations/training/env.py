"""Alembic environment of the training database."""

from shared.migrate import run_env
from training.schema import metadata

run_env(metadata)
