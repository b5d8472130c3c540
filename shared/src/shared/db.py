"""Async PostgreSQL engine and sessions (SQLAlchemy 2 + asyncpg)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Annotated, Any

from fastapi import Depends, Request
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry
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

    A pooled connection that the server closed (a restart, a terminated backend) is replaced
    when it is taken from the pool (``_closed_on_checkout``), without a round trip: SQLAlchemy's
    ``pool_pre_ping`` costs three (BEGIN, a ping, ROLLBACK) at every checkout, about a tenth of
    a write's CPU. A connection broken silently (no FIN reached us) fails its first statement
    instead: the request gets a 503 (nothing written, send again) and SQLAlchemy renews every
    connection of the pool older than that failure.
    """
    engine = create_async_engine(
        async_url(url),
        pool_size=pool_size,
        max_overflow=pool_size,
        hide_parameters=True,
        connect_args={"server_settings": {"statement_timeout": str(statement_timeout_ms)}},
    )
    event.listen(engine.sync_engine, "checkout", _closed_on_checkout)
    return engine


def _closed_on_checkout(dbapi_connection: Any, record: ConnectionPoolEntry, proxy: Any) -> None:
    """Refuse a pooled connection the server has closed; the pool then opens another
    (SQLAlchemy's "pessimistic disconnect handling", with asyncpg's own knowledge of its
    socket instead of a ping)."""
    driver = record.driver_connection
    if driver is None or driver.is_closed():
        raise DisconnectionError("the server closed this pooled connection")


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions that keep loaded objects usable after commit (responses are built after it)."""
    return async_sessionmaker(engine, expire_on_commit=False)


REQUEST_SESSION = "sinergi_request_session"
"""Key of ``Session.info``: the session of one API request, whose route commits what the
services wrote and nothing else (``shared.records.write_record`` may then commit a new record
with the statement that creates it)."""


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """One database session per request (from the app's ``state.sessions``)."""
    async with request.app.state.sessions(info={REQUEST_SESSION: True}) as session:
        yield session


SessionDep = Annotated[AsyncSession, Depends(get_session)]
"""The request's database session, as an endpoint parameter."""


_ASYNCPG = make_url("postgresql+asyncpg://").get_dialect()()
"""The dialect the statements are compiled for (that of ``create_engine``)."""


class DriverSelect:
    """A select whose rows asyncpg fetches itself (``driver_rows``), compiled once.

    For statements run at every request, where SQLAlchemy's execution machinery, its result
    rows (about 2 µs a row, more for an array column) and compiling the statement again (or
    finding it in the cache) cost more than the query: the indicator cube's reads of thousands
    of rows, a write's one statement (``shared.records.write_record``: a select of inserting
    CTEs). Build it once (a module constant, or cached per shape) with a ``bindparam`` for each
    value that changes between runs, and give the values by name at each run: each goes
    through its type's bind processing as the ORM would send it (an encrypted column is
    encrypted, JSON serialized). Rows come as asyncpg decodes them (``text[]`` as a list),
    without the columns' result processing. A list is one array parameter, never an expanding
    ``IN``.
    """

    def __init__(self, statement: SelectBase) -> None:
        compiled = statement.compile(dialect=_ASYNCPG)
        if compiled.positiontup is None or "POSTCOMPILE" in compiled.string:
            raise ValueError(
                "a DriverSelect takes plain bound parameters (bind a list as an array)"
            )
        self._compiled = compiled
        self._convert = [
            (name, compiled.binds[name].type.dialect_impl(_ASYNCPG).bind_processor(_ASYNCPG))
            for name in compiled.positiontup
        ]
        self.sql = compiled.string

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        """The positional arguments of one run (``params`` by name; unknown names ignored)."""
        values = self._compiled.construct_params(dict(params))
        arguments = []
        for name, convert in self._convert:
            value = values[name]
            arguments.append(value if convert is None or value is None else convert(value))
        return arguments


async def driver_rows(
    session: AsyncSession, query: DriverSelect, **params: Any
) -> list[Sequence[Any]]:
    """The rows of ``query`` with ``params``, fetched by asyncpg in the session's transaction."""
    connection = await session.connection()
    driver = (await connection.get_raw_connection()).driver_connection
    if driver is None:  # only an invalidated connection has none
        raise RuntimeError("the session's database connection is gone")
    if not driver.is_in_transaction():
        # The session's transaction (and its isolation level) begins in the driver at the
        # session's first statement; the rows must come from that snapshot.
        await connection.exec_driver_sql("SELECT 1")
    rows: list[Sequence[Any]] = await driver.fetch(query.sql, *query.arguments(params))
    return rows
