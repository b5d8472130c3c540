"""Rate-limit state in the gateway's PostgreSQL, as a storage backend of the ``limits`` library.

``limits`` ships Redis, Memcached, MongoDB and in-memory storages; the gateway already has a
PostgreSQL that all its replicas share, so the counters live there and stay correct with any
number of replicas, without another server to run. Each hit is one SQL statement (one round
trip on a pooled connection), atomic because ``INSERT ... ON CONFLICT DO UPDATE`` locks the
key's row while it decides:

- **fixed window** (``limits.aio.strategies.FixedWindowRateLimiter``): ``rate_limit_counters``
  holds a hit count and the end of the key's current window. The per-client API limit uses it
  (``take``: several hits at once, see ``gateway.throttling.ApiQuota``).
- **moving window** (``MovingWindowRateLimiter``): ``rate_limit_entries`` holds the time of
  every entry still inside the window, at most ``limit`` of them. Failed token requests use
  it, where "at most N within any minute" must hold exactly, window edges included.

Times come from the database's clock (``now()``), so replicas whose clocks drift still agree
on windows. Rows of expired windows are removed by :meth:`PostgresStorage.purge_expired`.
"""

from __future__ import annotations

import asyncpg
from limits.aio.storage import MovingWindowSupport, Storage
from limits.errors import StorageError

# now() is the start of the statement on the database's clock. Windows are passed in seconds.
_INCR = """
INSERT INTO rate_limit_counters AS c (key, hits, expires_at)
VALUES ($1, $2, now() + make_interval(secs => $3))
ON CONFLICT (key) DO UPDATE SET
    hits = CASE WHEN c.expires_at > now() THEN c.hits + excluded.hits ELSE excluded.hits END,
    expires_at = CASE WHEN c.expires_at > now() THEN c.expires_at ELSE excluded.expires_at END
RETURNING hits
"""
# The same, also answering how many seconds the window has left.
_TAKE = _INCR.replace(
    "RETURNING hits", "RETURNING hits, extract(epoch FROM expires_at - now())::float8 AS left"
)
_GET = "SELECT hits FROM rate_limit_counters WHERE key = $1 AND expires_at > now()"
_GET_EXPIRY = """
SELECT extract(epoch FROM coalesce(
    (SELECT expires_at FROM rate_limit_counters WHERE key = $1 AND expires_at > now()), now()
))::float8
"""
# The row's entries older than the window are dropped and the new ones appended, but only
# while the entries left in the window plus the new ones fit the limit; otherwise the row is
# left alone and nothing is returned.
_ACQUIRE = """
INSERT INTO rate_limit_entries AS e (key, entries, expires_at)
VALUES ($1, array_fill(now(), ARRAY[$4::int]), now() + make_interval(secs => $3))
ON CONFLICT (key) DO UPDATE SET
    entries = ARRAY(
        SELECT x FROM unnest(e.entries) AS x
        WHERE x > now() - make_interval(secs => $3) ORDER BY x
    ) || excluded.entries,
    expires_at = excluded.expires_at
WHERE (SELECT count(*) FROM unnest(e.entries) AS x WHERE x > now() - make_interval(secs => $3))
      + $4::int <= $2::int
RETURNING true
"""
_MOVING_WINDOW = """
SELECT extract(epoch FROM coalesce(min(x), now()))::float8 AS start, count(x) AS entries
FROM rate_limit_entries AS e, unnest(e.entries) AS x
WHERE e.key = $1 AND x > now() - make_interval(secs => $2)
"""
# Entries are kept in time order, so the latest ones are at the end.
_RELEASE = """
UPDATE rate_limit_entries
SET entries = entries[1:greatest(cardinality(entries) - $2::int, 0)]
WHERE key = $1
"""
_CLEAR = (
    "DELETE FROM rate_limit_counters WHERE key = $1",
    "DELETE FROM rate_limit_entries WHERE key = $1",
)
_PURGE = (
    "DELETE FROM rate_limit_counters WHERE expires_at <= now()",
    "DELETE FROM rate_limit_entries WHERE expires_at <= now()",
)
_RESET = ("DELETE FROM rate_limit_counters", "DELETE FROM rate_limit_entries")


def _dsn(database_url: str) -> str:
    # The settings hold SQLAlchemy-style URLs; asyncpg wants the plain libpq form.
    for prefix in ("postgresql+asyncpg://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql://" + database_url[len(prefix) :]
    return database_url


async def _keep_session(connection: asyncpg.Connection) -> None:
    # asyncpg resets every connection it takes back (one more round trip per hit); these
    # statements leave no session state behind (no transaction, lock, cursor or setting).
    return None


class PostgresStorage(Storage, MovingWindowSupport):
    """``limits`` storage in the tables ``rate_limit_counters`` and ``rate_limit_entries``."""

    STORAGE_SCHEME = None

    def __init__(self, pool: asyncpg.Pool, *, timeout: float, wrap_exceptions: bool = True) -> None:
        super().__init__(wrap_exceptions=wrap_exceptions)
        self._pool = pool
        self._timeout = timeout

    @classmethod
    async def connect(
        cls, database_url: str, *, timeout: float, max_connections: int = 10
    ) -> PostgresStorage:
        """A storage on its own small pool of connections to ``database_url``, opened as
        needed (the gateway starts while its database is still down)."""
        pool = await asyncpg.create_pool(
            _dsn(database_url),
            min_size=0,
            max_size=max_connections,
            reset=_keep_session,
            timeout=timeout,
        )
        return cls(pool, timeout=timeout)

    async def close(self) -> None:
        """Close the connection pool."""
        await self._pool.close()

    @property
    def base_exceptions(self) -> tuple[type[Exception], ...]:
        """Failures of the database or the network, wrapped as ``limits.errors.StorageError``."""
        return (asyncpg.PostgresError, asyncpg.InterfaceError, OSError, TimeoutError)

    # ---------------------------------------------------------------- fixed window
    async def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add ``amount`` to the key's count, starting a new window if the last one ended."""
        count = await self._pool.fetchval(_INCR, key, amount, float(expiry), timeout=self._timeout)
        return int(count)

    async def take(self, key: str, expiry: int, amount: int) -> tuple[int, float]:
        """``incr``, also answering how many seconds the key's window has left."""
        try:
            row = await self._pool.fetchrow(
                _TAKE, key, amount, float(expiry), timeout=self._timeout
            )
        except self.base_exceptions as exc:
            raise StorageError(exc) from exc
        assert row is not None  # INSERT ... ON CONFLICT DO UPDATE always returns its row
        return int(row["hits"]), float(row["left"])

    async def get(self, key: str) -> int:
        """The key's count in its current window (0 if none)."""
        count = await self._pool.fetchval(_GET, key, timeout=self._timeout)
        return int(count or 0)

    async def get_expiry(self, key: str) -> float:
        """When the key's current window ends (epoch seconds; now if it has none)."""
        return float(await self._pool.fetchval(_GET_EXPIRY, key, timeout=self._timeout))

    # ---------------------------------------------------------------- moving window
    async def acquire_entry(self, key: str, limit: int, expiry: int, amount: int = 1) -> bool:
        """Add ``amount`` entries if the window then holds at most ``limit``."""
        if amount > limit:
            return False
        added = await self._pool.fetchval(
            _ACQUIRE, key, limit, float(expiry), amount, timeout=self._timeout
        )
        return bool(added)

    async def get_moving_window(self, key: str, limit: int, expiry: int) -> tuple[float, int]:
        """The time of the oldest entry in the window (now if none) and how many there are."""
        row = await self._pool.fetchrow(_MOVING_WINDOW, key, float(expiry), timeout=self._timeout)
        assert row is not None  # an aggregate always returns one row
        return float(row["start"]), int(row["entries"])

    async def release_entry(self, key: str, amount: int = 1) -> None:
        """Take back the latest ``amount`` entries (an attempt that turned out not to count)."""
        await self._execute(_RELEASE, key, amount)

    # ---------------------------------------------------------------- housekeeping
    async def check(self) -> bool:
        """Does the database answer?"""
        try:
            await self._pool.fetchval("SELECT 1", timeout=self._timeout)
        except self.base_exceptions:
            return False
        return True

    async def clear(self, key: str) -> None:
        """Forget the key in both strategies."""
        for statement in _CLEAR:
            await self._execute(statement, key)

    async def reset(self) -> int | None:
        """Forget every key; how many rows were removed."""
        return await self._delete(_RESET)

    async def purge_expired(self) -> int:
        """Remove the rows of windows that have ended; how many were removed."""
        return await self._delete(_PURGE)

    async def _delete(self, statements: tuple[str, ...]) -> int:
        removed = 0
        for statement in statements:
            status = await self._execute(statement)
            removed += int(status.split()[-1])  # "DELETE <n>"
        return removed

    async def _execute(self, statement: str, *args: object) -> str:
        # The methods limits defines are wrapped by its base class; this wraps the others
        # the same way, so callers handle one error type.
        try:
            status: str = await self._pool.execute(statement, *args, timeout=self._timeout)
        except self.base_exceptions as exc:
            raise StorageError(exc) from exc
        return status
