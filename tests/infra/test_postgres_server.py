"""PostgresServer against a real PostgreSQL: TCP access, durability across restarts, clean stop,
passwords over TCP and service roles confined to their own database."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import psutil
import pytest
from sinergi_local.postgres import PostgresServer
from sinergi_local.testing import MigratedDb

SUPERUSER_PASSWORD = "superuser-password-for-tests"

pytestmark = pytest.mark.timeout(60)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postmaster.pid").read_text().splitlines()[0])


def _process_tree(pid: int) -> list[int]:
    return [pid, *(child.pid for child in psutil.Process(pid).children(recursive=True))]


def _still_running(pids: list[int]) -> list[int]:
    """Pids that still run; zombies count as gone (here PID 1 may never reap orphans)."""
    running = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                running.append(pid)
        except psutil.NoSuchProcess:
            pass
    return running


def _port_open(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


@pytest.fixture
def server(tmp_path: Path) -> Iterator[PostgresServer]:
    pg = PostgresServer(
        data_dir=tmp_path / "pgdata",
        port=_free_port(),
        log_path=tmp_path / "postgres.log",
        password=SUPERUSER_PASSWORD,
    )
    try:
        yield pg
    finally:
        pg.stop()


async def test_data_survives_restart_and_stop_leaves_no_process(server: PostgresServer) -> None:
    await asyncio.to_thread(server.start)
    assert server.is_running()
    assert server.url == (
        f"postgresql://postgres:{SUPERUSER_PASSWORD}@127.0.0.1:{server.port}/postgres"
    )

    # Called straight from the running loop on purpose: the helper must cope with that.
    server.create_database("sinergi_test")
    server.create_database("sinergi_test")  # idempotent

    conn = await asyncpg.connect(server.url_for("sinergi_test"))
    try:
        await conn.execute("CREATE TABLE note (id int PRIMARY KEY, body text NOT NULL)")
        await conn.execute("INSERT INTO note VALUES (1, 'kept across restarts')")
    finally:
        await conn.close()

    pids = _process_tree(_postmaster_pid(server.data_dir))
    assert len(pids) > 1  # postmaster plus its auxiliary processes
    await asyncio.to_thread(server.stop)
    assert not server.is_running()
    assert _still_running(pids) == []
    assert not (server.data_dir / "postmaster.pid").exists()  # clean (fast) shutdown
    assert not _port_open(server.port)
    server.stop()  # idempotent

    await asyncio.to_thread(server.start)
    conn = await asyncpg.connect(server.url_for("sinergi_test"))
    try:
        assert await conn.fetchval("SELECT body FROM note WHERE id = 1") == "kept across restarts"
    finally:
        await conn.close()

    await asyncio.to_thread(server.drop_database, "sinergi_test")
    await asyncio.to_thread(server.drop_database, "sinergi_test")  # idempotent
    conn = await asyncpg.connect(server.url)
    try:
        assert (
            await conn.fetchval(
                "SELECT count(*) FROM pg_database WHERE datname = $1", "sinergi_test"
            )
            == 0
        )
    finally:
        await conn.close()


async def test_reuses_and_stops_server_left_by_earlier_process(
    server: PostgresServer,
) -> None:
    # Start the server from a separate interpreter that exits without stopping it.
    script = textwrap.dedent(
        f"""
        from pathlib import Path
        from sinergi_local.postgres import PostgresServer
        PostgresServer(
            data_dir=Path({str(server.data_dir)!r}),
            port={server.port},
            log_path=Path({str(server.log_path)!r}),
            password={SUPERUSER_PASSWORD!r},
        ).start()
        """
    )
    await asyncio.to_thread(subprocess.run, [sys.executable, "-c", script], check=True, timeout=30)
    pid = _postmaster_pid(server.data_dir)
    pids = _process_tree(pid)
    assert server.is_running()

    await asyncio.to_thread(server.start)  # reuses instead of failing on the locked data dir
    assert _postmaster_pid(server.data_dir) == pid
    conn = await asyncpg.connect(server.url)
    try:
        assert await conn.fetchval("SELECT 1") == 1
    finally:
        await conn.close()

    # A different port for the same data directory is refused, not silently ignored.
    other = PostgresServer(
        data_dir=server.data_dir,
        port=_free_port(),
        log_path=server.log_path,
        password=SUPERUSER_PASSWORD,
    )
    with pytest.raises(RuntimeError, match="already runs"):
        await asyncio.to_thread(other.start, 5.0)
    assert server.is_running()

    await asyncio.to_thread(server.stop)
    assert not server.is_running()
    assert _still_running(pids) == []
    assert not _port_open(server.port)


async def _refused(url: str) -> type[Exception]:
    """The error connecting to ``url`` raises (fails the test if the connection succeeds)."""
    try:
        conn = await asyncpg.connect(url, timeout=10)
    except (asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        return type(exc)
    await conn.close()
    raise AssertionError(f"connected to {url.rpartition('@')[2]}")


async def test_no_passwordless_or_wrong_password_login_over_tcp(server: PostgresServer) -> None:
    await asyncio.to_thread(server.start)
    base = f"127.0.0.1:{server.port}/postgres"
    assert issubclass(
        await _refused(f"postgresql://postgres@{base}"),
        (asyncpg.InvalidAuthorizationSpecificationError, asyncpg.InterfaceError),
    )
    assert issubclass(
        await _refused(f"postgresql://postgres:guess@{base}"), asyncpg.InvalidPasswordError
    )
    hba = (server.data_dir / "pg_hba.conf").read_text()
    assert "trust" not in [line.split()[-1] for line in hba.splitlines() if line.startswith("host")]
    conn = await asyncpg.connect(server.url)  # the right password works
    await conn.close()


async def test_a_service_role_owns_its_database_and_reaches_no_other(
    server: PostgresServer,
) -> None:
    await asyncio.to_thread(server.start)
    for role in ("job_market", "training"):
        await asyncio.to_thread(
            server.ensure_service_database,
            database=f"sinergi_{role}",
            role=role,
            password=f"{role}-password",
        )
    # Idempotent, and the password is set again.
    await asyncio.to_thread(
        server.ensure_service_database,
        database="sinergi_job_market",
        role="job_market",
        password="job_market-password",
    )
    own = server.url_for("sinergi_job_market", role="job_market", password="job_market-password")
    conn = await asyncpg.connect(own)
    try:
        await conn.execute("CREATE TABLE note (id int PRIMARY KEY)")
        await conn.execute("INSERT INTO note VALUES (1)")
        assert (
            await conn.fetchval(
                "SELECT rolsuper OR rolcreatedb OR rolcreaterole FROM pg_roles"
                " WHERE rolname = current_user"
            )
            is False
        )
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE DATABASE sneaky")
    finally:
        await conn.close()
    for database in ("sinergi_training", "postgres"):
        url = server.url_for(database, role="job_market", password="job_market-password")
        assert await _refused(url) is asyncpg.InsufficientPrivilegeError  # no CONNECT
    wrong = server.url_for("sinergi_job_market", role="job_market", password="training-password")
    assert await _refused(wrong) is asyncpg.InvalidPasswordError


async def test_objects_an_earlier_superuser_migration_made_are_handed_to_the_role(
    server: PostgresServer,
) -> None:
    await asyncio.to_thread(server.start)
    await asyncio.to_thread(server.create_database, "sinergi_legacy")
    conn = await asyncpg.connect(server.url_for("sinergi_legacy"))
    try:
        await conn.execute("CREATE TYPE mood AS ENUM ('ok')")
        await conn.execute("CREATE TABLE legacy (id bigserial PRIMARY KEY, m mood)")
        await conn.execute("CREATE VIEW legacy_view AS SELECT id FROM legacy")
    finally:
        await conn.close()
    await asyncio.to_thread(
        server.ensure_service_database,
        database="sinergi_legacy",
        role="legacy",
        password="legacy-password",
    )
    conn = await asyncpg.connect(
        server.url_for("sinergi_legacy", role="legacy", password="legacy-password")
    )
    try:
        await conn.execute("INSERT INTO legacy (m) VALUES ('ok')")
        assert await conn.fetchval("SELECT count(*) FROM legacy_view") == 1
        await conn.execute("ALTER TYPE mood ADD VALUE 'fine'")  # only its owner may
    finally:
        await conn.close()


async def test_migrations_create_objects_owned_by_the_service_role(
    migrated_db: MigratedDb,
) -> None:
    url = await migrated_db("job_market")
    assert url.startswith("postgresql://job_market:")
    conn = await asyncpg.connect(url)
    try:
        owners = await conn.fetch(
            "SELECT DISTINCT tableowner FROM pg_tables WHERE schemaname = 'public'"
        )
        assert [row["tableowner"] for row in owners] == ["job_market"]
    finally:
        await conn.close()
