"""Settings every Sinergi process reads from its environment (prefix ``SINERGI_``).

One class for all services keeps the names identical across the runner, the Dockerfiles and
docker-compose. Secrets have development defaults so ``make run`` works on a fresh clone, and
are refused when ``SINERGI_ENVIRONMENT`` is anything other than ``development`` or ``test``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_PERSON_REF_SECRET = "sinergi-development-person-ref-secret-change-me"  # noqa: S105


class Settings(BaseSettings):
    """Configuration shared by the services, the gateway and the aggregation consumer."""

    model_config = SettingsConfigDict(env_prefix="SINERGI_", extra="ignore")

    environment: str = "development"
    service_name: str = "sinergi"
    database_url: str = "postgresql://postgres@127.0.0.1:55432/postgres"
    kafka_bootstrap: str = "127.0.0.1:59092"
    jwt_public_key_path: Path = Path(".local/secrets/jwt-public.pem")
    jwt_private_key_path: Path = Path(".local/secrets/jwt-private.pem")
    jwt_issuer: str = "sinergi-gateway"
    jwt_audience: str = "sinergi"
    token_ttl_seconds: int = 900
    person_ref_secret: str = DEV_PERSON_REF_SECRET
    outbox_poll_seconds: float = 0.1
    relay_enabled: bool = True

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.environment not in {"development", "test"}:
            if self.person_ref_secret == DEV_PERSON_REF_SECRET:
                raise ValueError("SINERGI_PERSON_REF_SECRET must be set outside development")
        return self
