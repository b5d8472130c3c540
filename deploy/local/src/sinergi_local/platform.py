"""The whole platform on one machine: PostgreSQL, Kafka, migrations, services, gateway.

``make run`` and the end-to-end tests both use :class:`Platform`, so what the tests exercise
is what an operator starts. Every process gets its configuration through ``SINERGI_*``
environment variables, the same names docker-compose sets: its own PostgreSQL role (owner of
its database only) and its own Kafka principal (see ``sinergi_local.access``), with passwords
generated per installation in the secrets folder.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import json
import logging
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import httpx
from gateway.console.roles import MINISTRY_SCOPES, REGIONAL_SCOPES
from shared.dlq import DLQ_PARTITIONS, dlq_topic
from shared.events import TOPICS
from shared.kafka import KafkaAccess
from shared.services import GATEWAY_PORT, SERVICES, ServiceDeclaration

from sinergi_local.access import (
    GATEWAY_USER,
    MINISTRY_GROUP_PREFIX,
    MINISTRY_USER,
    kafka_admin_password,
    kafka_grants,
    kafka_users,
    postgres_password,
    postgres_superuser_password,
)
from sinergi_local.kafka import (
    KafkaBroker,
    client_properties,
    ensure_kafka_libs,
    ensure_topics,
)
from sinergi_local.postgres import PostgresServer
from sinergi_local.secrets import SecretStore

log = logging.getLogger("sinergi")

ROOT = Path(__file__).resolve().parents[4]
HOST = "127.0.0.1"


class DatabaseServer(Protocol):
    """What the platform needs of PostgreSQL: ours (embedded) or an external one."""

    def url_for(
        self, database: str, *, role: str | None = None, password: str | None = None
    ) -> str: ...

    def ensure_service_database(self, *, database: str, role: str, password: str) -> None: ...


class Broker(Protocol):
    """What the platform needs of Kafka."""

    @property
    def bootstrap_servers(self) -> str: ...

    @property
    def admin(self) -> KafkaAccess:
        """The super user's access (topic creation)."""
        ...


@dataclass(frozen=True)
class DemoClient:
    """A client the local platform registers for newcomers."""

    client_id: str
    name: str
    regions: tuple[str, ...]
    scopes: tuple[str, ...]


BPJS_SCOPES = (
    "social-security:read",
    "social-security:write",
    "indicators:read",
    "social-security:subscribe",
)


def demo_clients() -> list[DemoClient]:
    """One client per pilot region, the ministry's national read-only client, and BPJS."""
    from shared.regions import PILOT_REGIONS

    clients = [
        DemoClient(
            client_id=f"disnaker-{region.code.replace('.', '')}",
            name=f"Disnaker {region.name}",
            regions=(region.code,),
            scopes=REGIONAL_SCOPES,
        )
        for region in PILOT_REGIONS
    ]
    clients.append(
        DemoClient(
            "kemnaker-pusdatin",
            "Kemnaker Pusdatin (national)",
            ("*",),
            (*MINISTRY_SCOPES, "audit:read"),
        )
    )
    clients.append(DemoClient("bpjs-ketenagakerjaan", "BPJS Ketenagakerjaan", ("*",), BPJS_SCOPES))
    return clients


@dataclass(frozen=True)
class DemoUser:
    """A person the local platform registers for the web console."""

    username: str
    full_name: str
    role: str
    regions: tuple[str, ...]


def demo_users() -> list[DemoUser]:
    """An officer of each pilot region's labour office, a ministry analyst and an admin."""
    from shared.regions import PILOT_REGIONS

    users = [
        DemoUser(
            username=f"petugas-{region.code.replace('.', '')}",
            full_name=f"Petugas Disnaker {region.name.title()}",
            role="regional_officer",
            regions=(region.code,),
        )
        for region in PILOT_REGIONS
    ]
    users.append(
        DemoUser("analis-pusdatin", "Analis Pusdatin Kemnaker", "ministry_analyst", ("*",))
    )
    users.append(DemoUser("admin", "Administrator Sinergi", "admin", ("*",)))
    return users


@dataclass
class PlatformConfig:
    """Where the platform keeps its state and which ports it uses."""

    state_dir: Path = ROOT / ".local"
    gateway_port: int = GATEWAY_PORT
    service_ports: dict[str, int] = field(default_factory=dict)
    environment: str = "development"
    secrets_dir: Path | None = None
    """Where the generated passwords and keys are; ``<state_dir>/secrets`` unless given."""
    settings: dict[str, str] = field(default_factory=dict)
    """Further ``SINERGI_*`` settings of every process (the tests lower the API quota)."""
    topic_partitions: int = field(
        default_factory=lambda: int(os.environ.get("SINERGI_TOPIC_PARTITIONS", "3"))
    )
    """Partitions of each domain topic created (``SINERGI_TOPIC_PARTITIONS``, 3 by default);
    an existing topic keeps its own (raise it with Kafka's tools)."""

    @property
    def secrets(self) -> Path:
        return self.secrets_dir or self.state_dir / "secrets"

    def port_of(self, spec: ServiceDeclaration) -> int:
        return self.service_ports.get(spec.name, spec.port)

    @property
    def gateway_url(self) -> str:
        return f"http://{HOST}:{self.gateway_port}"


class Platform:
    """Start and stop the services and the gateway on a running PostgreSQL and Kafka."""

    def __init__(
        self,
        config: PlatformConfig,
        *,
        postgres: DatabaseServer,
        kafka: Broker,
        services: Iterable[ServiceDeclaration] = SERVICES,
    ) -> None:
        self.config = config
        self.postgres = postgres
        self.kafka = kafka
        self.services = tuple(services)
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.replicas: dict[str, tuple[str, int, dict[str, str]]] = {}
        """Further instances (``start_replica``): name -> (process, port, extra settings)."""
        self.secrets_dir = config.secrets
        self.secrets = SecretStore(self.secrets_dir)
        self.logs_dir = config.state_dir / "logs"

    # ----------------------------------------------------------------- preparation
    def prepare(self) -> None:
        """Databases, roles, migrations, topics and secrets: everything the processes need.

        Each database is created (as the superuser) owned by the service's own role, and
        migrated as that role, so the service owns its tables and nothing else.
        """
        from shared.auth import ensure_keypair
        from shared.migrate import upgrade

        self.logs_dir.mkdir(parents=True, exist_ok=True)
        ensure_keypair(self.secrets_dir / "jwt-private.pem", self.secrets_dir / "jwt-public.pem")
        self._person_ref_secret()
        for name, database in self._databases():
            password = postgres_password(self.secrets, name)
            self.postgres.ensure_service_database(database=database, role=name, password=password)
            # Migrations encrypt personal data written before encryption, with this key ring.
            with _environment(SINERGI_DATA_KEYS=self._data_keys_setting()):
                upgrade(name, self.database_url(name, database))
        topics = sorted({s.topic for s in self.services if s.domain})
        # Domain topics keep every event forever: the aggregation's read models are rebuilt
        # by replaying them from the beginning, and ministry consumers may start late. So do
        # their dead-letter topics, until an operator has looked at them; those have one
        # partition, so that a topic and an offset name a dead letter (shared.dlq).
        forever = {"retention.ms": "-1"}
        # Partitions are the unit of consumer scale: at most one aggregation replica per
        # partition of a topic does work (docs/OPERATIONS.md, "Scaling").
        asyncio.run(
            ensure_topics(
                self.kafka.admin, topics, partitions=self.config.topic_partitions, config=forever
            )
        )
        dead_letters = [dlq_topic(topic) for topic in topics]
        asyncio.run(
            ensure_topics(self.kafka.admin, dead_letters, partitions=DLQ_PARTITIONS, config=forever)
        )

    def database_url(self, name: str, database: str) -> str:
        """The URL of ``database`` as process ``name``'s own role."""
        return self.postgres.url_for(
            database, role=name, password=postgres_password(self.secrets, name)
        )

    def kafka_access(self, user: str) -> KafkaAccess:
        """How principal ``user`` connects to the platform's Kafka."""
        admin = self.kafka.admin
        return KafkaAccess(
            bootstrap=self.kafka.bootstrap_servers,
            username=user,
            password=self.secrets.get(f"kafka/{user}"),
            security_protocol=admin.security_protocol,
            sasl_mechanism=admin.sasl_mechanism,
            ssl_cafile=admin.ssl_cafile,
        )

    def _databases(self) -> list[tuple[str, str]]:
        return [(s.name, s.database) for s in self.services] + [("gateway", "sinergi_gateway")]

    def _person_ref_secret(self) -> str:
        path = self.secrets_dir / "person-ref-secret"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_hex(32))
        return path.read_text().strip()

    def _data_keys_setting(self) -> str:
        """``SINERGI_DATA_KEYS`` of this installation: the operator's, else one AES-256 key
        derived from a generated secret."""
        given = os.environ.get("SINERGI_DATA_KEYS")
        if given:
            return given
        key = hashlib.sha256(self.secrets.get("data-key").encode()).digest()
        return "local:" + base64.b64encode(key).decode()

    def environment(self, name: str, database: str) -> dict[str, str]:
        """The ``SINERGI_*`` variables of one process."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("SINERGI_")}
        env.update(
            SINERGI_ENVIRONMENT=self.config.environment,
            SINERGI_SERVICE_NAME=name,
            SINERGI_DATABASE_URL=self.database_url(name, database),
            SINERGI_KAFKA_BOOTSTRAP=self.kafka.bootstrap_servers,
            SINERGI_JWT_PUBLIC_KEY_PATH=str(self.secrets_dir / "jwt-public.pem"),
            SINERGI_JWT_PRIVATE_KEY_PATH=str(self.secrets_dir / "jwt-private.pem"),
            SINERGI_PERSON_REF_SECRET=self._person_ref_secret(),
            SINERGI_DATA_KEYS=self._data_keys_setting(),
            SINERGI_ROOT=str(ROOT),
        )
        env.update(self.config.settings)
        kafka_user = GATEWAY_USER if name == "gateway" else None
        for spec in self.services:
            env[spec.url_setting] = f"http://{HOST}:{self.config.port_of(spec)}"
            if spec.name == name:
                kafka_user = spec.kafka_user
        if kafka_user is not None:
            # Each process talks to Kafka as its own principal.
            access = self.kafka_access(kafka_user)
            env.update(
                SINERGI_KAFKA_SECURITY_PROTOCOL=access.security_protocol,
                SINERGI_KAFKA_SASL_MECHANISM=access.sasl_mechanism,
                SINERGI_KAFKA_USERNAME=access.username,
                SINERGI_KAFKA_PASSWORD=access.password,
            )
            if access.ssl_cafile is not None:
                env["SINERGI_KAFKA_SSL_CAFILE"] = str(access.ssl_cafile)
        return env

    # ----------------------------------------------------------------- processes
    def start(self, timeout: float = 60.0) -> None:
        """Prepare, then start every service and the gateway and wait until they answer."""
        self.prepare()
        for name in self._process_specs():
            self._spawn(name)
        deadline = time.monotonic() + timeout
        for name in self._process_specs():
            self._wait_healthy(name, deadline)

    def restart(self, name: str, timeout: float = 60.0) -> None:
        """Start one process again (after ``kill`` or a crash) and wait until it answers."""
        self.stop_process(name)
        self._spawn(name)
        self._wait_healthy(name, time.monotonic() + timeout)

    def start_replica(
        self,
        of: str,
        *,
        port: int,
        settings: Mapping[str, str] | None = None,
        timeout: float = 60.0,
    ) -> str:
        """Start another instance of process ``of`` on ``port``, as a second pod would run:
        the same database, Kafka principal and consumer group, plus ``settings`` (e.g. a
        gateway's upstream URL). Returns its name (``<of>@<port>``), which ``kill``,
        ``restart`` and ``stop_process`` take; ``stop`` stops it with the rest."""
        name = f"{of}@{port}"
        self.replicas[name] = (of, port, dict(settings or {}))
        self._spawn(name)
        self._wait_healthy(name, time.monotonic() + timeout)
        return name

    def kill(self, name: str) -> None:
        """SIGKILL one process, as a crash would (fault injection)."""
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)

    def _process_specs(self) -> dict[str, tuple[str, int, str]]:
        """Every process by name: (app factory, port, database)."""
        specs = {
            spec.name: (spec.factory, self.config.port_of(spec), spec.database)
            for spec in self.services
        }
        specs["gateway"] = ("gateway.main:create_app", self.config.gateway_port, "sinergi_gateway")
        return specs

    def _spec(self, name: str) -> tuple[str, int, str, dict[str, str]]:
        """(app factory, port, database, environment) of a process or a replica."""
        of, port, settings = self.replicas.get(name, (name, 0, {}))
        factory, own_port, database = self._process_specs()[of]
        return factory, port or own_port, database, self.environment(of, database) | settings

    def _spawn(self, name: str) -> None:
        factory, port, _, environment = self._spec(name)
        log_file = (self.logs_dir / f"{name}.log").open("ab")
        command = [
            sys.executable, "-m", "uvicorn", "--factory", factory,
            "--host", HOST, "--port", str(port),
            "--no-access-log", "--timeout-graceful-shutdown", "5",
        ]  # fmt: skip
        self.processes[name] = subprocess.Popen(
            command,
            env=environment,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            cwd=ROOT,
        )
        log_file.close()

    def _wait_healthy(self, name: str, deadline: float) -> None:
        of, port, _ = self.replicas.get(name, (name, 0, {}))
        url = f"http://{HOST}:{port or self._process_specs()[of][1]}/health"
        while True:
            process = self.processes[name]
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}; {self._tail(name)}")
            try:
                # More than the gateway's own upstream checks take (2 s) on a busy machine.
                if httpx.get(url, timeout=5.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} did not become healthy; {self._tail(name)}")
            time.sleep(0.1)

    def _tail(self, name: str) -> str:
        path = self.logs_dir / f"{name}.log"
        lines = path.read_text(errors="replace").splitlines() if path.exists() else []
        return "log tail:\n" + "\n".join(lines[-30:])

    def stop_process(self, name: str, timeout: float = 8.0) -> None:
        """SIGTERM one process (uvicorn drains requests), SIGKILL after ``timeout``."""
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(2)

    def stop(self) -> None:
        """Stop the gateway and the services (PostgreSQL and Kafka belong to the caller)."""
        for name in list(self.processes):
            process = self.processes[name]
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 8.0
        for name in list(self.processes):
            self.stop_process(name, timeout=max(0.1, deadline - time.monotonic()))

    # ----------------------------------------------------------------- demo clients
    def register_demo_clients(self) -> Path:
        """Register the demo clients (keeping secrets across runs) and write the JSON file.

        The file also holds the ministry subscriber's Kafka credentials (``"kafka"``): its
        read-only principal, the topics and the prefix its consumer groups must have; the same
        credentials go to ``kafka-client.properties`` beside it, for Kafka's own tools.
        """
        path = self.config.state_dir / "demo-clients.json"
        known: dict[str, str] = {}
        if path.exists():
            for entry in json.loads(path.read_text())["clients"]:
                known[entry["client_id"]] = entry["client_secret"]
        credentials = [
            (client, known.get(client.client_id) or secrets.token_urlsafe(24))
            for client in demo_clients()
        ]
        asyncio.run(self._upsert_clients(credentials))
        payload = {
            "gateway": self.config.gateway_url,
            "clients": [
                {
                    "client_id": client.client_id,
                    "client_secret": secret,
                    "name": client.name,
                    "regions": list(client.regions),
                    "scopes": list(client.scopes),
                }
                for client, secret in credentials
            ],
            "kafka": self._ministry_kafka(),
        }
        _write_private(path, json.dumps(payload, indent=2) + "\n")
        _write_private(
            self.config.state_dir / "kafka-client.properties",
            client_properties(self.kafka_access(MINISTRY_USER)),
        )
        return path

    def register_demo_users(self) -> Path:
        """Register the web console's demo people (keeping passwords across runs) and write
        ``demo-users.json``: one officer per pilot region, an analyst and an administrator."""
        path = self.config.state_dir / "demo-users.json"
        known: dict[str, str] = {}
        if path.exists():
            for entry in json.loads(path.read_text())["users"]:
                known[entry["username"]] = entry["password"]
        people = [
            (user, known.get(user.username) or secrets.token_urlsafe(12)) for user in demo_users()
        ]
        asyncio.run(self._upsert_users(people))
        payload = {
            "dashboard": f"{self.config.gateway_url}/dashboard",
            "users": [
                {
                    "username": user.username,
                    "password": password,
                    "role": user.role,
                    "regions": list(user.regions),
                }
                for user, password in people
            ],
        }
        _write_private(path, json.dumps(payload, indent=2) + "\n")
        return path

    async def _upsert_users(self, people: list[tuple[DemoUser, str]]) -> None:
        from gateway.console.accounts import upsert_user
        from shared.db import create_engine, session_factory

        engine = create_engine(self.database_url("gateway", "sinergi_gateway"), pool_size=1)
        try:
            async with session_factory(engine)() as session:
                for user, password in people:
                    await upsert_user(
                        session,
                        username=user.username,
                        password=password,
                        full_name=user.full_name,
                        role=user.role,
                        regions=user.regions,
                    )
        finally:
            await engine.dispose()

    def _ministry_kafka(self) -> dict[str, object]:
        access = self.kafka_access(MINISTRY_USER)
        return {
            "bootstrap": access.bootstrap,
            "security_protocol": access.security_protocol,
            "sasl_mechanism": access.sasl_mechanism,
            "username": access.username,
            "password": access.password,
            "topics": list(TOPICS),
            "group_prefix": MINISTRY_GROUP_PREFIX,
        }

    async def _upsert_clients(self, credentials: list[tuple[DemoClient, str]]) -> None:
        from gateway.clients import upsert_client
        from shared.db import create_engine, session_factory

        engine = create_engine(self.database_url("gateway", "sinergi_gateway"), pool_size=1)
        try:
            async with session_factory(engine)() as session:
                for client, secret in credentials:
                    await upsert_client(
                        session,
                        client_id=client.client_id,
                        client_secret=secret,
                        name=client.name,
                        regions=client.regions,
                        scopes=client.scopes,
                    )
        finally:
            await engine.dispose()


@contextlib.contextmanager
def _environment(**values: str) -> Iterator[None]:
    """Set environment variables for the block (in-process Alembic reads its settings there)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def start_infrastructure(
    state_dir: Path, *, pg_port: int, kafka_port: int, controller_port: int | None = None
) -> tuple[PostgresServer, KafkaBroker]:
    """Start (or reuse) the PostgreSQL cluster and the Kafka broker kept in ``state_dir``; the
    broker's controller listens on ``controller_port`` (by default the port after its own).

    Their passwords (and the Kafka principals') are those in ``<state_dir>/secrets``.
    """
    secrets = SecretStore(state_dir / "secrets")
    postgres = PostgresServer(
        data_dir=state_dir / "postgres",
        port=pg_port,
        log_path=state_dir / "logs" / "postgres.log",
        password=postgres_superuser_password(secrets),
    )
    (state_dir / "logs").mkdir(parents=True, exist_ok=True)
    postgres.start()
    kafka = platform_broker(
        secrets,
        data_dir=state_dir / "kafka",
        libs_dir=ensure_kafka_libs(state_dir / "cache"),
        port=kafka_port,
        controller_port=kafka_port + 1 if controller_port is None else controller_port,
        log_path=state_dir / "logs" / "kafka.log",
    )
    try:
        kafka.start()
    except Exception:
        postgres.stop()
        raise
    return postgres, kafka


def platform_broker(
    secrets: SecretStore,
    *,
    data_dir: Path,
    libs_dir: Path,
    port: int,
    controller_port: int,
    log_path: Path,
) -> KafkaBroker:
    """A (not yet started) broker with the platform's principals and ACLs."""
    return KafkaBroker(
        data_dir=data_dir,
        libs_dir=libs_dir,
        port=port,
        controller_port=controller_port,
        log_path=log_path,
        admin_password=kafka_admin_password(secrets),
        users=kafka_users(secrets),
        grants=kafka_grants(),
    )


def _write_private(path: Path, text: str) -> None:
    """Write a file only its owner may read (it holds credentials)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
