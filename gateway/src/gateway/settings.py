"""The gateway's settings: the shared ones plus where each upstream service listens.

Every name keeps the ``SINERGI_`` prefix of :class:`shared.settings.Settings`, e.g.
``SINERGI_JOB_MARKET_URL`` or ``SINERGI_UPSTREAM_TIMEOUT_SECONDS``.
"""

from __future__ import annotations

from shared.settings import Settings


class GatewaySettings(Settings):
    """Configuration of the gateway process."""

    service_name: str = "gateway"
    job_market_url: str = "http://127.0.0.1:8101"
    training_url: str = "http://127.0.0.1:8102"
    inspection_url: str = "http://127.0.0.1:8103"
    social_security_url: str = "http://127.0.0.1:8104"
    aggregation_url: str = "http://127.0.0.1:8105"
    # Time allowed for an upstream to accept the connection, then to answer.
    upstream_connect_timeout_seconds: float = 3.0
    upstream_timeout_seconds: float = 30.0
    # How long an upstream's OpenAPI document is reused before it is fetched again.
    openapi_cache_seconds: float = 300.0

    def upstream_urls(self) -> dict[str, str]:
        """Base URL of each upstream, by the upstream names of the route table."""
        return {
            "job_market": self.job_market_url,
            "training": self.training_url,
            "inspection": self.inspection_url,
            "social_security": self.social_security_url,
            "aggregation": self.aggregation_url,
        }
