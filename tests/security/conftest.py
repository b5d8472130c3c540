"""The security suite's fixtures: the real platform reached the way an outside tester reaches it.

Everything goes through the gateway of the session's ``platform`` (``sinergi_local.testing``:
services and gateway as processes on the real PostgreSQL and Kafka), except where a test
attacks another surface on purpose (a service's own port, the database or the broker).

What the attacker brings is here too:

- ``tokens``: Bearer headers of the demo clients and of the suite's own clients (registered at
  the start of the session, each with every domain scope for one region, so that one attack's
  load or lock-out never touches another test's client), from the real ``/oauth/token``;
- ``signer``: tokens signed with the platform's own key (to test one claim at a time);
- ``factory``: valid request bodies of every entity, with fresh NIKs and names;
- ``dossier``: one record of every entity seeded by a client, for the cross-region tests;
- ``openapi``: the gateway's merged OpenAPI document, flattened into operations and fields so
  that generated tests cover new endpoints without being edited;
- ``sent``: every NIK, name, secret and token sent during the session, for the log scan;
- ``db_counts``: row counts of the domain databases ("nothing was written").

Test modules receive helpers through fixtures (the suite's test modules cannot import each
other under ``--import-mode=importlib``).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import secrets
import string
import time
import uuid
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Iterable,
    Iterator,
    Mapping,
    Sequence,
)
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

import httpx
import jwt
import pytest
from shared.identifiers import nik_for
from shared.regions import registry
from shared.services import DOMAIN_SERVICES, SERVICES
from shared.settings import Settings
from sinergi_local.platform import DemoClient, Platform
from sinergi_local.testing import CLIENT_LIMITS, sql_runner

T = TypeVar("T")
BEKASI, BANDUNG, SUBANG = "32.16", "32.73", "32.13"
MINISTRY = "kemnaker-pusdatin"
BPJS = "bpjs-ketenagakerjaan"

DOMAIN_SCOPES = (
    *(service.scope(action) for service in DOMAIN_SERVICES for action in ("read", "write")),
    "indicators:read",
)

# The suite's own clients: one actor per region (the cross-region tests, the bad input,
# schemathesis), and one whose API quota the suite exhausts on purpose.
ACTORS: dict[str, tuple[str, ...]] = {
    "sec-3216": (BEKASI,),
    "sec-3273": (BANDUNG,),
    "sec-3213": (SUBANG,),
    "sec-quota-3325": ("33.25",),
    "sec-audit-3216": (BEKASI,),
}
# Scopes an actor holds beyond DOMAIN_SCOPES.
ACTOR_EXTRA_SCOPES: dict[str, tuple[str, ...]] = {"sec-audit-3216": ("audit:read",)}


def reader_for(path: str) -> str:
    """The Bekasi actor that may read ``path`` (the audit trail needs ``audit:read``)."""
    return "sec-audit-3216" if "/audit" in path else "sec-3216"


# Every pushed entity: its collection path, and whether it holds personal data (NIK, name).
ENTITIES: dict[str, str] = {
    "job_seekers": "/api/v1/job-market/job-seekers",
    "vacancies": "/api/v1/job-market/vacancies",
    "placements": "/api/v1/job-market/placements",
    "programs": "/api/v1/training/programs",
    "enrollments": "/api/v1/training/enrollments",
    "companies": "/api/v1/inspection/companies",
    "inspections": "/api/v1/inspection/inspections",
    "accidents": "/api/v1/inspection/accidents",
    "memberships": "/api/v1/social-security/memberships",
    "claims": "/api/v1/social-security/claims",
    "employment_programs": "/api/v1/job-market/employment-programs",
    "program_beneficiaries": "/api/v1/job-market/program-beneficiaries",
    "layoffs": "/api/v1/industrial-relations/layoffs",
    "disputes": "/api/v1/industrial-relations/disputes",
    "agreements": "/api/v1/industrial-relations/agreements",
    "unions": "/api/v1/industrial-relations/unions",
}
PERSONAL = (
    "job_seekers",
    "enrollments",
    "accidents",
    "memberships",
    "program_beneficiaries",
    "layoffs",
)

# Which service database answers which public path prefix.
SERVICE_OF_PREFIX: dict[str, str] = {
    prefix: service.name for service in SERVICES for prefix in service.prefixes
}

UUID_RE = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# A NIK's shape: 16 digits not inside a longer run of hex digits (a person_ref is 64 hex).
SIXTEEN_DIGITS = re.compile(r"(?<![0-9A-Fa-f])\d{16}(?![0-9A-Fa-f])")
# Masked NIKs: 6 (or 4) digits, a mask, the last digits (321605******0007, 3216********0007).
MASKED_NIK = re.compile(r"(?<!\d)\d{4,6}[*xX#•·_]{2,12}\d{2,4}(?!\d)")
STACK_TRACE = re.compile(
    r"Traceback \(most recent call last\)|File \"[^\"]+\.py\", line \d+|"
    r"sqlalchemy\.|asyncpg\.|psycopg|pydantic_core\.|starlette\.|site-packages"
)


def service_of(path: str) -> str | None:
    """The service answering a public path (``job_market``), or None for the gateway's own."""
    return next((s for p, s in SERVICE_OF_PREFIX.items() if path.startswith(p)), None)


def database_of(service: str) -> str:
    """The database name of a service (``sinergi_job_market``)."""
    return next(spec.database for spec in SERVICES if spec.name == service)


def problem_of(response: httpx.Response) -> dict[str, Any] | None:
    """The problem document of an answer, or None when it is not one."""
    if not response.headers.get("content-type", "").startswith("application/problem+json"):
        return None
    try:
        body = response.json()
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def error_fields(response: httpx.Response) -> list[str]:
    """The ``field`` of every entry of a problem's ``errors`` list."""
    problem = problem_of(response) or {}
    errors = problem.get("errors") or []
    return [str(e.get("field")) for e in errors if isinstance(e, dict)]


def names_field(fields: Sequence[str], name: str) -> bool:
    """Does one of ``fields`` name ``name`` (itself, a part of it, or as a query parameter)?"""
    return any(f in (name, f"query.{name}") or f.startswith(name + ".") for f in fields)


def short(response: httpx.Response, limit: int = 300) -> str:
    """The status and the start of an answer, for failure messages."""
    text = response.text
    return f"{response.status_code} {text[:limit]}{'...' if len(text) > limit else ''}"


def leaks(text: str, *, niks: Sequence[str] = (), names: Sequence[str] = ()) -> list[str]:
    """What of a text would reveal a NIK or a name: why, for each finding."""
    found = [f"16-digit run {m!r}" for m in SIXTEEN_DIGITS.findall(text)]
    found += [f"masked NIK {m!r}" for m in MASKED_NIK.findall(text)]
    digits = _runs(text, niks)
    for nik in niks:
        if nik in digits:
            found.append(f"NIK {nik}")
        elif nik[:12] in digits:
            found.append(f"NIK prefix {nik[:12]}")
    letters = _runs(text, names)
    found += [f"name {name!r}" for name in names if name in letters]
    return found


def _runs(text: str, patterns: Sequence[str]) -> str:
    """The distinct maximal runs of ``text`` made only of the patterns' characters, one per
    line: a pattern (without a line break) occurs in ``text`` exactly when it occurs here. A
    log of many megabytes is then searched for thousands of NIKs and names in seconds."""
    alphabet = set("".join(patterns))
    if not patterns or "\n" in alphabet:
        return text
    chars = "".join(re.escape(c) for c in sorted(alphabet))
    return "\n".join(set(re.findall(f"[{chars}]+", text)))


def nik_keys(node: Any, path: str = "") -> list[str]:
    """JSON paths of every key that names a NIK (``nik``, ``nik_masked``, ``victims.0.nik``)."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            where = f"{path}.{key}" if path else str(key)
            if "nik" in str(key).lower():
                found.append(where)
            found += nik_keys(value, where)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += nik_keys(value, f"{path}.{index}" if path else str(index))
    return found


def strip_ids(text: str, *replacements: tuple[str, str]) -> str:
    """A text with every UUID, and each ``(value, placeholder)`` pair, replaced."""
    for value, placeholder in replacements:
        text = text.replace(value, placeholder)
    return UUID_RE.sub("<uuid>", text)


@pytest.fixture(scope="session")
def sec() -> SimpleNamespace:
    """The suite's constants and helpers, for test modules (they cannot import the conftest)."""
    return SimpleNamespace(
        BEKASI=BEKASI,
        BANDUNG=BANDUNG,
        SUBANG=SUBANG,
        MINISTRY=MINISTRY,
        BPJS=BPJS,
        DOMAIN_SCOPES=DOMAIN_SCOPES,
        ENTITIES=ENTITIES,
        PERSONAL=PERSONAL,
        SIXTEEN_DIGITS=SIXTEEN_DIGITS,
        MASKED_NIK=MASKED_NIK,
        STACK_TRACE=STACK_TRACE,
        UUID_RE=UUID_RE,
        service_of=service_of,
        reader_for=reader_for,
        database_of=database_of,
        problem_of=problem_of,
        error_fields=error_fields,
        names_field=names_field,
        short=short,
        leaks=leaks,
        nik_keys=nik_keys,
        strip_ids=strip_ids,
        set_path=set_path,
        grown=grown,
        gather_limited=gather_limited,
    )


# --------------------------------------------------------------------------- what was sent


@dataclass
class Sent:
    """Personal data and credentials sent during the session (none may reach a log)."""

    niks: set[str] = field(default_factory=set)
    names: set[str] = field(default_factory=set)
    secrets: set[str] = field(default_factory=set)
    tokens: set[str] = field(default_factory=set)


@pytest.fixture(scope="session")
def sent() -> Sent:
    """What the session sent that must never be logged."""
    return Sent()


# --------------------------------------------------------------------------- the gateway


@pytest.fixture(scope="session")
def demo(platform: Platform) -> dict[str, Any]:
    """The contents of ``demo-clients.json``."""
    data: dict[str, Any] = json.loads((platform.config.state_dir / "demo-clients.json").read_text())
    return data


@pytest.fixture(scope="session")
async def gateway(platform: Platform) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client on the gateway (from 127.0.0.1)."""
    async with httpx.AsyncClient(
        base_url=platform.config.gateway_url, timeout=60, limits=CLIENT_LIMITS
    ) as client:
        yield client


def client_from(address: str, base_url: str) -> httpx.AsyncClient:
    """An HTTP client whose connections come from ``address`` (any 127.x.y.z is loopback)."""
    transport = httpx.AsyncHTTPTransport(local_address=address, limits=CLIENT_LIMITS)
    return httpx.AsyncClient(base_url=base_url, transport=transport, timeout=60)


@pytest.fixture(scope="session")
def from_address(platform: Platform) -> Callable[[str], httpx.AsyncClient]:
    """``async with from_address("127.0.0.77") as client``: the gateway from another address.

    The token endpoint throttles failures per source address; attacks that fail on purpose
    come from their own loopback address so that the rest of the suite (127.0.0.1) keeps
    getting tokens.
    """
    return lambda address: client_from(address, platform.config.gateway_url)


class Tokens:
    """Bearer headers of registered clients, from the real token endpoint, cached."""

    def __init__(self, *, gateway: httpx.AsyncClient, platform: Platform, sent: Sent) -> None:
        self._gateway = gateway
        self._platform = platform
        self._sent = sent
        self._secrets: dict[str, str] = {}
        self._cache: dict[tuple[str, str | None], tuple[float, str]] = {}

    def know(self, client_id: str, secret: str) -> None:
        """Remember a client's secret."""
        self._secrets[client_id] = secret
        self._sent.secrets.add(secret)

    def secret(self, client_id: str) -> str:
        """The secret of a known client."""
        return self._secrets[client_id]

    async def register(
        self, client_id: str, *, regions: Sequence[str], scopes: Sequence[str]
    ) -> str:
        """Register (or update) a client in the gateway's registry; returns its secret."""
        secret = self._secrets.get(client_id) or secrets.token_urlsafe(24)
        client = DemoClient(client_id, f"Security suite {client_id}", tuple(regions), tuple(scopes))
        # The runner's own registration path (the one `make run` uses for the demo clients).
        await self._platform._upsert_clients([(client, secret)])  # noqa: SLF001
        self.know(client_id, secret)
        return secret

    async def token(self, client_id: str, *, scope: str | None = None) -> str:
        """An access token of ``client_id`` (all its scopes, or ``scope``)."""
        key = (client_id, scope)
        cached = self._cache.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        form = {
            "grant_type": "client_credentials",
            "client_id": client_id,
            "client_secret": self._secrets[client_id],
        }
        if scope is not None:
            form["scope"] = scope
        response = await self._gateway.post("/oauth/token", data=form)
        assert response.status_code == 200, f"token of {client_id}: {short(response)}"
        body = response.json()
        token = str(body["access_token"])
        self._sent.tokens.add(token)
        # Reuse for half the token's life: a long suite never sends an expired token.
        self._cache[key] = (time.monotonic() + int(body["expires_in"]) / 2, token)
        return token

    async def headers(self, client_id: str, *, scope: str | None = None) -> dict[str, str]:
        """``Authorization`` header of ``client_id``."""
        return {"Authorization": f"Bearer {await self.token(client_id, scope=scope)}"}


@pytest.fixture(scope="session")
async def tokens(
    gateway: httpx.AsyncClient, platform: Platform, demo: dict[str, Any], sent: Sent
) -> Tokens:
    """Tokens of the demo clients and of the suite's actors (registered here)."""
    registry_ = Tokens(gateway=gateway, platform=platform, sent=sent)
    for client in demo["clients"]:
        registry_.know(client["client_id"], client["client_secret"])
    actors = [
        (
            DemoClient(
                cid,
                f"Security suite {cid}",
                regions,
                (*DOMAIN_SCOPES, *ACTOR_EXTRA_SCOPES.get(cid, ())),
            ),
            secrets.token_urlsafe(24),
        )
        for cid, regions in ACTORS.items()
    ]
    await platform._upsert_clients(actors)  # noqa: SLF001
    for client, secret in actors:
        registry_.know(client.client_id, secret)
    return registry_


class Signer:
    """Tokens signed with the platform's own key: valid except for what a test changes."""

    def __init__(self, platform: Platform, sent: Sent) -> None:
        self.private_pem = (platform.secrets_dir / "jwt-private.pem").read_bytes()
        self.public_pem = (platform.secrets_dir / "jwt-public.pem").read_bytes()
        defaults = Settings.model_fields
        self.issuer = str(defaults["jwt_issuer"].default)
        self.audience = str(defaults["jwt_audience"].default)
        self._sent = sent

    def claims(
        self,
        *,
        scopes: Sequence[str] = DOMAIN_SCOPES,
        regions: Sequence[str] = ("*",),
        client_id: str = "sec-signed",
        ttl: int = 300,
    ) -> dict[str, Any]:
        """The claims of a gateway token."""
        now = int(time.time())
        return {
            "iss": self.issuer,
            "aud": self.audience,
            "sub": client_id,
            "iat": now,
            "exp": now + ttl,
            "jti": str(uuid.uuid4()),
            "scope": " ".join(sorted(scopes)),
            "regions": sorted(regions),
        }

    def sign(
        self,
        claims: Mapping[str, Any],
        *,
        key: Any = None,
        algorithm: str = "RS256",
        headers: Mapping[str, Any] | None = None,
    ) -> str:
        """Sign ``claims`` (with the platform's key unless another is given)."""
        token = jwt.encode(
            dict(claims), self.private_pem if key is None else key, algorithm, dict(headers or {})
        )
        self._sent.tokens.add(token)
        return token

    def headers(self, **claims: Any) -> dict[str, str]:
        """``Authorization`` header of a platform-signed token (see ``claims``)."""
        return {"Authorization": f"Bearer {self.sign(self.claims(**claims))}"}


@pytest.fixture(scope="session")
def signer(platform: Platform, sent: Sent) -> Signer:
    """Tokens signed with the platform's key."""
    return Signer(platform, sent)


# --------------------------------------------------------------------------- request bodies

_FIRST = ("Siti", "Budi", "Dewi", "Agus", "Rina", "Joko", "Wulan", "Hendra", "Ayu", "Rizky")
_LAST = ("Rahmawati", "Santoso", "Lestari", "Wibowo", "Pratama", "Hidayat", "Kusuma", "Saputra")
EDUCATION = ("SD", "SMP", "SMA", "SMK", "D3", "S1")


@dataclass(frozen=True)
class Person:
    """Someone whose NIK and name the suite sends."""

    nik: str
    full_name: str
    birth_date: date
    sex: str

    def fields(self) -> dict[str, str]:
        """The person's fields of a request body."""
        return {
            "nik": self.nik,
            "full_name": self.full_name,
            "birth_date": self.birth_date.isoformat(),
            "sex": self.sex,
        }


class Factory:
    """Valid request bodies of every entity, each with fresh identifiers."""

    def __init__(self, sent: Sent) -> None:
        self._sent = sent
        self._rng = random.Random(secrets.randbits(32))
        self._serial = self._rng.randint(1000, 5000)
        self._nib = self._rng.randint(10**11, 9 * 10**11)
        regions = registry()
        self._districts = sorted(regions.districts)

    def district(self, region: str) -> str:
        """A district of a regency (the place of registration in a NIK)."""
        canonical = registry().normalise_regency(region) or region
        return next(d for d in self._districts if d.startswith(canonical + "."))

    def person(self, region: str = BEKASI, *, sex: str | None = None) -> Person:
        """A new person born in ``region``: a NIK that agrees with birth date and sex."""
        self._serial += 1
        sex = sex or self._rng.choice("MF")
        birth = date(1965, 1, 1) + timedelta(days=self._rng.randint(0, 14_600))
        suffix = "".join(self._rng.choice(string.ascii_lowercase) for _ in range(6)).title()
        name = f"{self._rng.choice(_FIRST)} {self._rng.choice(_LAST)} {suffix}"
        nik = nik_for(
            district=self.district(region), birth_date=birth, sex=sex, serial=self._serial % 10_000
        )
        self._sent.niks.add(nik)
        self._sent.names.add(name)
        return Person(nik=nik, full_name=name, birth_date=birth, sex=sex)

    def external_id(self, prefix: str = "SEC") -> str:
        """A new external id."""
        # 12 hex digits: never 16 digits in a row (the shape the scans look for).
        return f"{prefix}-{uuid.uuid4().hex[:12]}"

    def nib(self) -> str:
        """A new 13-digit NIB."""
        self._nib += 1
        return f"9{self._nib:012d}"

    def job_seeker(self, person: Person, *, region: str) -> dict[str, Any]:
        return {
            "external_id": self.external_id("JS"),
            **person.fields(),
            "education_level": self._rng.choice(EDUCATION),
            "region_code": region,
            "registered_at": "2025-05-12",
        }

    def vacancy(self, *, region: str, nib: str) -> dict[str, Any]:
        return {
            "external_id": self.external_id("V"),
            "employer_nib": nib,
            "employer_name": "PT Keamanan Data",
            "kbli_code": "10792",
            "occupation_code": "8160",
            "title": "Operator produksi",
            "positions": 3,
            "region_code": region,
            "posted_at": "2025-05-01",
        }

    def placement(
        self,
        *,
        nik: str,
        region: str,
        nib: str,
        mechanism: str = "AKL",
        vacancy_external_id: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {
            "external_id": self.external_id("P"),
            "nik": nik,
            "employer_nib": nib,
            "placed_at": "2025-05-20",
            "mechanism": mechanism,
            "region_code": region,
        }
        if vacancy_external_id is not None:
            body["vacancy_external_id"] = vacancy_external_id
        return body

    def program(self, *, region: str) -> dict[str, Any]:
        return {
            "external_id": self.external_id("TP"),
            "name": "Operator Mesin Produksi",
            "provider_type": "BLK",
            "provider_name": "UPTD BLK Uji Keamanan",
            "vocational_field": "Manufaktur",
            "region_code": region,
            "start_date": "2025-03-03",
            "end_date": "2025-04-11",
            "capacity": 16,
        }

    def enrollment(self, person: Person, *, program_external_id: str) -> dict[str, Any]:
        return {
            "external_id": self.external_id("TE"),
            "program_external_id": program_external_id,
            **person.fields(),
            "enrolled_at": "2025-03-03",
            "status": "completed",
            "completed_at": "2025-04-11",
            "certified": True,
            "certificate_number": f"BNSP-{self._rng.randint(10**8, 10**9)}",
        }

    def company(self, *, nib: str, region: str, kbli: str = "10792") -> dict[str, Any]:
        return {
            "nib": nib,
            "name": "PT Keamanan Data",
            "kbli_code": kbli,
            "region_code": region,
            "workers_male": 120,
            "workers_female": 85,
        }

    def inspection(self, *, nib: str, region: str) -> dict[str, Any]:
        return {
            "external_id": self.external_id("I"),
            "company_nib": nib,
            "region_code": region,
            "inspected_at": "2025-06-02",
            "type": "routine",
            "findings": [{"norm": "wages", "status": "open"}],
        }

    def accident(self, *, nib: str, region: str, victims: Sequence[Person] = ()) -> dict[str, Any]:
        victims = list(victims) or [self.person(region)]
        return {
            "external_id": self.external_id("A"),
            "company_nib": nib,
            "region_code": region,
            "occurred_at": "2025-06-10",
            "outcome": "recovered",
            "victims": [v.fields() for v in victims],
        }

    def membership(self, person: Person, *, region: str, nib: str) -> dict[str, Any]:
        return {
            "external_id": self.external_id("M"),
            **person.fields(),
            "employer_nib": nib,
            "region_code": region,
            "programs": ["JHT", "JKK", "JKM"],
            "status": "active",
            "started_at": "2025-05-25",
        }

    def claim(self, *, membership_external_id: str) -> dict[str, Any]:
        return {
            "external_id": self.external_id("C"),
            "membership_external_id": membership_external_id,
            "program": "JKK",
            "claimed_at": "2025-06-12",
            "amount_idr": 2_500_000,
        }

    def employment_program(self, *, region: str) -> dict[str, Any]:
        return {
            "external_id": self.external_id("PK"),
            "region_code": region,
            "kind": "labour_intensive",
            "name": "Padat Karya Uji Keamanan",
            "start_date": "2025-07-01",
            "end_date": "2025-08-15",
            "budget_idr": 450_000_000,
        }

    def beneficiary(self, person: Person, *, program_external_id: str) -> dict[str, Any]:
        return {
            "external_id": self.external_id("PB"),
            "program_external_id": program_external_id,
            **person.fields(),
            "joined_at": "2025-07-01",
        }

    def layoff(self, *, nib: str, region: str, workers: Sequence[Person] = ()) -> dict[str, Any]:
        workers = list(workers) or [self.person(region)]
        return {
            "external_id": self.external_id("PHK"),
            "employer_nib": nib,
            "region_code": region,
            "reported_at": "2025-08-04",
            "effective_at": "2025-08-29",
            "reason": "efficiency",
            "workers": [w.fields() for w in workers],
        }

    def dispute(self, *, nib: str, region: str) -> dict[str, Any]:
        return {
            "external_id": self.external_id("PHI"),
            "employer_nib": nib,
            "region_code": region,
            "registered_at": "2025-08-11",
            "type": "termination",
            "stage": "mediation",
            "status": "open",
            "workers_involved": 12,
        }

    def agreement(self, *, nib: str, region: str) -> dict[str, Any]:
        return {
            "external_id": self.external_id("PKB"),
            "employer_nib": nib,
            "region_code": region,
            "kind": "pkb",
            "registered_at": "2025-01-20",
            "valid_from": "2025-02-01",
            "valid_until": "2027-01-31",
            "workers_covered": 205,
        }

    def union(self, *, nib: str, region: str) -> dict[str, Any]:
        return {
            "external_id": self.external_id("SP"),
            "name": "PUK Serikat Pekerja Uji Keamanan",
            "region_code": region,
            "registered_at": "2024-03-04",
            "members": 140,
            "employer_nib": nib,
        }


@pytest.fixture(scope="session")
def factory(sent: Sent) -> Factory:
    """Valid request bodies with fresh identifiers."""
    return Factory(sent)


@dataclass
class Dossier:
    """One record of every entity, written by one client in its region."""

    client_id: str
    region: str
    nib: str
    person: Person
    """The registered job seeker (also placed, enrolled, covered, an accident victim, a program
    beneficiary and laid off)."""
    bodies: dict[str, dict[str, Any]] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)


Seed = Callable[[str], Awaitable[Dossier]]


@pytest.fixture(scope="session")
def dossier(gateway: httpx.AsyncClient, tokens: Tokens, factory: Factory) -> Seed:
    """``await dossier(client_id)``: that actor's record of every entity (written once)."""
    made: dict[str, Dossier] = {}
    lock = asyncio.Lock()

    async def seed(client_id: str) -> Dossier:
        async with lock:
            if client_id in made:
                return made[client_id]
            region = ACTORS[client_id][0]
            person, nib = factory.person(region), factory.nib()
            record = Dossier(client_id=client_id, region=region, nib=nib, person=person)
            bodies = record.bodies
            bodies["companies"] = factory.company(nib=nib, region=region)
            bodies["job_seekers"] = factory.job_seeker(person, region=region)
            bodies["vacancies"] = factory.vacancy(region=region, nib=nib)
            bodies["placements"] = factory.placement(
                nik=person.nik,
                region=region,
                nib=nib,
                vacancy_external_id=bodies["vacancies"]["external_id"],
            )
            bodies["programs"] = factory.program(region=region)
            bodies["enrollments"] = factory.enrollment(
                person, program_external_id=bodies["programs"]["external_id"]
            )
            bodies["inspections"] = factory.inspection(nib=nib, region=region)
            bodies["accidents"] = factory.accident(nib=nib, region=region, victims=[person])
            bodies["memberships"] = factory.membership(person, region=region, nib=nib)
            bodies["claims"] = factory.claim(
                membership_external_id=bodies["memberships"]["external_id"]
            )
            bodies["employment_programs"] = factory.employment_program(region=region)
            bodies["program_beneficiaries"] = factory.beneficiary(
                person, program_external_id=bodies["employment_programs"]["external_id"]
            )
            bodies["layoffs"] = factory.layoff(nib=nib, region=region, workers=[person])
            bodies["disputes"] = factory.dispute(nib=nib, region=region)
            bodies["agreements"] = factory.agreement(nib=nib, region=region)
            bodies["unions"] = factory.union(nib=nib, region=region)
            headers = await tokens.headers(client_id)
            for entity, body in bodies.items():
                response = await gateway.post(ENTITIES[entity], json=body, headers=headers)
                assert response.status_code == 201, (
                    f"seeding {entity} for {client_id}: {short(response)}"
                )
                record.ids[entity] = str(response.json()["id"])
            made[client_id] = record
            return record

    return seed


# --------------------------------------------------------------------------- OpenAPI


@dataclass(frozen=True)
class FieldSpec:
    """One field of a request body: where it is, and its (resolved) schema."""

    path: tuple[str | int, ...]
    schema: dict[str, Any]
    kind: str
    """string, enum, date, datetime, integer, number, boolean, array or object."""

    @property
    def name(self) -> str:
        return ".".join(str(p) for p in self.path)


@dataclass(frozen=True)
class Operation:
    """One operation of the merged OpenAPI document."""

    method: str
    path: str
    spec: dict[str, Any]

    @property
    def label(self) -> str:
        return f"{self.method.upper()} {self.path}"

    @property
    def parameters(self) -> list[dict[str, Any]]:
        return list(self.spec.get("parameters", []))

    def names_in(self, location: str) -> list[str]:
        return [p["name"] for p in self.parameters if p.get("in") == location]

    @property
    def is_api(self) -> bool:
        return self.path.startswith("/api/")

    @property
    def is_import(self) -> bool:
        """An import-job operation (upload, template, job, conflicts): files, not one record."""
        return "/imports" in self.path

    @property
    def is_search(self) -> bool:
        """A read whose criteria (a NIK) travel in a POST body, never in the URL."""
        return self.method == "post" and self.path.endswith("/search")


class OpenApi:
    """The gateway's merged OpenAPI document, as operations and flattened body fields."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document

    def resolve(self, schema: Mapping[str, Any]) -> dict[str, Any]:
        """``schema`` with its ``$ref`` (and a nullable ``anyOf``) followed."""
        current = dict(schema)
        for _ in range(20):
            if "$ref" in current:
                node: Any = self.document
                for part in str(current["$ref"]).lstrip("#/").split("/"):
                    node = node[part]
                current = {**node, **{k: v for k, v in current.items() if k != "$ref"}}
                continue
            options = current.get("anyOf") or current.get("oneOf")
            if options:
                real = [o for o in options if o.get("type") != "null"]
                if real:
                    rest = {k: v for k, v in current.items() if k not in ("anyOf", "oneOf")}
                    current = {**rest, **real[0]}
                    continue
            break
        return current

    def operations(self) -> list[Operation]:
        found = []
        for path, item in self.document.get("paths", {}).items():
            for method, spec in item.items():
                if method in ("get", "post", "put", "patch", "delete", "head", "options"):
                    found.append(Operation(method, path, spec))
        return found

    def bodies(self) -> list[Operation]:
        """Every API operation that takes one JSON record (the writes and the searches); a
        reporting period's close takes only an optional region, and a webhook subscription is
        not a record of people (their own tests cover them: tests/e2e/test_webhooks.py)."""
        return [
            op
            for op in self.operations()
            if op.is_api
            and not op.is_import
            and "/reporting-periods/" not in op.path
            and not op.path.startswith("/api/v1/subscriptions")
            and "application/json" in self.body_content(op)
        ]

    def uploads(self) -> dict[str, Operation]:
        """The import uploads, by the collection whose records they take."""
        return {
            op.path.removesuffix("/imports"): op
            for op in self.operations()
            if op.method == "post" and op.path.endswith("/imports")
        }

    def writes(self) -> list[Operation]:
        """Every API operation that writes a record."""
        return [op for op in self.bodies() if not op.is_search]

    def listings(self) -> list[Operation]:
        """Every GET of records that pages (has ``limit``); a webhook's delivery log is not
        one (tests/e2e/test_webhooks.py covers it)."""
        return [
            op
            for op in self.operations()
            if op.method == "get"
            and "limit" in op.names_in("query")
            and not op.path.startswith("/api/v1/subscriptions")
        ]

    def reads_by_id(self) -> list[Operation]:
        """Every GET of one record by a path parameter."""
        return [op for op in self.operations() if op.method == "get" and op.names_in("path")]

    def body_content(self, op: Operation) -> dict[str, Any]:
        content: dict[str, Any] = op.spec.get("requestBody", {}).get("content", {})
        return content

    def body_schema(self, op: Operation) -> dict[str, Any]:
        """The resolved JSON schema of an operation's request body."""
        return self.resolve(self.body_content(op).get("application/json", {}).get("schema", {}))

    def response_schema(self, op: Operation, status: str = "200") -> dict[str, Any]:
        """The resolved schema of an operation's JSON answer."""
        content = op.spec.get("responses", {}).get(status, {}).get("content", {})
        return self.resolve(content.get("application/json", {}).get("schema", {}))

    def kind(self, schema: Mapping[str, Any]) -> str:
        if "enum" in schema or "const" in schema:
            return "enum"
        kind = schema.get("type", "object" if "properties" in schema else "string")
        if kind == "string" and schema.get("format") in ("date", "date-time"):
            return "date" if schema["format"] == "date" else "datetime"
        return str(kind)

    def field_spec(self, path: tuple[str | int, ...], schema: Mapping[str, Any]) -> FieldSpec:
        """The field at ``path`` with (resolved) ``schema``."""
        resolved = self.resolve(schema)
        return FieldSpec(path, resolved, self.kind(resolved))

    def fields(
        self, schema: Mapping[str, Any], prefix: tuple[str | int, ...] = ()
    ) -> list[FieldSpec]:
        """Every field of a body schema, lists of objects descended into at index 0."""
        found: list[FieldSpec] = []
        for name, raw in self.resolve(schema).get("properties", {}).items():
            resolved = self.resolve(raw)
            spec = FieldSpec((*prefix, name), resolved, self.kind(resolved))
            found.append(spec)
            if spec.kind == "array":
                items = self.resolve(resolved.get("items", {}))
                if self.kind(items) == "object":
                    found += self.fields(items, (*prefix, name, 0))
                else:
                    found.append(FieldSpec((*prefix, name, 0), items, self.kind(items)))
            elif spec.kind == "object" and resolved.get("properties"):
                found += self.fields(resolved, (*prefix, name))
        return found

    def example(self, schema: Mapping[str, Any]) -> Any:
        """A minimal value of a schema (for bodies of endpoints the suite has no builder for)."""
        schema = self.resolve(schema)
        kind = self.kind(schema)
        if kind == "enum":
            return schema["enum"][0] if "enum" in schema else schema["const"]
        if kind == "date":
            return "2025-01-15"
        if kind == "datetime":
            return "2025-01-15T00:00:00Z"
        if kind == "string":
            digits = re.fullmatch(r"\^\\d\{(\d+)(?:,\d+)?\}\$", str(schema.get("pattern", "")))
            if digits:
                return "1" * int(digits.group(1))
            return "x" * max(1, int(schema.get("minLength", 1)))
        if kind == "integer":
            return int(schema.get("minimum", 1))
        if kind == "number":
            return float(schema.get("minimum", 1))
        if kind == "boolean":
            return False
        if kind == "array":
            items = schema.get("items", {})
            return [self.example(items) for _ in range(int(schema.get("minItems", 0)))]
        required = schema.get("required", [])
        return {
            name: self.example(sub)
            for name, sub in schema.get("properties", {}).items()
            if name in required
        }


@pytest.fixture(scope="session")
async def openapi(gateway: httpx.AsyncClient) -> OpenApi:
    """The merged OpenAPI document once every upstream is in it."""
    deadline = time.monotonic() + 30
    while True:
        document = (await gateway.get("/openapi.json")).json()
        upstreams = document.get("x-sinergi-upstreams", {})
        if all(state == "included" for state in upstreams.values()) or time.monotonic() > deadline:
            return OpenApi(document)
        await asyncio.sleep(0.2)


def set_path(body: Any, path: Sequence[str | int], value: Any, *, filler: Any = None) -> None:
    """Put ``value`` at ``path`` in a body, creating containers (``filler`` for list items)."""
    node = body
    for index, part in enumerate(path[:-1]):
        following = path[index + 1]
        if isinstance(part, int):
            while len(node) <= part:
                node.append(json.loads(json.dumps(filler)) if filler is not None else {})
            node = node[part]
        else:
            if part not in node or node[part] is None:
                node[part] = [] if isinstance(following, int) else {}
            node = node[part]
    last = path[-1]
    if isinstance(last, int):
        while len(node) <= last:
            node.append(None)
    node[last] = value


# --------------------------------------------------------------------------- databases

Counts = Callable[[str], Awaitable[dict[str, int]]]


@pytest.fixture(scope="session")
def db_counts(platform: Platform) -> Counts:
    """``await db_counts("job_market")``: rows per table of a service's database.

    Audit tables are left out (a refused request may well be recorded there), and so is an
    import job's own bookkeeping (the job and its conflicts are kept when every row is refused).
    """

    async def count(service: str) -> dict[str, int]:
        sql = sql_runner(platform.postgres.url_for(database_of(service)))
        tables = [
            r["tablename"]
            for r in await sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
            if r["tablename"] != "alembic_version"
            and "audit" not in r["tablename"]
            and not r["tablename"].startswith("import_")
        ]
        if not tables:
            return {}
        # Table names come from the catalogue, not from input.
        counts = [f"SELECT '{t}' AS t, count(*) AS n FROM \"{t}\"" for t in sorted(tables)]  # noqa: S608
        query = " UNION ALL ".join(counts)
        return {r["t"]: int(r["n"]) for r in await sql(query)}

    return count


async def gather_limited(coroutines: Iterable[Awaitable[T]], *, limit: int = 8) -> list[T]:
    """Await ``coroutines`` with at most ``limit`` in flight (results in order)."""
    semaphore = asyncio.Semaphore(limit)

    async def one(coroutine: Awaitable[T]) -> T:
        async with semaphore:
            return await coroutine

    return list(await asyncio.gather(*(one(c) for c in coroutines)))


def grown(before: Mapping[str, int], after: Mapping[str, int]) -> dict[str, int]:
    """Tables with more rows ``after`` than ``before``, and by how many (purges do not count)."""
    return {t: n - before.get(t, 0) for t, n in after.items() if n > before.get(t, 0)}


# --------------------------------------------------------------------------- polling

Eventually = Callable[..., Awaitable[Any]]


@pytest.fixture(scope="session")
def eventually() -> Eventually:
    """``await eventually(probe, expected)``: poll until the probe gives ``expected``."""

    async def poll(
        probe: Callable[[], Awaitable[Any]], expected: Any, *, timeout: float = 60
    ) -> Any:
        deadline = time.monotonic() + timeout
        value = await probe()
        while value != expected and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
            value = await probe()
        return value

    return poll


# --------------------------------------------------------------------------- reporting

SUMMARY = pytest.StashKey[dict[str, list[str]]]()


def summary_lines(config: pytest.Config, section: str) -> list[str]:
    """The lines a test wants printed under ``section`` in the terminal summary."""
    return config.stash.setdefault(SUMMARY, {}).setdefault(section, [])


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    for section, lines in config.stash.get(SUMMARY, {}).items():
        if lines:
            terminalreporter.section(section)
            for line in lines:
                terminalreporter.write_line(line)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Parameters shared by several modules (which cannot import the conftest): one test per
    # bad-input class, per entity, per entity holding personal data.
    for name, values in (
        ("bad_input_class", list(BAD_INPUT_CLASSES)),
        ("entity", list(ENTITIES)),
        ("personal_entity", list(PERSONAL)),
    ):
        if name in metafunc.fixturenames:
            metafunc.parametrize(name, values)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # The log scan reads what every other test made the platform log: it runs last.
    last = [item for item in items if Path(str(item.fspath)).name == "test_logs.py"]
    if last:
        items[:] = [item for item in items if item not in last] + last


@pytest.fixture(scope="session")
def report(request: pytest.FixtureRequest) -> Callable[[str], list[str]]:
    """``report(section).append(line)``: lines for the terminal summary."""
    return lambda section: summary_lines(request.config, section)


@pytest.fixture(scope="session")
def logs_of(platform: Platform) -> Callable[[], Iterator[Path]]:
    """Every log file the platform and its servers write."""

    def files() -> Iterator[Path]:
        yield from sorted(platform.logs_dir.glob("*.log"))
        for server in (platform.postgres, platform.kafka):
            path = getattr(server, "log_path", None)
            if isinstance(path, Path) and path.exists():
                yield path

    return files


# --------------------------------------------------------------------------- bad input
#
# Each class is one kind of malformed input. For every write endpoint of the OpenAPI
# document (and, for the query classes, every API operation) a class gives one request or a
# few, each putting the bad value into every field it applies to at once: the answer must be
# a 4xx problem naming every one of those fields, and nothing may be written.

BAD_INPUT_CLASSES: dict[str, str] = {
    "nul_byte": "a NUL byte in all text fields at once, then in each free-text field alone",
    "lone_surrogate": "a lone surrogate (raw JSON \\ud800): all text fields, then each free one",
    "integer_above_2_63": "2**63 for all integers, then for those without a maximum",
    "integer_below_minus_2_63": "-(2**63)-1 for every integer",
    "negative_number": "-1 for every number whose documented minimum is 0 or more",
    "huge_number": "10**30 for every integer, 1e308 for every number",
    "fraction_for_integer": "1.5 for every integer",
    "string_for_number": '"12" for every number',
    "true_for_number": "true for every number",
    "number_for_string": "12 for every text field",
    "number_for_boolean": "1 for every boolean",
    "string_for_boolean": '"true" for every boolean',
    "unix_timestamp_for_date": "1699920000 (a Unix timestamp) for every date",
    "non_iso_date": '14/03/2025, 2025-3-4, "1699920000" and "March 4 2025" for every date',
    "unknown_body_field": '"disabilty": true, and an unknown field in every list of objects',
    "unknown_query_parameter": "?disabilty=1 on every API operation",
    "over_long_string": "maxLength+1 characters (20,000 where no maximum is documented)",
    "over_long_list": "maxItems+1 items (10,001 where no maximum is documented)",
    "offset_10_20": "offset=10**20 on every listing",
    "malformed_json": "a truncated JSON document",
    "wrong_content_type": "the JSON body as text/plain and as form-encoded",
    "empty_body": "no body at all",
    "deeply_nested_json": "100,000 nested JSON arrays",
    "column_range": "2**31 and 2**63-1 for every integer (anything but a 5xx)",
    "token_endpoint": "NUL, bad UTF-8, a 100,000-character id, JSON, no body at /oauth/token",
    "import_records": "every bad record above as a row of one atomic=all import job: each row "
    "a conflict naming its fields, nothing written",
    "import_files": "the truncated, empty, nested and surrogate bodies above as import files: "
    "a 4xx problem or rejected rows, never a 5xx",
}

_MISSING = object()
_TEXT, _NUMBERS = ("string", "enum"), ("integer", "number")
NON_ISO_DATES = ("14/03/2025", "2025-3-4", "1699920000", "March 4 2025")


@dataclass
class BadCase:
    """One malformed request and what its answer must be."""

    cls: str
    op: Operation
    detail: str
    body: Any = _MISSING
    raw: bytes | None = None
    content_type: str | None = "application/json"
    params: dict[str, Any] = field(default_factory=dict)
    path: str | None = None
    names: tuple[str, ...] = ()
    """Fields the problem must name."""
    any_answer_but_5xx: bool = False

    @property
    def label(self) -> str:
        return f"{self.op.label} [{self.detail}]"


@dataclass
class BadInputRun:
    """What the bad-input classes found."""

    counts: dict[str, int] = field(default_factory=dict)
    failures: dict[str, list[str]] = field(default_factory=dict)
    written: list[str] = field(default_factory=list)
    """Write endpoints whose refused requests still changed the database."""
    invalid_bases: list[str] = field(default_factory=list)
    """Write endpoints whose valid body (the base of every case) was not accepted."""
    generated_bases: list[str] = field(default_factory=list)
    """Write endpoints the suite has no body builder for (a body made from the schema)."""

    def fail(self, cls: str, message: str) -> None:
        self.failures.setdefault(cls, []).append(message)


def _copy(value: Any) -> Any:
    return json.loads(json.dumps(value))


class BadInputCases:
    """The cases of every class for the operations of an OpenAPI document."""

    def __init__(self, api: OpenApi, base: Callable[[Operation], dict[str, Any]]) -> None:
        self.api = api
        self.base = base

    def for_write(self, op: Operation) -> list[BadCase]:
        """The cases of a write endpoint whose answer must be a 4xx naming the bad fields."""
        fields = self.api.fields(self.api.body_schema(op))
        text = [f for f in fields if f.kind in _TEXT]
        integers = [f for f in fields if f.kind == "integer"]
        numbers = [f for f in fields if f.kind in _NUMBERS]
        booleans = [f for f in fields if f.kind == "boolean"]
        dates = [f for f in fields if f.kind == "date"]
        arrays = [f for f in fields if f.kind == "array"]
        cases: list[BadCase] = []

        def each(
            cls: str,
            targets: Sequence[FieldSpec],
            value: Callable[[FieldSpec], Any],
            *,
            also: Sequence[Sequence[FieldSpec]] = (),
        ) -> None:
            # All fields at once (the problem must name them all), then the groups in
            # ``also``: a field the schema or a rule refuses first would otherwise shield
            # the others from ever reaching the database.
            for index, group in enumerate([targets, *also] if targets else []):
                if group and (index == 0 or list(group) != list(targets)):
                    case = self._mutated(cls, op, group, value)
                    if index:
                        case.detail = f"{cls} {', '.join(f.name for f in group)}"
                    cases.append(case)

        free_text = [[f] for f in text if f.kind == "string" and "pattern" not in f.schema]
        unbounded = [f for f in integers if "maximum" not in f.schema]
        each("nul_byte", text, lambda f: "ok\u0000ok", also=free_text)
        before = len(cases)
        each("lone_surrogate", text, lambda f: "ok\ud800ok", also=free_text)
        for case in cases[before:]:
            # json.dumps escapes the surrogate as \ud800: raw JSON no UTF-8 encoder would make.
            case.raw, case.body = json.dumps(case.body).encode(), _MISSING
        each("integer_above_2_63", integers, lambda f: 2**63, also=[unbounded])
        each("integer_below_minus_2_63", integers, lambda f: -(2**63) - 1)
        each(
            "negative_number",
            [f for f in numbers if float(f.schema.get("minimum", -1)) >= 0],
            lambda f: -1,
        )
        each("huge_number", numbers, lambda f: 10**30 if f.kind == "integer" else 1e308)
        each("fraction_for_integer", integers, lambda f: 1.5)
        each("string_for_number", numbers, lambda f: "12")
        each("true_for_number", numbers, lambda f: True)
        each("number_for_string", text, lambda f: 12)
        each("number_for_boolean", booleans, lambda f: 1)
        each("string_for_boolean", booleans, lambda f: "true")
        each("unix_timestamp_for_date", dates, lambda f: 1_699_920_000)
        for variant in NON_ISO_DATES:
            if dates:
                case = self._mutated("non_iso_date", op, dates, lambda f, v=variant: v)
                case.detail = f"non_iso_date {variant!r}"
                cases.append(case)
        unknown = [FieldSpec(("disabilty",), {}, "unknown")]
        for f in arrays:
            items = self.api.resolve(f.schema.get("items", {}))
            if self.api.kind(items) == "object":
                unknown.append(FieldSpec((*f.path, 0, "nama_lengkap"), {}, "unknown"))
        cases.append(self._mutated("unknown_body_field", op, unknown, lambda f: True))
        long_text = [f for f in text if f.kind == "string"]
        each(
            "over_long_string",
            long_text,
            lambda f: "x" * (int(f.schema["maxLength"]) + 1 if "maxLength" in f.schema else 20_000),
        )
        if arrays:
            cases.append(self._over_long_lists(op, arrays))
        cases.append(
            BadCase(
                "unknown_query_parameter",
                op,
                "unknown_query_parameter",
                body=self.base(op),
                params={"disabilty": "1"},
                names=("disabilty",),
            )
        )
        cases.append(BadCase("malformed_json", op, "malformed_json", raw=b'{"external_id": "x", '))
        valid = json.dumps(self.base(op)).encode()
        for content_type in ("text/plain", "application/x-www-form-urlencoded"):
            cases.append(
                BadCase(
                    "wrong_content_type",
                    op,
                    f"wrong_content_type {content_type}",
                    raw=valid,
                    content_type=content_type,
                )
            )
        cases.append(BadCase("empty_body", op, "empty_body", raw=b""))
        depth = 100_000
        nested = b'{"external_id": ' + b"[" * depth + b"]" * depth + b"}"
        cases.append(BadCase("deeply_nested_json", op, "deeply_nested_json", raw=nested))
        return cases

    def column_range(self, op: Operation) -> list[BadCase]:
        """Integers at the edges of the database's column types: anything but a 5xx."""
        integers = [f for f in self.api.fields(self.api.body_schema(op)) if f.kind == "integer"]
        cases = []
        for value in (2**31, 2**63 - 1):
            if integers:
                case = self._mutated("column_range", op, integers, lambda f, v=value: v)
                case.detail, case.names, case.any_answer_but_5xx = f"column_range {value}", (), True
                cases.append(case)
        return cases

    def for_read(self, op: Operation) -> list[BadCase]:
        """The query classes of a GET."""
        path = op.path
        for name in op.names_in("path"):
            path = path.replace("{" + name + "}", str(uuid.uuid4()))
        cases = [
            BadCase(
                "unknown_query_parameter",
                op,
                "unknown_query_parameter",
                params={"disabilty": "1"},
                path=path,
                names=("disabilty",),
                content_type=None,
            )
        ]
        if "offset" in op.names_in("query"):
            cases.append(
                BadCase(
                    "offset_10_20",
                    op,
                    "offset_10_20",
                    params={"offset": str(10**20)},
                    path=path,
                    names=("offset",),
                    content_type=None,
                )
            )
        return cases

    def _mutated(
        self,
        cls: str,
        op: Operation,
        targets: Sequence[FieldSpec],
        value: Callable[[FieldSpec], Any],
    ) -> BadCase:
        body = self.base(op)
        for target in targets:
            set_path(body, target.path, value(target), filler=self._item(body, target.path))
        return BadCase(cls, op, cls, body=body, names=tuple(t.name for t in targets))

    def _over_long_lists(self, op: Operation, arrays: Sequence[FieldSpec]) -> BadCase:
        body = self.base(op)
        for f in arrays:
            current = _lookup(body, f.path)
            items = self.api.resolve(f.schema.get("items", {}))
            element = current[0] if current else self.api.example(items)
            size = int(f.schema["maxItems"]) + 1 if "maxItems" in f.schema else 10_001
            set_path(body, f.path, [_copy(element) for _ in range(size)])
        return BadCase(
            "over_long_list", op, "over_long_list", body=body, names=tuple(f.name for f in arrays)
        )

    def _item(self, body: Any, path: Sequence[str | int]) -> Any:
        # The element to create when a path goes through an empty list: a copy of the list's
        # own first element if the base body has one, else the schema's minimal item.
        for index, part in enumerate(path):
            if isinstance(part, int):
                current = _lookup(body, path[:index])
                if current:
                    return _copy(current[0])
        return None


def _lookup(body: Any, path: Sequence[str | int]) -> Any:
    node = body
    for part in path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node


@dataclass
class Bodies:
    """``valid_body(op)``: a fresh body the ``sec-3216`` client may send to ``op``."""

    builders: dict[str, Callable[[], dict[str, Any]]]
    openapi: OpenApi

    def __call__(self, op: Operation) -> dict[str, Any]:
        builder = self.builders.get(op.path)
        if builder is not None:
            return builder()
        example: dict[str, Any] = self.openapi.example(self.openapi.body_schema(op))
        return example

    def knows(self, op: Operation) -> bool:
        """Whether ``op`` has a builder (else its body is made from the schema)."""
        return op.path in self.builders


@pytest.fixture(scope="session")
async def valid_body(factory: Factory, dossier: Seed, openapi: OpenApi) -> Bodies:
    """Valid bodies of every write and search, for the ``sec-3216`` client."""
    record = await dossier("sec-3216")
    region, nib = record.region, record.nib
    builders: dict[str, Callable[[], dict[str, Any]]] = {
        ENTITIES["job_seekers"]: lambda: factory.job_seeker(factory.person(region), region=region),
        ENTITIES["vacancies"]: lambda: factory.vacancy(region=region, nib=nib),
        ENTITIES["placements"]: lambda: factory.placement(
            nik=record.person.nik, region=region, nib=nib
        ),
        ENTITIES["programs"]: lambda: factory.program(region=region),
        ENTITIES["enrollments"]: lambda: factory.enrollment(
            factory.person(region), program_external_id=record.bodies["programs"]["external_id"]
        ),
        ENTITIES["companies"]: lambda: factory.company(nib=factory.nib(), region=region),
        ENTITIES["inspections"]: lambda: factory.inspection(nib=nib, region=region),
        ENTITIES["accidents"]: lambda: factory.accident(nib=nib, region=region),
        ENTITIES["memberships"]: lambda: factory.membership(
            factory.person(region), region=region, nib=nib
        ),
        ENTITIES["claims"]: lambda: factory.claim(
            membership_external_id=record.bodies["memberships"]["external_id"]
        ),
        ENTITIES["employment_programs"]: lambda: factory.employment_program(region=region),
        ENTITIES["program_beneficiaries"]: lambda: factory.beneficiary(
            factory.person(region),
            program_external_id=record.bodies["employment_programs"]["external_id"],
        ),
        ENTITIES["layoffs"]: lambda: factory.layoff(nib=nib, region=region),
        ENTITIES["disputes"]: lambda: factory.dispute(nib=nib, region=region),
        ENTITIES["agreements"]: lambda: factory.agreement(nib=nib, region=region),
        ENTITIES["unions"]: lambda: factory.union(nib=nib, region=region),
    }
    for entity in PERSONAL:
        # A search by a NIK: the seeded person's, or a fresh one (an empty page).
        builders[ENTITIES[entity] + "/search"] = lambda: {"nik": factory.person(region).nik}
    return Bodies(builders, openapi)


def _judge(case: BadCase, response: httpx.Response, run: BadInputRun) -> None:
    label = case.label
    if STACK_TRACE.search(response.text):
        run.fail(case.cls, f"{label}: the answer shows internals: {short(response)}")
    if case.any_answer_but_5xx:
        if response.status_code >= 500:
            run.fail(case.cls, f"{label}: {short(response)}")
        return
    if not 400 <= response.status_code < 500:
        run.fail(case.cls, f"{label}: expected a 4xx, got {short(response)}")
        return
    if case.op.is_api and problem_of(response) is None:
        run.fail(case.cls, f"{label}: not an RFC 9457 problem: {short(response)}")
        return
    fields = error_fields(response)
    missing = [n for n in case.names if not names_field(fields, n)]
    if missing:
        run.fail(case.cls, f"{label}: does not name {missing} (named {fields}): {short(response)}")
    niks = [v for v in _strings(case.body) if SIXTEEN_DIGITS.fullmatch(v)]
    echoed = leaks(response.text, niks=niks)
    if echoed:
        run.fail(case.cls, f"{label}: the answer echoes personal data: {echoed}")


def _strings(node: Any) -> Iterator[str]:
    if isinstance(node, str):
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _strings(value)
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value)


async def _send(
    client: httpx.AsyncClient, case: BadCase, headers: Mapping[str, str]
) -> httpx.Response:
    sent_headers = dict(headers)
    if case.content_type is not None:
        sent_headers["Content-Type"] = case.content_type
    content = case.raw if case.raw is not None else None
    if case.body is not _MISSING:
        content = json.dumps(case.body).encode()
    return await client.request(
        case.op.method.upper(),
        case.path or case.op.path,
        params=case.params or None,
        content=content,
        headers=sent_headers,
    )


@pytest.fixture(scope="session")
async def bad_input(
    request: pytest.FixtureRequest,
    gateway: httpx.AsyncClient,
    tokens: Tokens,
    openapi: OpenApi,
    valid_body: Bodies,
    db_counts: Counts,
    from_address: Callable[[str], httpx.AsyncClient],
) -> BadInputRun:
    """Every bad-input class driven against every endpoint of the OpenAPI document, once."""
    run = BadInputRun(counts=dict.fromkeys(BAD_INPUT_CLASSES, 0))
    cases = BadInputCases(openapi, valid_body)
    headers = await tokens.headers("sec-3216")
    auditor = await tokens.headers(reader_for("/audit"))

    async def drive(batch: Sequence[BadCase]) -> None:
        async def one(case: BadCase) -> None:
            run.counts[case.cls] += 1
            try:
                response = await _send(
                    gateway, case, auditor if "/audit" in case.op.path else headers
                )
            except httpx.TransportError as exc:
                run.fail(case.cls, f"{case.label}: the connection broke off: {exc!r}")
                return
            _judge(case, response, run)

        await gather_limited(one(case) for case in batch)

    for op in openapi.bodies():
        if not valid_body.knows(op):
            run.generated_bases.append(op.label)
        service = service_of(op.path)
        before = await db_counts(service) if service else {}
        await drive(cases.for_write(op))
        after = await db_counts(service) if service else {}
        changed = grown(before, after)
        if changed:
            run.written.append(f"{op.label}: refused requests changed {changed}")
        await drive(cases.column_range(op))
        upload = openapi.uploads().get(op.path)
        if upload is not None:
            # (The column-range cases may write: count from here.)
            before = await db_counts(service) if service else {}
            await _import_cases(run, gateway, headers, upload, cases.for_write(op))
            changed = grown(before, await db_counts(service) if service else {})
            if changed:
                run.written.append(f"{upload.label}: refused rows changed {changed}")
        control = await gateway.post(op.path, json=valid_body(op), headers=headers)
        if control.status_code not in (200, 201):
            run.invalid_bases.append(f"{op.label}: {short(control)}")
    for op in openapi.operations():
        if op.is_api and op.method == "get":
            await drive(cases.for_read(op))
    await _token_endpoint_cases(run, from_address)

    lines = summary_lines(request.config, "security: bad-input classes (cases per class)")
    lines.clear()
    for cls, count in run.counts.items():
        failed = len(run.failures.get(cls, []))
        lines.append(f"{cls:28} {count:4} cases  {failed:4} failed   ({BAD_INPUT_CLASSES[cls]})")
    lines.append(f"{'total':28} {sum(run.counts.values()):4} cases")
    return run


async def _import_cases(
    run: BadInputRun,
    gateway: httpx.AsyncClient,
    headers: Mapping[str, str],
    upload: Operation,
    cases: Sequence[BadCase],
) -> None:
    """The write cases of one collection through its import: rows, then whole files."""
    wait = {**headers, "Content-Type": "application/json", "Prefer": "wait=60"}
    rows = [c for c in cases if c.body is not _MISSING and not c.params]
    run.counts["import_records"] += len(rows)
    label = f"{upload.label} [{len(rows)} bad rows, atomic=all]"
    body = json.dumps([c.body for c in rows]).encode()
    response = await gateway.post(upload.path, params={"atomic": "all"}, content=body, headers=wait)
    job = response.json() if response.status_code == 200 else None
    if job is None or job.get("status") != "done":
        run.fail("import_records", f"{label}: expected a finished job, got {short(response)}")
        if response.status_code >= 500:
            # Which rows break it: each alone.
            for case in rows:
                alone = await gateway.post(
                    upload.path, params={"atomic": "all"}, json=[case.body], headers=wait
                )
                if alone.status_code >= 500:
                    run.fail("import_records", f"{case.label} alone: {short(alone)}")
    else:
        summary = job["summary"]
        if summary["created"] or summary["updated"] or summary["rejected"] != len(rows):
            run.fail("import_records", f"{label}: rows were not all rejected: {summary}")
        listed = await gateway.get(f"{response.headers['location']}/conflicts", headers=headers)
        by_row: dict[int, list[str]] = {}
        for conflict in listed.json():
            by_row.setdefault(int(conflict["index"]), []).append(str(conflict["field"]))
        for index, case in enumerate(rows, start=1):
            named = by_row.get(index, [])
            missing = [n for n in case.names if not names_field(named, n)]
            if missing or not named:
                run.fail(
                    "import_records",
                    f"{case.label} as row {index}: missing {missing} (conflicts name {named})",
                )
        echoed = leaks(
            listed.text + response.text,
            niks=[v for c in rows for v in _strings(c.body) if SIXTEEN_DIGITS.fullmatch(v)],
        )
        if echoed:
            run.fail("import_records", f"{label}: the job echoes personal data: {echoed}")
    files = [c for c in cases if c.raw is not None and c.content_type == "application/json"]
    for case in files:
        run.counts["import_files"] += 1
        flabel = f"{upload.label} [{case.detail} as the file]"
        try:
            # A record with a lone surrogate is sent as the one row of a file.
            raw = b"[" + case.raw + b"]" if case.cls == "lone_surrogate" else case.raw
            response = await gateway.post(upload.path, content=raw, headers=wait)
        except httpx.TransportError as exc:
            run.fail("import_files", f"{flabel}: the connection broke off: {exc!r}")
            continue
        if STACK_TRACE.search(response.text):
            run.fail("import_files", f"{flabel}: the answer shows internals: {short(response)}")
        if response.status_code == 200:
            summary = response.json()["summary"]
            if summary["created"] or summary["updated"]:
                run.fail("import_files", f"{flabel}: rows were written: {summary}")
        elif not 400 <= response.status_code < 500 or problem_of(response) is None:
            run.fail("import_files", f"{flabel}: expected a problem, got {short(response)}")


TOKEN_ATTACKER = "127.0.0.9"


async def _token_endpoint_cases(
    run: BadInputRun, from_address: Callable[[str], httpx.AsyncClient]
) -> None:
    form = "application/x-www-form-urlencoded"
    bodies: list[tuple[str, bytes, str | None]] = [
        (
            "NUL in client_id",
            b"grant_type=client_credentials&client_id=a%00b&client_secret=x",
            form,
        ),
        (
            "invalid UTF-8",
            b"grant_type=client_credentials&client_id=%ED%A0%80&client_secret=x",
            form,
        ),
        (
            "100,000-character client_id",
            b"grant_type=client_credentials&client_secret=x&client_id=" + b"a" * 100_000,
            form,
        ),
        ("JSON body", b'{"grant_type": "client_credentials"}', "application/json"),
        ("empty body", b"", form),
        ("no content type", b"grant_type=client_credentials", None),
    ]
    async with from_address(TOKEN_ATTACKER) as client:
        for detail, content, content_type in bodies:
            run.counts["token_endpoint"] += 1
            headers = {"Content-Type": content_type} if content_type else {}
            label = f"POST /oauth/token [{detail}]"
            try:
                response = await client.post("/oauth/token", content=content, headers=headers)
            except httpx.TransportError as exc:
                run.fail("token_endpoint", f"{label}: the connection broke off: {exc!r}")
                continue
            if not 400 <= response.status_code < 500 or response.status_code == 429:
                run.fail("token_endpoint", f"{label}: expected 400 or 401, got {short(response)}")
            elif STACK_TRACE.search(response.text):
                run.fail(
                    "token_endpoint", f"{label}: the answer shows internals: {short(response)}"
                )
            try:
                response.json()
            except ValueError:
                run.fail("token_endpoint", f"{label}: the answer is not JSON: {short(response)}")
