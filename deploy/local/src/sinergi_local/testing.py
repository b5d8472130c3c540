"""Pytest fixtures that start the real PostgreSQL and Kafka for the test suite.

One PostgreSQL server and one Kafka broker per test session, on free loopback ports, in fresh
folders under ``.local/test``; each test module that needs a database gets a freshly created
and migrated one, so tests never see each other's rows. Both servers are set up as ``make run``
sets them up: passwords (``secret_store``), a PostgreSQL role per service owning its databases, the
platform's Kafka principals and ACLs; tests connect with those credentials, not as superusers.
The broker also lets the ``aggregation`` principal read topics named ``test.*`` in groups
named ``test-*``, for tests that run the aggregation on a topic of their own.

Also owns ``ServiceUnderTest``: how a domain service's tests run it in process on those
servers (settings, client, tokens, looks into its database and at what it published), so each
service's ``conftest.py`` only declares the service and builds its request bodies.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from shared.services import SERVICES

from sinergi_local.access import (
    AGGREGATION_USER,
    MINISTRY_USER,
    domain_user,
    postgres_password,
    postgres_superuser_password,
)
from sinergi_local.kafka import KafkaBroker, KafkaGrant, ensure_kafka_libs, ensure_topics
from sinergi_local.platform import Platform, PlatformConfig, platform_broker
from sinergi_local.postgres import PostgresServer
from sinergi_local.secrets import SecretStore

if TYPE_CHECKING:
    from _pytest.fixtures import FixtureFunctionDefinition
    from aiokafka import AIOKafkaConsumer
    from fastapi import FastAPI
    from shared.settings import Settings

TEST_GRANTS = (
    # Test topics and their dead-letter topics (test.<name>.dlq).
    KafkaGrant(AGGREGATION_USER, "TOPIC", "test.", ("READ", "WRITE", "DESCRIBE"), prefixed=True),
    KafkaGrant(AGGREGATION_USER, "GROUP", "test-", ("READ", "DESCRIBE"), prefixed=True),
)
# The session's broker by its bootstrap address, so helpers given only a service's settings
# can read what it published (as the ministry's read-only principal).
_BROKERS: dict[str, KafkaBroker] = {}

ROOT = Path(__file__).resolve().parents[4]
LOCAL = ROOT / ".local"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    return free_ports(1)[0]


CLIENT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=2)
"""For the suites' HTTP clients of a running platform: an idle connection is let go before the
server's keep-alive ends (uvicorn closes one idle for 5 s, httpx's default expiry is the same
5 s); else a request sent on a connection the server is closing at that moment fails with
ReadError, as on a loaded machine it did."""


async def until(condition: Callable[[], Awaitable[bool]], what: str, timeout: float = 60) -> None:
    """Poll ``condition`` until it holds; fail with ``what`` after ``timeout`` seconds."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def free_ports(count: int) -> list[int]:
    """``count`` distinct loopback ports nobody listens on right now (all held open while
    they are chosen, so no two are the same)."""
    with contextlib.ExitStack() as stack:
        sockets = [stack.enter_context(socket.socket()) for _ in range(count)]
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]


@pytest.fixture(scope="session")
def test_dir() -> Iterator[Path]:
    """A fresh folder for this test session's servers and keys."""
    path = LOCAL / "test" / f"run-{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def secret_store(test_dir: Path) -> SecretStore:
    """The session's generated passwords (PostgreSQL roles, Kafka principals)."""
    return SecretStore(test_dir / "secrets", environ={})


@pytest.fixture(scope="session")
def postgres(test_dir: Path, secret_store: SecretStore) -> Iterator[PostgresServer]:
    """The session's PostgreSQL server (its superuser's password is in ``secret_store``)."""
    server = PostgresServer(
        data_dir=test_dir / "pg",
        port=free_port(),
        log_path=test_dir / "pg.log",
        password=postgres_superuser_password(secret_store),
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def kafka(test_dir: Path, secret_store: SecretStore) -> Iterator[KafkaBroker]:
    """The session's Kafka broker (single-node KRaft) with the platform's principals and ACLs."""
    port, controller_port = free_ports(2)
    broker = platform_broker(
        secret_store,
        data_dir=test_dir / "kafka",
        libs_dir=ensure_kafka_libs(LOCAL / "cache"),
        port=port,
        controller_port=controller_port,
        log_path=test_dir / "kafka.log",
    )
    broker.provision(grants=TEST_GRANTS)
    broker.start()
    _BROKERS[broker.bootstrap_servers] = broker
    yield broker
    _BROKERS.pop(broker.bootstrap_servers, None)
    broker.stop()


def event_reader(settings: Settings, *topics: str) -> AIOKafkaConsumer:
    """A group-less consumer of ``topics`` on the settings' broker, as the ministry reads."""
    from shared.kafka import make_consumer

    access = _BROKERS[settings.kafka_bootstrap].access(MINISTRY_USER)
    return make_consumer(access, *topics, group_id=None)


MigratedDb = Callable[[str], Awaitable[str]]


@pytest.fixture(scope="session")
def migrated_db(postgres: PostgresServer, secret_store: SecretStore) -> MigratedDb:
    """Factory: a new database of ``service``'s role, migrated as that role; returns its URL.

    As in ``make run``: the superuser creates the database owned by the service's LOGIN role
    (one per service, named after it), and the migrations and the service connect as the role.
    """
    from shared.migrate import upgrade

    async def make(service: str) -> str:
        name = f"{service}_{uuid.uuid4().hex[:8]}"
        password = postgres_password(secret_store, service)
        await asyncio.to_thread(
            postgres.ensure_service_database, database=name, role=service, password=password
        )
        url = postgres.url_for(name, role=service, password=password)
        await asyncio.to_thread(upgrade, service, url)
        return url

    return make


@pytest.fixture(scope="session")
def jwt_keys(test_dir: Path) -> tuple[Path, Path]:
    """The gateway's signing key pair for this session (private, public)."""
    from shared.auth import ensure_keypair

    private, public = test_dir / "jwt-private.pem", test_dir / "jwt-public.pem"
    ensure_keypair(private, public)
    return private, public


TEST_API_QUOTA = "3000/minute"


@pytest.fixture(scope="session")
def platform(
    test_dir: Path, secret_store: SecretStore, postgres: PostgresServer, kafka: KafkaBroker
) -> Iterator[Platform]:
    """The whole platform (services + gateway as processes) on the session's servers."""
    gateway_port, *ports = free_ports(1 + len(SERVICES))
    service_ports = {spec.name: port for spec, port in zip(SERVICES, ports, strict=True)}
    config = PlatformConfig(
        state_dir=test_dir / "platform",
        gateway_port=gateway_port,
        service_ports=service_ports,
        environment="test",
        secrets_dir=secret_store.root,
        # Low enough for the security suite to exhaust one client's quota, high enough for
        # every other test's clients never to meet it.
        settings={"SINERGI_RATE_LIMIT_API": TEST_API_QUOTA},
    )
    running = Platform(config, postgres=postgres, kafka=kafka)
    try:
        running.start()
        running.register_demo_clients()
        running.register_demo_users()
        yield running
    finally:
        running.stop()


Headers = Callable[..., dict[str, str]]
"""``headers(*regions, scopes=..., client_id=...)``: an ``Authorization`` header for a client."""
Sql = Callable[..., Awaitable[list[dict[str, Any]]]]
"""``await sql(query, **params)``: the rows of a query on the service's database, as dicts."""
Rows = Callable[[str], Awaitable[list[dict[str, Any]]]]
"""``await rows(entity_id)``: the outbox rows (``event_type``, ``payload``) of one entity."""
Count = Callable[[str], Awaitable[int]]
"""``await count(table)``: how many rows a table of the service's database holds."""


def sql_runner(database_url: str) -> Sql:
    """Run queries on a database, each on its own short-lived connection."""
    from shared.db import create_engine
    from sqlalchemy import text

    async def run(query: str, **params: Any) -> list[dict[str, Any]]:
        # A short-lived engine per query: nothing of the test stays connected to the
        # service's database between queries.
        engine = create_engine(database_url, pool_size=1)
        try:
            async with engine.connect() as conn:
                return [dict(r._mapping) for r in await conn.execute(text(query), params)]
        finally:
            await engine.dispose()

    return run


@dataclass
class Event:
    id: str | None
    event: str | None
    data: dict[str, Any]


class EventStream:
    """The SSE events of one open response, parsed as the EventSource algorithm does."""

    def __init__(self, response: httpx.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()

    async def next(self, timeout: float = 30.0) -> Event:
        return await asyncio.wait_for(self._next(), timeout)

    async def _next(self) -> Event:
        fields: dict[str, list[str]] = {}
        async for line in self._lines:
            if not line:
                if "data" in fields:
                    return Event(
                        id=fields.get("id", [None])[-1],
                        event=fields.get("event", [None])[-1],
                        data=json.loads("\n".join(fields["data"])),
                    )
                fields = {}
                continue
            if line.startswith(":"):
                continue
            name, _, value = line.partition(":")
            fields.setdefault(name, []).append(value.removeprefix(" "))
        raise EOFError("the stream ended")

    async def until(self, wanted: set[str], timeout: float = 30.0) -> list[Event]:
        """Events until every entity id of ``wanted`` has come. Events of different entities
        may come in any order (each entity's own events stay in order: one partition)."""
        seen: list[Event] = []
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not wanted <= {e.data["subject"] for e in seen}:
            seen.append(await self.next(timeout=max(0.1, deadline - loop.time())))
        return seen


@dataclass(frozen=True)
class ServiceUnderTest:
    """A domain service as its tests run it: in process, on a fresh migrated database of its own,
    publishing to the session's Kafka, called with tokens signed by the session's keys.

    A service's ``conftest.py`` declares one and binds the fixtures it wants to module-level
    names; a fixture is called by the name it is bound to::

        SERVICE = ServiceUnderTest(name="training", topic=TOPIC, create_app=create_app, ...)
        service_settings, app_client, token = SERVICE.fixtures()
        sql = SERVICE.sql_fixture()

    Every fixture but ``service_settings`` asks for the settings by that fixture name.
    """

    name: str
    """The service's Alembic section (``job_market``); also the prefix of its test databases."""
    topic: str
    """The Kafka topic the service's outbox relay publishes to."""
    create_app: Callable[[Settings], FastAPI]
    scopes: tuple[str, ...]
    """The scopes of a token unless the test asks for others."""
    client_id: str = "disnaker-test"
    """The client a token is issued to unless the test names another."""

    @property
    def base_url(self) -> str:
        """The in-process client's base URL (``http://job-market``)."""
        return f"http://{self.name.replace('_', '-')}"

    async def settings(
        self, *, migrated_db: MigratedDb, kafka: KafkaBroker, jwt_keys: tuple[Path, Path]
    ) -> Settings:
        """Settings for the service on a new migrated database and the session's Kafka.

        The service connects as its own PostgreSQL role and publishes as its own Kafka
        principal (which may write its topic and nothing else).
        """
        from shared.settings import Settings

        await ensure_topics(kafka.admin, [self.topic])
        access = kafka.access(domain_user(self.topic))
        return Settings(
            environment="test",
            database_url=await migrated_db(self.name),
            kafka_bootstrap=access.bootstrap,
            kafka_username=access.username,
            kafka_password=access.password,
            jwt_private_key_path=jwt_keys[0],
            jwt_public_key_path=jwt_keys[1],
            # Tests wait for the relay to publish; a short poll keeps that wait short.
            outbox_poll_seconds=0.05,
        )

    @asynccontextmanager
    async def client(self, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
        """An HTTP client on the app in process, with its lifespan (outbox relay) running."""
        app = self.create_app(settings)
        async with app.router.lifespan_context(app):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=self.base_url) as client:
                yield client

    def token(self, settings: Settings) -> Headers:
        """Authorization headers for a client with the given regions and scopes."""
        from shared.auth import TokenIssuer

        issuer = TokenIssuer(
            private_key_pem=settings.jwt_private_key_path.read_bytes(),
            issuer=settings.jwt_issuer,
            audience=settings.jwt_audience,
        )

        def headers(
            *regions: str, scopes: tuple[str, ...] = self.scopes, client_id: str = self.client_id
        ) -> dict[str, str]:
            jwt = issuer.issue(client_id=client_id, scopes=scopes, regions=regions, ttl=300)
            return {"Authorization": f"Bearer {jwt}"}

        return headers

    def outbox(self, settings: Settings) -> Rows:
        """The outbox rows (``event_type``, ``payload``) of one entity id, oldest first."""
        sql = sql_runner(settings.database_url)

        async def rows(key: str) -> list[dict[str, Any]]:
            query = "SELECT event_type, payload FROM outbox WHERE key = :k ORDER BY seq"
            return await sql(query, k=key)

        return rows

    def count_rows(self, settings: Settings) -> Count:
        """How many rows a table of the service's database holds."""
        sql = sql_runner(settings.database_url)

        async def count(table: str) -> int:
            rows = await sql(f"SELECT count(*) AS n FROM {table}")  # noqa: S608
            return int(rows[0]["n"] or 0)

        return count

    async def first_published(
        self, settings: Settings, key: str, *, revision: int | None = None
    ) -> str:
        """The raw CloudEvent first published for an entity id (of that ``revision``, if given)."""
        consumer = event_reader(settings, self.topic)
        await consumer.start()
        try:
            async with asyncio.timeout(30):
                while True:
                    batches = await consumer.getmany(timeout_ms=500)
                    for record in (r for rs in batches.values() for r in rs):
                        if record.key != key.encode():
                            continue
                        raw: str = record.value.decode()
                        if revision is None or json.loads(raw)["data"]["revision"] == revision:
                            return raw
        finally:
            await consumer.stop()

    def fixtures(
        self,
    ) -> tuple[FixtureFunctionDefinition, FixtureFunctionDefinition, FixtureFunctionDefinition]:
        """The module-scoped ``service_settings``, ``app_client`` and ``token`` fixtures."""

        @pytest.fixture(scope="module")
        async def service_settings(
            migrated_db: MigratedDb, kafka: KafkaBroker, jwt_keys: tuple[Path, Path]
        ) -> Settings:
            """The service's settings: its own migrated database, the session's Kafka."""
            return await self.settings(migrated_db=migrated_db, kafka=kafka, jwt_keys=jwt_keys)

        @pytest.fixture(scope="module")
        async def app_client(service_settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
            """An HTTP client on the service running in process (relay included)."""
            async with self.client(service_settings) as client:
                yield client

        @pytest.fixture(scope="module")
        def token(service_settings: Settings) -> Headers:
            """Authorization headers for a client with the given regions and scopes."""
            return self.token(service_settings)

        return service_settings, app_client, token

    def sql_fixture(self) -> FixtureFunctionDefinition:
        """A fixture running queries on the service's database (see ``Sql``)."""

        @pytest.fixture(scope="module")
        def sql(service_settings: Settings) -> Sql:
            """Run a query on the service's database (to see what was, or was not, written)."""
            return sql_runner(service_settings.database_url)

        return sql

    def outbox_fixture(self) -> FixtureFunctionDefinition:
        """A fixture reading one entity's outbox rows (see ``Rows``)."""

        @pytest.fixture(scope="module")
        def outbox(service_settings: Settings) -> Rows:
            """The outbox rows (``event_type``, ``payload``) of one entity id, oldest first."""
            return self.outbox(service_settings)

        return outbox

    def count_rows_fixture(self) -> FixtureFunctionDefinition:
        """A fixture counting a table's rows (see ``Count``)."""

        @pytest.fixture(scope="module")
        def count_rows(service_settings: Settings) -> Count:
            """How many rows a table of the service's database holds."""
            return self.count_rows(service_settings)

        return count_rows
