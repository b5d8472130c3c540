"""Alembic environment of the gateway database (the client registry)."""

from gateway.models import metadata
from shared.migrate import run_env

run_env(metadata)
