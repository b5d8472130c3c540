"""Async PostgreSQL engine and sessions (SQLAlchemy 2 + asyncpg)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.sql.expression import SelectBase


def async_url(url: str) -> str:
    """Return ``url`` with the asyncpg driver, accepting plain ``postgresql://`` URLs."""
    for prefix in ("postgresql+asyncpg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+asyncpg://" + url[len(prefix) :]
    raise ValueError(f"not a PostgreSQL URL: {url!r}")


STATEMENT_TIMEOUT_MS = 30_000
"""No statement of a service runs longer than this (a runaway query must not hold the pool)."""


def create_engine(
    url: str, *, pool_size: int = 10, statement_timeout_ms: int = STATEMENT_TIMEOUT_MS
) -> AsyncEngine:
    """Create the engine of one service database.

    Statement parameters never appear in SQLAlchemy's error messages (they carry NIKs and
    names, and error messages end up in logs).
    """
    return create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_pre_ping=True,
        hide_parameters=True,
        connect_args={"server_settings": {"statement_timeout": str(statement_timeout_ms)}},
    )


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (responses are built after it)."""
    return async_sessionmaker(engine, expire_on_commit=False)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One database session per request (from the app's ``state.sessions``)."""
    async with request.app.state.sessions() as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
"""The request's database session, as an endpoint parameter."""


async def driver_rows(session: AsyncSession, statement: SelectBase) -> list[Sequence[Any]]:
    """The rows of ``statement``, fetched by asyncpg itself in the session's transaction.

    For reads of thousands of rows answered at every request (the indicator cube's):
    SQLAlchemy's result rows cost more than the query there (about 2 µs a row, and more for an
    array column). Values come as asyncpg decodes them (``text[]`` as a list), without the
    columns' result processing, and the parameters go as they are, so the statement binds
    only types asyncpg takes directly (text, numbers, dates, arrays of them: a list is one
    array parameter, not an expanding ``IN``).
    """
    connection = await session.connection()
    compiled = statement.compile(dialect=connection.dialect)
    if compiled.positiontup is None or "POSTCOMPILE" in compiled.string:
        raise ValueError("driver_rows takes plain bound parameters (bind a list as an array)")
    driver = (await connection.get_raw_connection()).driver_connection
    if driver is None:  # only an invalidated connection has none
        raise RuntimeError("the session's database connection is gone")
    if not driver.is_in_transaction():
        # The session's transaction (and its isolation level) begins in the driver at the
        # session's first statement; the rows must come from that snapshot.
        await connection.exec_driver_sql("SELECT 1")
    params = compiled.construct_params()
    rows: list[Sequence[Any]] = await driver.fetch(
        compiled.string, *(params[name] for name in compiled.positiontup)
    )
    return rows
