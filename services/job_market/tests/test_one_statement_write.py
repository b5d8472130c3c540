"""``shared.records.write_record``: a request's new record, its event and its audit row are
written by one statement that commits on its own, and only where nothing else shares the
transaction. On the job-market database (real PostgreSQL), with job seekers."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from job_market.db import outbox
from job_market.job_seekers.models import JobSeeker
from job_market.job_seekers.service import job_seeker_event
from shared.auth import Principal
from shared.db import REQUEST_SESSION, create_engine, session_factory
from shared.events.job_market import JobSeekerRegisteredV1
from shared.records import Change, write_record
from shared.settings import Settings
from sinergi_local.testing import sql_runner
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

WRITER = Principal(
    client_id="disnaker-test", scopes=frozenset({"job-market:write"}), regions=frozenset({"32.16"})
)
JOB_SEEKERS = "/api/v1/job-market/job-seekers"


def values(**overrides: Any) -> dict[str, Any]:
    """The row values of a job seeker of 32.16 (without ``external_id``)."""
    return {
        "nik": "3216015403980007",
        "person_ref": "ref-" + uuid.uuid4().hex,
        "full_name": "Siti Rahmawati",
        "birth_date": date(1998, 3, 14),
        "sex": "F",
        "education_level": "SMK",
        "region_code": "32.16",
        "registered_at": date(2026, 10, 5),
        "ak1_number": None,
        "skills": ["Las listrik"],
        "disability": False,
        "status": "active",
        **overrides,
    }


@pytest.fixture
async def sessions(
    service_settings: Settings, app_client: httpx.AsyncClient
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    """Sessions on the service's database (the app is up: its data keys are installed)."""
    engine = create_engine(service_settings.database_url, pool_size=4)
    yield session_factory(engine)
    await engine.dispose()


@pytest.fixture
def written(service_settings: Settings) -> Callable[[str], Any]:
    """What the database holds of one external id: (job seekers, its events, its audit rows)."""
    sql = sql_runner(service_settings.database_url)

    async def held(external_id: str) -> tuple[int, int, list[str]]:
        rows = await sql("SELECT id FROM job_seekers WHERE external_id = :key", key=external_id)
        if not rows:
            return 0, 0, []
        record = rows[0]["id"]
        events = await sql("SELECT 1 FROM outbox WHERE key = :key", key=str(record))
        audit = await sql(
            "SELECT action FROM audit_log WHERE record_id = :id ORDER BY seq", id=record
        )
        return len(rows), len(events), [a["action"] for a in audit]

    return held


async def write(session: AsyncSession, external_id: str, **overrides: Any) -> Change:
    _, change = await write_record(
        session,
        JobSeeker,
        principal=WRITER,
        external_id=external_id,
        values=values(**overrides),
        outbox=outbox,
        event=job_seeker_event,
    )
    return change


async def test_a_new_record_commits_with_its_event_and_audit_row_and_only_them(
    sessions: async_sessionmaker[AsyncSession], written: Callable[[str], Any]
) -> None:
    async with sessions(info={REQUEST_SESSION: True}) as session:
        assert await write(session, "A-1") is Change.CREATED
        # Committed by the statement: another connection sees it before the session commits.
        assert await written("A-1") == (1, 1, ["create"])
        # Nothing may follow it in the same transaction (it could not be undone with it).
        with pytest.raises(RuntimeError, match="committed on its own"):
            await session.execute(sa.select(1))
        await session.commit()
        # The transaction ended: the session serves the next one as any other.
        assert await write(session, "A-1", education_level="S1") is Change.UPDATED
        await session.commit()
    assert await written("A-1") == (1, 2, ["create", "update"])


async def test_both_paths_store_the_same_row_and_publish_the_same_event(
    sessions: async_sessionmaker[AsyncSession], service_settings: Settings
) -> None:
    same = values()
    async with sessions(info={REQUEST_SESSION: True}) as session:  # one statement
        await write(session, "B-1", **same)
        await session.commit()
    async with sessions() as session:  # the ORM's path: insert, outbox, audit at commit
        await write(session, "B-2", **same)
        await session.commit()
    sql = sql_runner(service_settings.database_url)
    stored = await sql(
        "SELECT j.*, o.payload FROM job_seekers j JOIN outbox o ON o.key = j.id::text"
        " WHERE j.external_id IN ('B-1', 'B-2') ORDER BY j.external_id"
    )
    ignored = {"id", "external_id", "created_at", "updated_at", "payload", "nik", "full_name"}
    one, other = ({k: v for k, v in row.items() if k not in ignored} for row in stored)
    assert one == other
    events = [row["payload"] for row in stored]
    assert [e["type"] for e in events] == [JobSeekerRegisteredV1.event_type] * 2
    data = [{k: v for k, v in e["data"].items() if k != "id"} for e in events]
    assert data[0] == data[1]
    assert [e["data"]["id"] for e in events] == [str(row["id"]) for row in stored]
    # Encrypted as the ORM encrypts (the stored values differ, the plaintext read back not).
    async with sessions() as session:
        read = list(await session.scalars(sa.select(JobSeeker).order_by(JobSeeker.external_id)))
        assert [(r.nik, r.full_name) for r in read[-2:]] == [(same["nik"], same["full_name"])] * 2


async def test_outside_a_request_nothing_is_committed_before_its_transaction_is(
    sessions: async_sessionmaker[AsyncSession], written: Callable[[str], Any]
) -> None:
    # An import's session (a dry run rolls back, an atomic import holds every record).
    async with sessions() as session:
        assert await write(session, "C-1") is Change.CREATED
        await session.rollback()
    assert await written("C-1") == (0, 0, [])


async def test_a_request_with_a_transaction_under_way_commits_nothing_early(
    sessions: async_sessionmaker[AsyncSession], written: Callable[[str], Any]
) -> None:
    async with sessions(info={REQUEST_SESSION: True}) as session:
        await session.execute(sa.select(1))  # a rule's query: the transaction has begun
        assert await write(session, "D-1") is Change.CREATED
        await session.rollback()
    assert await written("D-1") == (0, 0, [])


async def test_a_part_that_fails_leaves_nothing_written(
    sessions: async_sessionmaker[AsyncSession],
    written: Callable[[str], Any],
) -> None:
    async with sessions() as session:  # the outbox refuses every row
        await session.execute(
            sa.text(
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS"
                " $$ BEGIN RAISE EXCEPTION 'refused'; END $$"
            )
        )
        await session.execute(
            sa.text("CREATE TRIGGER refuse BEFORE INSERT ON outbox EXECUTE FUNCTION refuse()")
        )
        await session.commit()
    try:
        async with sessions(info={REQUEST_SESSION: True}) as session:
            with pytest.raises(DBAPIError):  # the ORM's path reports it as every write does
                await write(session, "E-1")
        assert await written("E-1") == (0, 0, [])
    finally:
        async with sessions() as session:
            await session.execute(sa.text("DROP TRIGGER refuse ON outbox"))
            await session.commit()


async def test_concurrent_writes_of_one_new_record_create_it_once(
    sessions: async_sessionmaker[AsyncSession], written: Callable[[str], Any]
) -> None:
    same = values()

    async def one() -> Change:
        async with sessions(info={REQUEST_SESSION: True}) as session:
            change = await write(session, "F-1", **same)
            await session.commit()
            return change

    changes = await asyncio.gather(*(one() for _ in range(4)))
    assert sorted(changes) == sorted([Change.CREATED, *[Change.UNCHANGED] * 3])
    assert await written("F-1") == (1, 1, ["create", "unchanged", "unchanged", "unchanged"])


async def test_a_request_creates_in_one_statement_and_answers_201_then_200(
    app_client: httpx.AsyncClient,
    token: Callable[..., dict[str, str]],
    job_seeker: Callable[..., dict[str, Any]],
    written: Callable[[str], Any],
) -> None:
    body = job_seeker()
    first = await app_client.post(JOB_SEEKERS, json=body, headers=token("32.16"))
    again = await app_client.post(JOB_SEEKERS, json=body, headers=token("32.16"))
    assert (first.status_code, first.json()["change"]) == (201, "created")
    assert (again.status_code, again.json()["change"]) == (200, "unchanged")
    assert first.json()["id"] == again.json()["id"]
    assert await written(body["external_id"]) == (1, 1, ["create", "unchanged"])
