"""Who may do what on the platform's Kafka: one principal per writer and per reader.

* each domain service's outbox relay (``job-market``, ``training``, ``inspection``,
  ``social-security``) may write (and describe) its own topic ``sinergi.<domain>.v1`` and
  nothing else, idempotently;
* ``aggregation`` may read every domain topic, as its consumer group ``sinergi-aggregation``,
  and write (and read, to replay) their dead-letter topics ``<topic>.dlq``;
* ``gateway`` may read every domain topic: the SSE streams (partitions assigned, no group) and
  the webhook dispatcher (consumer groups whose names start with ``sinergi-gateway.``);
* the ministry's subscriber ``kemnaker-pusdatin`` may read every domain topic, in consumer
  groups whose names start with ``kemnaker-pusdatin.``, and write nothing;
* ``admin`` is the broker's super user (topics, these ACLs), used by the set-up only.

Passwords are generated per installation into the secrets folder (``kafka/<principal>``, see
``sinergi_local.secrets``). PostgreSQL's roles are simpler: one per service, named after it,
password ``postgres/<service>``; the superuser's is ``postgres/postgres``.
"""

from __future__ import annotations

from shared.dlq import dlq_topic
from shared.events import TOPICS

from sinergi_local.kafka import ADMIN_USER, CLUSTER, KafkaGrant
from sinergi_local.secrets import SecretStore

__all__ = [
    "AGGREGATION_GROUP",
    "AGGREGATION_USER",
    "GATEWAY_GROUP_PREFIX",
    "GATEWAY_USER",
    "MINISTRY_GROUP_PREFIX",
    "MINISTRY_USER",
    "domain_user",
    "kafka_admin_password",
    "kafka_grants",
    "kafka_users",
    "postgres_password",
    "postgres_superuser_password",
]

AGGREGATION_USER = "aggregation"
# Must match aggregation.consumer.GROUP_ID (not imported: the runner does not load services).
AGGREGATION_GROUP = "sinergi-aggregation"
GATEWAY_USER = "gateway"
GATEWAY_GROUP_PREFIX = "sinergi-gateway."
MINISTRY_USER = "kemnaker-pusdatin"
MINISTRY_GROUP_PREFIX = "kemnaker-pusdatin."


def domain_user(topic: str) -> str:
    """The principal of the service owning ``topic`` (``sinergi.job-market.v1``: ``job-market``)."""
    return topic.split(".")[1]


def kafka_users(secrets: SecretStore) -> dict[str, str]:
    """Every principal but the admin, with its password."""
    names = [
        *(domain_user(topic) for topic in TOPICS),
        AGGREGATION_USER,
        GATEWAY_USER,
        MINISTRY_USER,
    ]
    return {name: secrets.get(f"kafka/{name}") for name in names}


def kafka_admin_password(secrets: SecretStore) -> str:
    """The Kafka super user's password."""
    return secrets.get(f"kafka/{ADMIN_USER}")


def kafka_grants() -> list[KafkaGrant]:
    """The platform's ACLs (see the module docstring)."""
    grants: list[KafkaGrant] = []
    for topic in TOPICS:
        writer = domain_user(topic)
        grants += [
            KafkaGrant(writer, "TOPIC", topic, ("WRITE", "DESCRIBE")),
            KafkaGrant(writer, "CLUSTER", CLUSTER, ("IDEMPOTENT_WRITE",)),
            KafkaGrant(AGGREGATION_USER, "TOPIC", topic, ("READ", "DESCRIBE")),
            KafkaGrant(AGGREGATION_USER, "TOPIC", dlq_topic(topic), ("WRITE", "READ", "DESCRIBE")),
            KafkaGrant(GATEWAY_USER, "TOPIC", topic, ("READ", "DESCRIBE")),
            KafkaGrant(MINISTRY_USER, "TOPIC", topic, ("READ", "DESCRIBE")),
        ]
    grants += [
        KafkaGrant(AGGREGATION_USER, "GROUP", AGGREGATION_GROUP, ("READ", "DESCRIBE")),
        KafkaGrant(AGGREGATION_USER, "CLUSTER", CLUSTER, ("IDEMPOTENT_WRITE",)),
        KafkaGrant(
            GATEWAY_USER, "GROUP", GATEWAY_GROUP_PREFIX, ("READ", "DESCRIBE"), prefixed=True
        ),
        KafkaGrant(
            MINISTRY_USER, "GROUP", MINISTRY_GROUP_PREFIX, ("READ", "DESCRIBE"), prefixed=True
        ),
    ]
    return grants


def postgres_superuser_password(secrets: SecretStore) -> str:
    """The PostgreSQL superuser's password (set-up and migrations' database creation only)."""
    return secrets.get("postgres/postgres")


def postgres_password(secrets: SecretStore, role: str) -> str:
    """The password of a service's PostgreSQL role."""
    return secrets.get(f"postgres/{role}")
