"""Test-suite wiring: the real PostgreSQL and Kafka fixtures live in ``sinergi_local.testing``.

The installed ``gateway`` and ``shared`` packages are imported first: under pytest's
importlib mode the test folders ``gateway/tests`` and ``shared/tests`` would otherwise make
pytest register the repository folders ``gateway/`` and ``shared/`` as namespace packages of
those names, hiding ``gateway/src/gateway`` and ``shared/src/shared``.
"""

import gateway  # noqa: F401
import shared  # noqa: F401

pytest_plugins = ["sinergi_local.testing"]
