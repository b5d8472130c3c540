"""Pytest fixtures that start the real PostgreSQL and Kafka for the test suite.

One PostgreSQL server and one Kafka broker per test session, on free loopback ports, in fresh
folders under ``.local/test``; each test module that needs a database gets a freshly created
and migrated one, so tests never see each other's rows.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import uuid
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest

from sinergi_local.kafka import KafkaBroker, ensure_kafka_libs
from sinergi_local.platform import SERVICES, Platform, PlatformConfig
from sinergi_local.postgres import PostgresServer

ROOT = Path(__file__).resolve().parents[4]
LOCAL = ROOT / ".local"


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session")
def test_dir() -> Iterator[Path]:
    """A fresh folder for this test session's servers and keys."""
    path = LOCAL / "test" / f"run-{os.getpid()}"
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres(test_dir: Path) -> Iterator[PostgresServer]:
    """The session's PostgreSQL server."""
    server = PostgresServer(
        data_dir=test_dir / "pg", port=free_port(), log_path=test_dir / "pg.log"
    )
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def kafka(test_dir: Path) -> Iterator[KafkaBroker]:
    """The session's Kafka broker (single-node KRaft)."""
    broker = KafkaBroker(
        data_dir=test_dir / "kafka",
        libs_dir=ensure_kafka_libs(LOCAL / "cache"),
        port=free_port(),
        controller_port=free_port(),
        log_path=test_dir / "kafka.log",
    )
    broker.start()
    yield broker
    broker.stop()


MigratedDb = Callable[[str], Awaitable[str]]


@pytest.fixture(scope="session")
def migrated_db(postgres: PostgresServer) -> MigratedDb:
    """Factory: a new database migrated with ``service``'s Alembic environment; returns its URL."""
    from shared.migrate import upgrade

    async def make(service: str) -> str:
        name = f"{service}_{uuid.uuid4().hex[:8]}"
        await asyncio.to_thread(postgres.create_database, name)
        url = postgres.url_for(name)
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


@pytest.fixture(scope="session")
def platform(test_dir: Path, postgres: PostgresServer, kafka: KafkaBroker) -> Iterator[Platform]:
    """The whole platform (services + gateway as processes) on the session's servers."""
    service_ports = {spec.name: free_port() for spec in SERVICES}
    config = PlatformConfig(
        state_dir=test_dir / "platform",
        gateway_port=free_port(),
        service_ports=service_ports,
        environment="test",
    )
    running = Platform(config, postgres=postgres, kafka=kafka)
    try:
        running.start()
        running.register_demo_clients()
        yield running
    finally:
        running.stop()
