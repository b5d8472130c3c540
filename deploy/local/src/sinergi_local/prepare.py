"""``python -m sinergi_local.prepare``: one-shot set-up for docker-compose or a server.

Creates the service databases on an external PostgreSQL, migrates them, creates the Kafka
topics, makes the JWT key pair and registers the demo clients: what ``make run`` does before
it starts processes, for deployments where something else starts them.

Environment: ``SINERGI_POSTGRES_ADMIN_URL`` (a URL to the ``postgres`` database of a role
that may create databases), ``SINERGI_KAFKA_BOOTSTRAP``, ``SINERGI_STATE_DIR`` (keys and
``demo-clients.json``), ``SINERGI_GATEWAY_PUBLIC_URL`` (written into the demo-clients file).
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from sinergi_local.platform import Platform, PlatformConfig
from sinergi_local.postgres import ExternalPostgres

log = logging.getLogger("sinergi")


@dataclass(frozen=True)
class ExternalKafka:
    """A Kafka cluster someone else runs."""

    bootstrap_servers: str


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    state_dir = Path(os.environ.get("SINERGI_STATE_DIR", "/var/lib/sinergi"))
    gateway_url = os.environ.get("SINERGI_GATEWAY_PUBLIC_URL", "http://127.0.0.1:8000")
    config = PlatformConfig(state_dir=state_dir, gateway_port=urlparse(gateway_url).port or 8000)
    platform = Platform(
        config,
        postgres=ExternalPostgres(os.environ["SINERGI_POSTGRES_ADMIN_URL"]),
        kafka=ExternalKafka(os.environ["SINERGI_KAFKA_BOOTSTRAP"]),
    )
    platform.prepare()
    path = platform.register_demo_clients()
    log.info("databases migrated, topics created, demo clients in %s", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
