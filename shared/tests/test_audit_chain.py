"""The audit chain on a real migrated database: append-only triggers, sealer, verify.

Rows are inserted here with plain SQL (how requests record them is tested with each
service); tampering is done as the superuser with the triggers switched off, as an attacker
holding the database would.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from shared.audit.chain import GENESIS, canonical, link, seal_all, seal_batch, verify
from shared.db import create_engine
from sinergi_local.postgres import PostgresServer
from sinergi_local.testing import MigratedDb
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

INSERT = sa.text(
    "INSERT INTO audit_log (client_id, regions, action, entity, record_id, region_code,"
    " request_id) SELECT 'disnaker-3216', ARRAY['32.16'], 'read', 'job_seekers',"
    " gen_random_uuid(), '32.16', 'req-' || g FROM generate_series(1, :n) AS g"
)


@pytest.fixture
async def engine(migrated_db: MigratedDb, postgres: PostgresServer) -> AsyncIterator[AsyncEngine]:
    """A fresh job-market database (migrated to head), as the superuser."""
    database = make_url(await migrated_db("job_market")).database
    engine = create_engine(postgres.url_for(str(database)), pool_size=4)
    yield engine
    await engine.dispose()


async def add_rows(engine: AsyncEngine, n: int) -> None:
    async with engine.begin() as conn:
        await conn.execute(INSERT, {"n": n})


async def tamper(engine: AsyncEngine, statement: str, **params: Any) -> None:
    """Run ``statement`` with the append-only triggers bypassed (superuser only)."""
    async with engine.begin() as conn:
        await conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        await conn.execute(sa.text(statement), params)


async def check(engine: AsyncEngine, **kwargs: Any) -> Any:
    async with engine.connect() as conn:
        return await verify(conn, **kwargs)


async def test_the_triggers_refuse_every_change_but_sealing_an_unsealed_row(
    engine: AsyncEngine,
) -> None:
    await add_rows(engine, 2)
    refused = [
        "UPDATE audit_log SET client_id = 'someone-else'",
        "UPDATE audit_log SET chain_pos = 1, prev_hash = '\\x00', hash = '\\x00',"
        " action = 'create' WHERE seq = 1",
        "DELETE FROM audit_log WHERE seq = 1",
        "TRUNCATE audit_log",
    ]
    for statement in refused:
        with pytest.raises(DBAPIError, match="append-only"):
            async with engine.begin() as conn:
                await conn.execute(sa.text(statement))
    assert await seal_all(engine) == 2
    with pytest.raises(DBAPIError, match="append-only"):
        async with engine.begin() as conn:
            await conn.execute(sa.text("UPDATE audit_log SET hash = '\\x01' WHERE seq = 1"))
    assert (await check(engine)).intact


async def test_the_sealer_chains_every_row_in_order_and_verify_passes(engine: AsyncEngine) -> None:
    await add_rows(engine, 1500)  # more than one sealer batch
    assert await seal_all(engine) == 1500
    async with engine.connect() as conn:
        rows = (
            (await conn.execute(sa.text("SELECT * FROM audit_log ORDER BY chain_pos")))
            .mappings()
            .all()
        )
    assert [r["chain_pos"] for r in rows] == list(range(1, 1501))
    first = rows[0]
    assert bytes(first["prev_hash"]) == GENESIS
    assert bytes(first["hash"]) == hashlib.sha256(GENESIS + canonical(first, 1)).digest()
    assert all(
        bytes(b["prev_hash"]) == bytes(a["hash"]) for a, b in zip(rows, rows[1:], strict=False)
    )
    verdict = await check(engine)
    assert verdict.intact, verdict.problems
    assert (verdict.sealed, verdict.head_position, verdict.unsealed) == (1500, 1500, 0)


async def test_concurrent_sealers_never_give_a_position_twice(engine: AsyncEngine) -> None:
    await add_rows(engine, 3000)
    await asyncio.gather(*(seal_all(engine) for _ in range(4)))
    # A sealer that found the lock taken stopped early; one more pass seals what is left.
    await seal_all(engine)
    verdict = await check(engine)
    assert verdict.intact, verdict.problems
    assert verdict.sealed == 3000


async def test_verify_names_the_position_of_an_edited_row(engine: AsyncEngine) -> None:
    await add_rows(engine, 10)
    await seal_all(engine)
    await tamper(engine, "UPDATE audit_log SET client_id = 'innocent' WHERE chain_pos = 4")
    verdict = await check(engine)
    assert not verdict.intact
    assert verdict.broken_at == 4
    assert verdict.problems[0] == "position 4: row edited (its hash does not match its content)"


async def test_verify_names_the_position_of_a_deleted_row(engine: AsyncEngine) -> None:
    await add_rows(engine, 10)
    await seal_all(engine)
    await tamper(engine, "DELETE FROM audit_log WHERE chain_pos IN (6, 7)")
    verdict = await check(engine)
    assert verdict.broken_at == 6
    assert verdict.problems[0] == "position 6: missing (rows 6..7 deleted)"


async def test_verify_reports_rows_left_unsealed_past_the_grace_period(
    engine: AsyncEngine,
) -> None:
    await add_rows(engine, 3)
    await seal_all(engine)
    async with engine.begin() as conn:
        await conn.execute(
            sa.text(
                "INSERT INTO audit_log (at, client_id, regions, action, entity)"
                " VALUES (now() - interval '5 minutes', 'c', ARRAY['32.16'], 'read', 'x')"
            )
        )
    assert (await check(engine, grace_seconds=600)).intact
    late = await check(engine, grace_seconds=60)
    assert not late.intact
    assert (late.unsealed, late.overdue, late.broken_at) == (1, 1, None)
    assert "unsealed for over 60 s" in late.problems[0]


async def test_a_rewritten_chain_passes_alone_but_not_against_a_recorded_head(
    engine: AsyncEngine,
) -> None:
    await add_rows(engine, 5)
    await seal_all(engine)
    before = await check(engine)
    head = (before.head_position, before.head_hash)
    # The attacker edits position 3 and recomputes every hash from there on.
    await tamper(engine, "UPDATE audit_log SET client_id = 'innocent' WHERE chain_pos = 3")
    async with engine.begin() as conn:
        await conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
        rows = (
            (await conn.execute(sa.text("SELECT * FROM audit_log ORDER BY chain_pos")))
            .mappings()
            .all()
        )
        prev = bytes(rows[1]["hash"])
        for row in rows[2:]:
            digest = link(prev, row, row["chain_pos"])
            await conn.execute(
                sa.text("UPDATE audit_log SET prev_hash = :p, hash = :h WHERE seq = :s"),
                {"p": prev, "h": digest, "s": row["seq"]},
            )
            prev = digest
    assert (await check(engine)).intact
    against_head = await check(engine, head=head)
    assert against_head.broken_at == 5
    assert "not the head recorded earlier" in against_head.problems[0]


async def test_a_busy_sealer_lock_leaves_the_batch_to_its_holder(engine: AsyncEngine) -> None:
    await add_rows(engine, 3)
    async with engine.begin() as conn:
        await conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": 0x41_55_44_54})
        assert await seal_batch(engine) == 0
    assert await seal_batch(engine) == 3
