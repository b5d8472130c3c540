"""Alembic environment of the social-security database."""

from shared.migrate import run_env
from social_security.schema import metadata

run_env(metadata)
