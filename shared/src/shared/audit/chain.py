"""The hash chain over ``audit_log``: the sealer that extends it and the check that walks it.

Requests insert their audit rows unsealed, so concurrent writers never wait for each other
on the chain. The sealer (one active per database, by a transaction-scoped advisory lock, as
the outbox relay) takes the committed unsealed rows in ``seq`` order and gives each the next
chain position, the previous row's hash, and ``hash = SHA-256(prev_hash || canonical row)``.
The canonical row is the JSON of every logged column plus ``seq`` and ``chain_pos``, so an
edited column, a reordered row or a removed row breaks the chain from that position on.

A row deleted before it was sealed leaves no trace in the chain, which is why ``verify``
also reports rows left unsealed longer than a grace period (the sealer runs every ~0.5 s).
Rewriting the whole chain from some position on is possible for whoever can also disable the
triggers; an operator who keeps the head ``verify`` prints (position and hash) elsewhere
detects that too with ``verify --head POS:HASH``.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from prometheus_client import Counter, Gauge
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

log = logging.getLogger(__name__)

SEALED = Counter("sinergi_audit_sealed_total", "Audit rows the sealer added to the chain")
HEAD = Gauge("sinergi_audit_chain_head", "Chain position of the newest sealed audit row")

GENESIS = bytes(32)
"""The ``prev_hash`` of chain position 1."""
_LOCK_KEY = 0x41_55_44_54  # any constant but the relay's: one sealer per service database
_LOGGED = (
    "seq",
    "at",
    "client_id",
    "regions",
    "action",
    "entity",
    "record_id",
    "region_code",
    "request_id",
)
_SELECT_UNSEALED = sa.text(
    f"SELECT {', '.join(_LOGGED)} FROM audit_log WHERE chain_pos IS NULL ORDER BY seq LIMIT :n"  # noqa: S608 - constant column names
)
_SELECT_HEAD = sa.text(
    "SELECT chain_pos, hash FROM audit_log WHERE chain_pos IS NOT NULL"
    " ORDER BY chain_pos DESC LIMIT 1"
)
_SEAL = sa.text(
    "UPDATE audit_log AS a SET chain_pos = u.p, prev_hash = u.v, hash = u.h"
    " FROM unnest(CAST(:s AS bigint[]), CAST(:p AS bigint[]), CAST(:v AS bytea[]),"
    " CAST(:h AS bytea[])) AS u(s, p, v, h) WHERE a.seq = u.s"
)


def canonical(row: Mapping[Any, Any], chain_pos: int) -> bytes:
    """The bytes a row's hash covers: its logged columns and its chain position."""
    at: datetime = row["at"]
    record_id: uuid.UUID | None = row["record_id"]
    document = {
        "seq": row["seq"],
        "chain_pos": chain_pos,
        "at": at.astimezone(UTC).isoformat(timespec="microseconds"),
        "client_id": row["client_id"],
        "regions": list(row["regions"]),
        "action": row["action"],
        "entity": row["entity"],
        "record_id": str(record_id) if record_id is not None else None,
        "region_code": row["region_code"],
        "request_id": row["request_id"],
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":")).encode()


def link(prev_hash: bytes, row: Mapping[Any, Any], chain_pos: int) -> bytes:
    """The hash of ``row`` at ``chain_pos`` after a row hashed ``prev_hash``."""
    return hashlib.sha256(prev_hash + canonical(row, chain_pos)).digest()


async def seal_batch(engine: AsyncEngine, *, batch_size: int = 1000) -> int:
    """Chain up to ``batch_size`` committed unsealed rows; how many (0 if another sealer is)."""
    async with engine.begin() as conn:
        locked = await conn.scalar(sa.select(sa.func.pg_try_advisory_xact_lock(_LOCK_KEY)))
        if not locked:
            return 0
        rows = (await conn.execute(_SELECT_UNSEALED, {"n": batch_size})).mappings().all()
        if not rows:
            return 0
        head = (await conn.execute(_SELECT_HEAD)).first()
        position, prev = (int(head[0]), bytes(head[1])) if head else (0, GENESIS)
        seqs, positions, prevs, hashes = [], [], [], []
        for row in rows:
            position += 1
            digest = link(prev, row, position)
            seqs.append(row["seq"])
            positions.append(position)
            prevs.append(prev)
            hashes.append(digest)
            prev = digest
        await conn.execute(_SEAL, {"s": seqs, "p": positions, "v": prevs, "h": hashes})
    SEALED.inc(len(rows))
    HEAD.set(position)
    return len(rows)


async def seal_all(engine: AsyncEngine) -> int:
    """Seal every row committed so far (the CLI's ``seal``, and tests)."""
    total = 0
    while sealed := await seal_batch(engine):
        total += sealed
    return total


class AuditSealer:
    """Seal a service's audit rows every ``poll_seconds`` until stopped.

    Waiting between batches is what keeps sealing cheap under load: one transaction seals
    everything committed in the last interval, not one transaction per row.
    """

    def __init__(
        self, *, engine: AsyncEngine, poll_seconds: float = 0.5, batch_size: int = 1000
    ) -> None:
        self._engine = engine
        self._poll = poll_seconds
        self._batch = batch_size
        self._wake = asyncio.Event()
        self._stopping = False

    async def run(self) -> None:
        """Loop until ``stop``; a database fault only delays sealing."""
        backoff = 0.5
        while not self._stopping:
            try:
                sealed = await seal_batch(self._engine, batch_size=self._batch)
                backoff = 0.5
                if sealed == self._batch:
                    continue  # a backlog: seal on without waiting
            except Exception as exc:  # noqa: BLE001 - any fault: the rows wait, retry
                log.warning("audit sealer: %s; retrying in %.1fs", type(exc).__name__, backoff)
                await self._sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                continue
            await self._sleep(self._poll)

    async def stop(self) -> None:
        """Stop after the batch in flight."""
        self._stopping = True
        self._wake.set()

    async def _sleep(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self._wake.wait(), timeout=seconds)
        except TimeoutError:
            pass
        self._wake.clear()


@dataclass
class Verdict:
    """What ``verify`` found: the first broken position (None if the chain is intact)."""

    sealed: int = 0
    head_position: int = 0
    head_hash: bytes = GENESIS
    unsealed: int = 0
    overdue: int = 0
    broken_at: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def intact(self) -> bool:
        """No edited, deleted or overdue row, and the expected head (if any) was found."""
        return not self.problems


async def verify(
    conn: AsyncConnection,
    *,
    grace_seconds: float = 60.0,
    head: tuple[int, bytes] | None = None,
    batch_size: int = 5000,
) -> Verdict:
    """Walk the chain from position 1: every row present, linked and unedited.

    ``head`` is a (position, hash) recorded earlier: the chain must still hold it.
    """
    verdict = Verdict()

    def broken(position: int, problem: str) -> None:
        if verdict.broken_at is None:
            verdict.broken_at = position
        verdict.problems.append(f"position {position}: {problem}")

    expected, prev = 1, GENESIS
    query = sa.text(
        f"SELECT {', '.join(_LOGGED)}, chain_pos, prev_hash, hash FROM audit_log"  # noqa: S608 - constant column names
        " WHERE chain_pos >= :from ORDER BY chain_pos LIMIT :n"
    )
    while True:
        rows = (await conn.execute(query, {"from": expected, "n": batch_size})).mappings().all()
        for row in rows:
            position = int(row["chain_pos"])
            if position != expected:
                broken(expected, f"missing (rows {expected}..{position - 1} deleted)")
                # Go on from the row found: later rows may be fine or broken on their own.
            if bytes(row["prev_hash"]) != prev:
                broken(position, "prev_hash does not match the hash of the row before it")
            if link(bytes(row["prev_hash"]), row, position) != bytes(row["hash"]):
                broken(position, "row edited (its hash does not match its content)")
            if head is not None and position == head[0] and bytes(row["hash"]) != head[1]:
                broken(position, "not the head recorded earlier (the chain was rewritten)")
            prev, expected = bytes(row["hash"]), position + 1
            verdict.sealed += 1
            verdict.head_position, verdict.head_hash = position, prev
        if len(rows) < batch_size:
            break
    if head is not None and verdict.head_position < head[0]:
        broken(verdict.head_position + 1, f"missing (the chain ended before {head[0]})")
    counts = (
        await conn.execute(
            sa.text(
                "SELECT count(*) AS unsealed, count(*) FILTER (WHERE late) AS overdue,"
                " min(seq) FILTER (WHERE late) AS first FROM (SELECT seq,"
                " at < now() - CAST(:grace AS interval) AS late FROM audit_log"
                " WHERE chain_pos IS NULL) AS u"
            ),
            {"grace": timedelta(seconds=grace_seconds)},
        )
    ).one()
    verdict.unsealed, verdict.overdue = int(counts.unsealed), int(counts.overdue)
    if verdict.overdue:
        verdict.problems.append(
            f"{verdict.overdue} row(s) unsealed for over {grace_seconds:g} s"
            f" (first seq {counts.first}): is the sealer running?"
        )
    return verdict
