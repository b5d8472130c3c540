"""The platform's services, declared once.

Everything that names a service reads it from ``SERVICES``: the gateway (its route table,
upstream URLs, scopes, the stream and webhook domains), the local runner (processes, ports,
databases, Kafka principals and ACLs, the demo clients' scopes), the event catalogue (one
topic per domain service), the aggregation's consumer (every domain topic), and the generated
``docker-compose.yml``. What cannot read Python (``pyproject.toml``'s workspace, mypy and
import-linter lists, ``migrations/alembic.ini``, the Makefile's mypy packages) is checked
against it by ``tests/contract/test_services.py``. ``docs/ADDING_A_DOMAIN.md`` is the recipe.

Names derived from a declaration (``job_market``, domain ``job-market``):

=====================  =====================================================================
Python package         ``job_market`` (``services/job_market/src/job_market``), app factory
                       ``job_market.main:create_app``, process and PostgreSQL role name
Database               ``sinergi_job_market``, Alembic section ``[job_market]``
Public paths           ``/api/v1/job-market/...``
Scopes                 ``job-market:read``, ``job-market:write``, ``job-market:subscribe``
Topic, event source    ``sinergi.job-market.v1``, ``/sinergi/job-market``; events in
                       ``shared.events.job_market``
Kafka principal        ``job-market`` (writes its topic only)
Upstream URL setting   ``SINERGI_JOB_MARKET_URL`` (the gateway's)
=====================  =====================================================================
"""

from __future__ import annotations

from dataclasses import dataclass

API = "/api/v1"


@dataclass(frozen=True)
class ServiceDeclaration:
    """One backend service behind the gateway."""

    name: str
    """The Python package (``job_market``): process, database, role and Alembic names."""
    port: int
    """Where it listens on one machine (``make run``, docker-compose)."""
    title: str
    """What it holds, for people (scope descriptions, the compose file's comments)."""
    domain: str | None = None
    """A domain service's name in paths, scopes, its topic and its Kafka principal
    (``job-market``); None for the aggregation, which owns no topic."""
    paths: tuple[str, ...] = ()
    """Further public path prefixes it answers (the aggregation: indicators, regions)."""
    regional_write: bool = True
    """Whether regional labour offices write it (social security is written by BPJS)."""

    @property
    def factory(self) -> str:
        """The uvicorn app factory."""
        return f"{self.name}.main:create_app"

    @property
    def database(self) -> str:
        """Its PostgreSQL database (owned by the role named after the package)."""
        return f"sinergi_{self.name}"

    @property
    def url_setting(self) -> str:
        """The gateway's setting naming where the service answers."""
        return f"SINERGI_{self.name.upper()}_URL"

    @property
    def host(self) -> str:
        """Its host name in docker-compose."""
        return self.name.replace("_", "-")

    @property
    def prefixes(self) -> tuple[str, ...]:
        """The public path prefixes the gateway routes to it."""
        own = (f"{API}/{self.domain}",) if self.domain else ()
        return own + self.paths

    @property
    def topic(self) -> str:
        """The domain's event topic."""
        return f"sinergi.{self._domain}.v1"

    @property
    def source(self) -> str:
        """The CloudEvent ``source`` of its events."""
        return f"/sinergi/{self._domain}"

    @property
    def kafka_user(self) -> str:
        """Its Kafka principal."""
        return self.domain or self.name

    @property
    def events_module(self) -> str:
        """The module declaring its events (``TOPIC``, ``SOURCE``, ``EVENTS``)."""
        return f"shared.events.{self.name}"

    def scope(self, action: str) -> str:
        """``<domain>:read``, ``:write`` or ``:subscribe``."""
        return f"{self._domain}:{action}"

    @property
    def _domain(self) -> str:
        if self.domain is None:
            raise ValueError(f"{self.name} is not a domain service")
        return self.domain


SERVICES: tuple[ServiceDeclaration, ...] = (
    ServiceDeclaration("job_market", 8101, "job seekers, vacancies and placements", "job-market"),
    ServiceDeclaration(
        "training", 8102, "training (pelatihan) programs and enrolments", "training"
    ),
    ServiceDeclaration(
        "inspection", 8103, "labour inspection (pengawasan), K3 and accidents", "inspection"
    ),
    ServiceDeclaration(
        "social_security",
        8104,
        "social security (BPJS Ketenagakerjaan) memberships and claims",
        "social-security",
        regional_write=False,
    ),
    ServiceDeclaration(
        "industrial_relations",
        8106,
        "industrial relations: layoffs (PHK), disputes, collective agreements and unions",
        "industrial-relations",
    ),
    ServiceDeclaration(
        "aggregation",
        8105,
        "labour-market indicators and the region list",
        paths=(f"{API}/indicators", f"{API}/regions"),
    ),
)
"""Every backend service, domain services first (in the order of their topics)."""

DOMAIN_SERVICES: tuple[ServiceDeclaration, ...] = tuple(s for s in SERVICES if s.domain)
"""The services owning a domain: a topic, records, scopes."""

DOMAINS: tuple[str, ...] = tuple(s._domain for s in DOMAIN_SERVICES)
"""Every domain's name (``job-market``, ...)."""

GATEWAY_PORT = 8000


def by_name(name: str) -> ServiceDeclaration:
    """The declaration of service ``name`` (KeyError if there is none)."""
    for service in SERVICES:
        if service.name == name:
            return service
    raise KeyError(name)


def by_domain(domain: str) -> ServiceDeclaration:
    """The declaration of the service owning ``domain`` (KeyError if there is none)."""
    for service in DOMAIN_SERVICES:
        if service.domain == domain:
            return service
    raise KeyError(domain)
