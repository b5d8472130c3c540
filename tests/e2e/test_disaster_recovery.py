"""The disaster-recovery drill of docs/OPERATIONS.md, on the running platform.

Back up every database with ``pg_dump``; lose the server (the drill restores onto a new,
empty PostgreSQL server, as after a lost machine: the running platform's own server is shared
by the other tests); restore every dump with ``pg_restore``; empty the restored aggregation's
read models and replay every domain topic from its first event into them. Then every record of
every domain database is back, and every indicator of the catalogue, for the nation, the pilot
regions' provinces and regencies and every year the tests wrote, equals the running platform's.
"""

from __future__ import annotations

import asyncio
import subprocess
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from aggregation.consumer import TOPICS, build_consumer
from aggregation.indicators.catalogue import CATALOGUE
from aggregation.indicators.query import parse_values_query
from aggregation.indicators.service import compute_values
from aggregation.rebuild import empty_read_models
from aiokafka import TopicPartition
from shared.db import create_engine, session_factory
from shared.kafka import make_admin, make_consumer
from shared.regions import PILOT_REGIONS, registry
from shared.services import SERVICES
from sinergi_local.platform import Platform
from sinergi_local.postgres import PostgresServer, postgres_bin_dir
from sinergi_local.testing import free_port
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

DATABASES = [service.database for service in SERVICES] + ["sinergi_gateway"]
AREAS = sorted({"ID", *(r.code for r in PILOT_REGIONS), *(r.code[:2] for r in PILOT_REGIONS)})
YEARS = "2019..2026"


def _run(*command: str) -> None:
    subprocess.run(command, check=True, capture_output=True, timeout=300)  # noqa: S603


@pytest.fixture
def new_server(tmp_path: Path) -> Any:
    """An empty PostgreSQL server: the machine the platform is restored onto."""
    server = PostgresServer(
        data_dir=tmp_path / "restored-pg",
        port=free_port(),
        log_path=tmp_path / "restored-pg.log",
        password=uuid.uuid4().hex,
    )
    server.start()
    yield server
    server.stop()


async def _counts(url: str) -> dict[str, int]:
    """Rows of every table of a database (how much a restore brought back)."""
    engine = create_engine(url, pool_size=1)
    try:
        async with engine.connect() as conn:
            names = (
                await conn.execute(
                    sa.text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                )
            ).scalars()
            return {
                name: int(
                    await conn.scalar(sa.select(sa.func.count()).select_from(sa.table(name))) or 0
                )
                for name in sorted(names)
            }
    finally:
        await engine.dispose()


async def _replay(platform: Platform, sessions: async_sessionmaker[AsyncSession]) -> int:
    """Apply every event of every domain topic, oldest first, to the aggregation database of
    ``sessions`` (as the service's consumer would after a rewind); the events applied."""
    admin = platform.kafka.admin
    applier = build_consumer(sessions=sessions, kafka=admin, group_id=f"dr-drill-{uuid.uuid4()}")
    reader = make_consumer(admin, group_id=None)
    await reader.start()
    applied = 0
    try:
        described = make_admin(admin, client_id="dr-drill")
        await described.start()
        try:
            partitions = [
                TopicPartition(topic["topic"], p["partition"])
                for topic in await described.describe_topics(list(TOPICS))
                for p in topic["partitions"]
            ]
        finally:
            await described.close()
        reader.assign(partitions)
        await reader.seek_to_beginning(*partitions)
        ends = await reader.end_offsets(partitions)

        async def behind() -> bool:
            return any([await reader.position(tp) < ends[tp] for tp in partitions])

        while await behind():
            batch = await reader.getmany(timeout_ms=1000, max_records=500)
            for records in batch.values():
                await applier.apply(records)
                applied += len(records)
    finally:
        await reader.stop()
    return applied


async def _indicators(url: str) -> dict[tuple[str, str, str], tuple[Any, str]]:
    """Every indicator of the catalogue for the drill's areas and years: (value, status)."""
    engine = create_engine(url, pool_size=2)
    sessions = session_factory(engine)
    found: dict[tuple[str, str, str], tuple[Any, str]] = {}
    try:
        codes = [i.code for i in CATALOGUE]
        for start in range(0, len(codes), 10):
            query = parse_values_query(
                indicator=[",".join(codes[start : start + 10])],
                region=[",".join(AREAS)],
                period=[YEARS],
                regions=registry(),
            )
            async with sessions() as session:
                answer = await compute_values(session, query=query, regions=registry())
            found |= {
                (v.indicator, v.region_code, v.period): (v.value, v.status) for v in answer.values
            }
    finally:
        await engine.dispose()
    return found


async def _eventually_equal(
    probe: Callable[[], Awaitable[Any]], expected: Any, timeout: float = 120.0
) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    value = await probe()
    while value != expected and asyncio.get_running_loop().time() < deadline:
        await asyncio.sleep(1)
        value = await probe()
    return value


@pytest.fixture
async def backups(platform: Platform, tmp_path: Path) -> AsyncIterator[dict[str, Path]]:
    """A ``pg_dump`` (custom format) of every database of the platform."""
    pg_dump = str(postgres_bin_dir() / "pg_dump")
    dumps = {}
    for database in DATABASES:
        path = tmp_path / f"{database}.dump"
        await asyncio.to_thread(
            _run, pg_dump, "--format=custom", f"--file={path}", platform.postgres.url_for(database)
        )
        dumps[database] = path
    yield dumps


@pytest.mark.timeout(600)
async def test_backup_restore_and_replay_give_back_every_record_and_indicator(
    platform: Platform, backups: dict[str, Path], new_server: PostgresServer
) -> None:
    live = {database: platform.postgres.url_for(database) for database in DATABASES}
    before = {database: await _counts(url) for database, url in live.items()}
    assert sum(before["sinergi_job_market"].values()) > 0, "the tests wrote records"

    pg_restore = str(postgres_bin_dir() / "pg_restore")
    for database, dump in backups.items():
        new_server.create_database(database)
        # The new server has none of the old roles yet: objects are restored as its owner.
        await asyncio.to_thread(
            _run, pg_restore, "--no-owner", "--no-privileges", "--exit-on-error",
            f"--dbname={new_server.url_for(database)}", str(dump),
        )  # fmt: skip
    restored = {database: new_server.url_for(database) for database in DATABASES}
    for database in DATABASES:
        if database != "sinergi_aggregation":
            assert await _counts(restored[database]) == before[database], database

    # The read models are derived: empty them and replay the topics from their first event.
    engine = create_engine(restored["sinergi_aggregation"], pool_size=2)
    try:
        await empty_read_models(engine)
        assert await _replay(platform, session_factory(engine)) > 0
    finally:
        await engine.dispose()

    after_replay = await _indicators(restored["sinergi_aggregation"])
    assert any(value not in (None, 0) for value, _ in after_replay.values())
    # The running platform may still be applying the last tests' events: it converges to the
    # replayed numbers.
    running = await _eventually_equal(
        lambda: _indicators(live["sinergi_aggregation"]), after_replay
    )
    differences = {k: (running.get(k), v) for k, v in after_replay.items() if running.get(k) != v}
    assert not differences, list(differences.items())[:10]
