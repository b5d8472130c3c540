"""Every place that names the services agrees with their one declaration (``shared.services``).

What reads Python follows from ``SERVICES`` by itself; what cannot (TOML, INI, the Makefile,
the generated compose file, each service's own modules) is compared with it here, so adding a
service to the declaration and forgetting one of these fails with the place to fix.
"""

from __future__ import annotations

import configparser
import importlib
import re
import tomllib
from pathlib import Path

import pytest
from shared.events.base import EVENT_TYPE_PREFIX
from shared.services import DOMAIN_SERVICES, SERVICES, ServiceDeclaration
from sinergi_local import compose

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
NAMES = [service.name for service in SERVICES]


def _distribution(service: ServiceDeclaration) -> str:
    return "sinergi-" + service.host


def test_every_service_is_a_workspace_member_and_a_dependency() -> None:
    dependencies = PYPROJECT["project"]["dependencies"]
    sources = PYPROJECT["tool"]["uv"]["sources"]
    for service in SERVICES:
        assert (ROOT / "services" / service.name / "pyproject.toml").exists(), service.name
        assert _distribution(service) in dependencies, f"pyproject.toml: {service.name}"
        assert sources.get(_distribution(service)) == {"workspace": True}, service.name


def test_type_checks_and_import_contracts_cover_every_service() -> None:
    paths = PYPROJECT["tool"]["mypy"]["mypy_path"].split(":")
    linter = PYPROJECT["tool"]["importlinter"]
    independent, forbidden = (
        next(c for c in linter["contracts"] if c["type"] == kind)
        for kind in ("independence", "forbidden")
    )
    makefile = (ROOT / "Makefile").read_text()
    checked = set(re.findall(r"-p (\w+)", makefile))
    for name in NAMES:
        assert f"services/{name}/src" in paths, f"pyproject.toml mypy_path: {name}"
        assert name in linter["root_packages"], f"pyproject.toml root_packages: {name}"
        assert name in independent["modules"], f"independence contract: {name}"
        assert name in forbidden["forbidden_modules"], f"forbidden contract: {name}"
        assert name in checked, f"Makefile lint: mypy -p {name}"


def test_every_service_has_its_alembic_environment() -> None:
    ini = configparser.ConfigParser()
    ini.read(ROOT / "migrations" / "alembic.ini")
    for name in NAMES:
        assert ini.has_section(name), f"migrations/alembic.ini: [{name}]"
        assert (ROOT / "migrations" / name / "env.py").exists(), name
        assert list((ROOT / "migrations" / name / "versions").glob("0001_*.py")), name


@pytest.mark.parametrize("service", DOMAIN_SERVICES, ids=lambda s: s.name)
def test_a_domain_service_publishes_the_declared_topic(service: ServiceDeclaration) -> None:
    events = importlib.import_module(service.events_module)
    assert events.TOPIC == service.topic
    assert events.SOURCE == service.source
    for event in events.EVENTS:
        assert event.topic == service.topic and event.source == service.source, event
        assert event.event_type.startswith(f"{EVENT_TYPE_PREFIX}{service.name}."), event


@pytest.mark.parametrize("service", SERVICES, ids=lambda s: s.name)
def test_a_service_answers_under_its_declared_prefixes(service: ServiceDeclaration) -> None:
    from shared.settings import Settings

    app = importlib.import_module(f"{service.name}.main").create_app(
        Settings(environment="test", service_name=service.name)
    )
    api = [path for path in app.openapi()["paths"] if path.startswith("/api/")]
    assert api, service.name
    for path in api:
        assert any(path == p or path.startswith(p + "/") for p in service.prefixes), path
    for prefix in service.prefixes:
        assert any(path.startswith(prefix) for path in api), f"{service.name}: nothing at {prefix}"


def test_the_compose_file_is_generated_from_the_declaration() -> None:
    assert (ROOT / "docker-compose.yml").read_text() == compose.render(), (
        "docker-compose.yml is stale: uv run --frozen python -m sinergi_local.compose"
    )


def test_ports_and_names_are_unique() -> None:
    assert len(set(NAMES)) == len(NAMES)
    assert len({service.port for service in SERVICES}) == len(SERVICES)
    domains = [service.domain for service in DOMAIN_SERVICES]
    assert len(set(domains)) == len(domains)
