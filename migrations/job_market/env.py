"""Alembic environment of the job-market database."""

from job_market.schema import metadata
from shared.migrate import run_env

run_env(metadata)
