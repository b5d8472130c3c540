"""Test-suite wiring: the real PostgreSQL and Kafka fixtures live in ``sinergi_local.testing``.

The installed ``gateway`` package is imported first: under pytest's importlib mode the test
folder ``gateway/tests`` would otherwise make pytest register the repository folder
``gateway/`` as a namespace package of that name and hide ``gateway/src/gateway``.
"""

import gateway  # noqa: F401

pytest_plugins = ["sinergi_local.testing"]
