"""Alembic helpers: one environment per service database under ``migrations/``.

``migrations/alembic.ini`` has one section per service (``job_market``, ``aggregation``,
``gateway``, ...). The database URL comes from ``SINERGI_DATABASE_URL`` or ``-x url=...``.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context, op
from alembic.config import Config
from sqlalchemy.engine import Connection

from shared.db import async_url, create_engine


def _repo_root() -> Path:
    env = os.environ.get("SINERGI_ROOT")
    if env:
        return Path(env)
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "migrations" / "alembic.ini").exists():
            return parent
    return Path.cwd()


def alembic_config(service: str, url: str) -> Config:
    """The Alembic configuration of one service database."""
    cfg = Config(str(_repo_root() / "migrations" / "alembic.ini"), ini_section=service)
    cfg.set_main_option("sqlalchemy.url", async_url(url))
    return cfg


def upgrade(service: str, url: str, revision: str = "head") -> None:
    """Migrate ``service``'s database to ``revision`` (blocking; run it in a thread if async)."""
    command.upgrade(alembic_config(service, url), revision)


def run_env(metadata: sa.MetaData) -> None:
    """Body of every ``env.py``: migrate online with the async engine."""
    cfg = context.config
    url = (
        context.get_x_argument(as_dictionary=True).get("url")
        or cfg.get_main_option("sqlalchemy.url")
        or os.environ["SINERGI_DATABASE_URL"]
    )

    def migrate(connection: Connection) -> None:
        context.configure(connection=connection, target_metadata=metadata, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()

    async def run() -> None:
        engine = create_engine(url, pool_size=1, statement_timeout_ms=0)
        async with engine.connect() as conn:
            await conn.run_sync(migrate)
            await conn.commit()
        await engine.dispose()

    asyncio.run(run())


def add_withdrawal_and_sync(tables: Sequence[str]) -> None:
    """Migration step: record tables gain ``withdrawn_at`` and the sync-order index
    (``shared.records.record_indexes``)."""
    for table in tables:
        op.add_column(table, sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True))
        op.create_index(f"ix_{table}_sync", table, ["updated_at", "id"])


def drop_withdrawal_and_sync(tables: Sequence[str]) -> None:
    """The reverse of :func:`add_withdrawal_and_sync`."""
    for table in tables:
        op.drop_index(f"ix_{table}_sync", table_name=table)
        op.drop_column(table, "withdrawn_at")
