"""PostgresServer against a real PostgreSQL: TCP access, durability across restarts, clean stop."""

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
        data_dir=tmp_path / "pgdata", port=_free_port(), log_path=tmp_path / "postgres.log"
    )
    try:
        yield pg
    finally:
        pg.stop()


async def test_data_survives_restart_and_stop_leaves_no_process(server: PostgresServer) -> None:
    await asyncio.to_thread(server.start)
    assert server.is_running()
    assert server.url == f"postgresql://postgres@127.0.0.1:{server.port}/postgres"

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
    other = PostgresServer(data_dir=server.data_dir, port=_free_port(), log_path=server.log_path)
    with pytest.raises(RuntimeError, match="already runs"):
        await asyncio.to_thread(other.start, 5.0)
    assert server.is_running()

    await asyncio.to_thread(server.stop)
    assert not server.is_running()
    assert _still_running(pids) == []
    assert not _port_open(server.port)
