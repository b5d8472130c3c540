"""Settings every Sinergi process reads from its environment (prefix ``SINERGI_``).

One class for all services keeps the names identical across the runner, the Dockerfiles and
docker-compose. Secrets have development defaults so ``make run`` works on a fresh clone, and
are refused when ``SINERGI_ENVIRONMENT`` is anything other than ``development`` or ``test``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_PERSON_REF_SECRET = "sinergi-development-person-ref-secret-change-me"  # noqa: S105
# AES-256 key for personal data at rest in development and tests only (32 zero-free bytes).
DEV_DATA_KEYS = "dev:c2luZXJnaS1kZXZlbG9wbWVudC1kYXRhLWtleS0zMmI="


class Settings(BaseSettings):
    """Configuration shared by the services, the gateway and the aggregation consumer."""

    model_config = SettingsConfigDict(env_prefix="SINERGI_", extra="ignore")

    environment: str = "development"
    service_name: str = "sinergi"
    database_url: str = "postgresql://postgres@127.0.0.1:55432/postgres"
    kafka_bootstrap: str = "127.0.0.1:59092"
    # Every Kafka client authenticates (SASL/SCRAM); SASL_SSL in production, where the network
    # is not a loopback interface. The broker's ACLs decide what this principal may do.
    kafka_security_protocol: Literal["SASL_PLAINTEXT", "SASL_SSL"] = "SASL_PLAINTEXT"
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256"] = "SCRAM-SHA-512"
    kafka_username: str = ""
    kafka_password: str = ""
    kafka_ssl_cafile: Path | None = None
    jwt_public_key_path: Path = Path(".local/secrets/jwt-public.pem")
    jwt_private_key_path: Path = Path(".local/secrets/jwt-private.pem")
    jwt_issuer: str = "sinergi-gateway"
    jwt_audience: str = "sinergi"
    token_ttl_seconds: int = 900
    person_ref_secret: str = DEV_PERSON_REF_SECRET
    # Keys of personal data at rest (shared.crypto): "<id>:<base64 32 bytes>", first encrypts.
    data_keys: str = DEV_DATA_KEYS
    outbox_poll_seconds: float = 1.0
    """How often the relay looks for unpublished outbox rows on its own. A commit that adds
    events wakes it at once (``wake_relay``, the import worker); the poll only picks up rows
    a failed publish or another replica left, so a short one costs every idle service a
    transaction per tick (at 0.1 s: 5 % of a core each)."""
    outbox_retention_hours: float = Field(default=168.0, gt=0)
    """Published outbox rows older than this are removed (they are on Kafka)."""
    outbox_purge_seconds: float = Field(default=600.0, gt=0)
    """How often the relay removes them, whatever the volume it published."""
    consumer_max_attempts: int = Field(default=3, ge=1)
    """Tries of an event that fails for a lasting reason before it goes to its topic's DLQ
    (``shared.dlq`` says which reasons are lasting; passing ones are retried without end)."""
    relay_enabled: bool = True
    audit_enabled: bool = True
    """Record writes and personal-data reads in the audit trail (off only to measure its cost)."""
    audit_seal_seconds: float = 0.5
    participating_regions: str = ""
    """Regencies expected to report (comma-separated codes) for the reporting-rate indicators;
    empty: the pilot regions of the data-integration agreement."""
    reporting_on_time_days: int = 15
    """A period closed within this many days after its last day counts as closed on time."""

    @property
    def is_development(self) -> bool:
        """Whether development defaults (secrets, credentials) are acceptable."""
        return self.environment in {"development", "test"}

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if not self.is_development:
            if self.person_ref_secret == DEV_PERSON_REF_SECRET:
                raise ValueError("SINERGI_PERSON_REF_SECRET must be set outside development")
            if self.data_keys == DEV_DATA_KEYS:
                raise ValueError("SINERGI_DATA_KEYS must be set outside development")
            # A process that talks to Kafka refuses to start without its credentials
            # (KafkaAccess.from_settings); one that does not (the gateway) needs none.
            if self.kafka_username and not self.kafka_password:
                raise ValueError("SINERGI_KAFKA_PASSWORD must be set outside development")
        return self
