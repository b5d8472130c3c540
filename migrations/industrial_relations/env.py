"""Alembic environment of the industrial-relations database."""

from industrial_relations.schema import metadata
from shared.migrate import run_env

run_env(metadata)
