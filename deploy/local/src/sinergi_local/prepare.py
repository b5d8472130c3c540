"""``python -m sinergi_local.prepare``: one-shot set-up for docker-compose or a server.

Creates each service's PostgreSQL role and database on an external PostgreSQL (the role owns
its database alone, as ``make run`` does it) and migrates it as that role, creates the Kafka
topics, makes the JWT key pair and registers the demo clients: what ``make run`` does before
it starts processes, for deployments where something else starts them. The Kafka principals
and ACLs are the broker's own set-up (docker-compose: ``deploy/docker/kafka-access.sh``).

Environment: ``SINERGI_POSTGRES_ADMIN_URL`` (a URL to the ``postgres`` database of a role
that may create roles and databases), ``SINERGI_KAFKA_BOOTSTRAP``,
``SINERGI_KAFKA_SECURITY_PROTOCOL`` (``SASL_PLAINTEXT``, or ``SASL_SSL`` with
``SINERGI_KAFKA_SSL_CAFILE``), ``SINERGI_STATE_DIR`` (keys and ``demo-clients.json``),
``SINERGI_GATEWAY_PUBLIC_URL`` (written into the demo-clients file). Passwords are those of
``<state dir>/secrets`` unless ``SINERGI_SECRET_<NAME>`` gives them (``sinergi_local.secrets``):
``SINERGI_SECRET_KAFKA_ADMIN``, ``SINERGI_SECRET_KAFKA_KEMNAKER_PUSDATIN`` and
``SINERGI_SECRET_POSTGRES_<SERVICE>`` for each of the six roles.
"""

from __future__ import annotations

import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

from shared.kafka import KafkaAccess

from sinergi_local.access import kafka_admin_password
from sinergi_local.kafka import ADMIN_USER, SASL_MECHANISM
from sinergi_local.platform import Platform, PlatformConfig
from sinergi_local.postgres import ExternalPostgres
from sinergi_local.secrets import SecretStore

log = logging.getLogger("sinergi")


@dataclass(frozen=True)
class ExternalKafka:
    """A Kafka cluster someone else runs, and its super user's access."""

    bootstrap_servers: str
    admin: KafkaAccess


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    state_dir = Path(os.environ.get("SINERGI_STATE_DIR", "/var/lib/sinergi"))
    gateway_url = os.environ.get("SINERGI_GATEWAY_PUBLIC_URL", "http://127.0.0.1:8000")
    config = PlatformConfig(state_dir=state_dir, gateway_port=urlparse(gateway_url).port or 8000)
    bootstrap = os.environ["SINERGI_KAFKA_BOOTSTRAP"]
    cafile = os.environ.get("SINERGI_KAFKA_SSL_CAFILE")
    admin = KafkaAccess(
        bootstrap=bootstrap,
        username=ADMIN_USER,
        password=kafka_admin_password(SecretStore(config.secrets)),
        security_protocol=os.environ.get("SINERGI_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT"),
        sasl_mechanism=SASL_MECHANISM,
        ssl_cafile=Path(cafile) if cafile else None,
    )
    platform = Platform(
        config,
        postgres=ExternalPostgres(os.environ["SINERGI_POSTGRES_ADMIN_URL"]),
        kafka=ExternalKafka(bootstrap, admin),
    )
    platform.prepare()
    path = platform.register_demo_clients()
    platform.register_demo_users()
    log.info("databases migrated, topics created, demo clients in %s", path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
