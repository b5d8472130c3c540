"""Test-suite wiring: the real PostgreSQL and Kafka fixtures live in ``sinergi_local.testing``."""

pytest_plugins = ["sinergi_local.testing"]
