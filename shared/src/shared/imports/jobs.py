"""Import jobs: the job document, staging a file's records, and reading jobs back.

A job is created by the upload request: the file is parsed as it arrives and its records are
copied (``COPY``) into ``import_records``, encrypted, in the same transaction as the job row,
so a file that cannot be read creates nothing and is answered with its problem at once. Of
records sharing an ``external_id`` the last one wins; the earlier ones are marked superseded
and counted as such. The worker (``shared.imports.worker``) then writes the records.

Jobs are the caller's own: every read names the client, and another client's job is a 404.
"""

from __future__ import annotations

import enum
import json
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import datetime
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from shared.auth import Principal
from shared.crypto import keyring
from shared.imports.files import RawRecord
from shared.imports.table import ImportTables

INLINE_CONFLICTS = 1000
"""How many conflicts a job document carries; all of them are at ``.../conflicts``."""
STAGE_BATCH = 2000
"""Records per ``COPY`` while staging an upload."""
RECORD_PURPOSE = "import_record"
"""The encryption purpose of a staged record."""
MAX_KEY_LENGTH = 256
"""The longest ``external_id`` (or NIB) staged as a record's key; any model allows less."""


class Status(enum.StrEnum):
    """Where a job is."""

    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    CANCELLED = "cancelled"


FINISHED = (Status.DONE, Status.FAILED, Status.CANCELLED)

Atomic = Literal["all", "record"]
Mode = Literal["upsert", "withdraw"]


class Progress(BaseModel):
    """How far the job is: records processed of the file's total."""

    processed: int
    total: int


class Summary(BaseModel):
    """What the job did with the file's records (DHIS2's import summary)."""

    created: int
    updated: int
    unchanged: int
    withdrawn: int
    rejected: int
    superseded: int = Field(
        description="Records left out because a later record of the file has the same id"
    )


class Conflict(BaseModel):
    """One reason a record was not written."""

    index: int = Field(description="1-based record (JSON, NDJSON) or data row (CSV, XLSX)")
    external_id: str | None
    field: str | None = Field(description="The field at fault (dotted, as in a 422), if one is")
    pointer: str = Field(description="JSON pointer of the field within the record")
    code: str = Field(description="missing, string_too_long, ... (schema) or rule, forbidden")
    detail: str


class ImportJob(BaseModel):
    """An import job as its client reads it."""

    id: uuid.UUID
    entity: str
    status: Status
    dry_run: bool
    atomic: Atomic
    mode: Mode
    progress: Progress
    summary: Summary
    conflicts: list[Conflict] = Field(
        description=f"The first {INLINE_CONFLICTS:,} conflicts (all of them: .../conflicts)"
    )
    error: str | None = Field(default=None, description="Why a failed job failed")
    created_at: datetime
    finished_at: datetime | None


class Options(BaseModel):
    """What the client asked of the job."""

    dry_run: bool
    atomic: Atomic
    mode: Mode


def principal_json(principal: Principal) -> dict[str, Any]:
    """The caller as stored with the job (the worker writes with the caller's rights)."""
    return {
        "client_id": principal.client_id,
        "scopes": sorted(principal.scopes),
        "regions": sorted(principal.regions),
    }


def principal_of(stored: dict[str, Any]) -> Principal:
    """The caller a job was created by."""
    return Principal(
        client_id=stored["client_id"],
        scopes=frozenset(stored["scopes"]),
        regions=frozenset(stored["regions"]),
    )


def seal(record: dict[str, Any]) -> str:
    """A staged record as stored: its JSON, encrypted."""
    # ASCII JSON: a lone surrogate (which no UTF-8 encoder takes) survives as its escape, for
    # the model to refuse like any other bad value.
    return keyring().encrypt(json.dumps(record), purpose=RECORD_PURPOSE)


def unseal(stored: str) -> dict[str, Any]:
    """A staged record back from its stored form."""
    value: dict[str, Any] = json.loads(keyring().decrypt(stored, purpose=RECORD_PURPOSE))
    return value


STAGING_TIMEOUT_S = 600
"""The statement timeout while a file is staged."""


async def create_job(
    session: AsyncSession,
    tables: ImportTables,
    *,
    entity: str,
    key: str,
    principal: Principal,
    request_id: str | None,
    options: Options,
    records: Iterator[RawRecord],
) -> uuid.UUID:
    """Create a queued job holding ``records`` (no commit). File problems propagate."""
    job_id = uuid.uuid4()
    # Staging a large file is long work by design: its statements get minutes, not the
    # seconds a request's statements get.
    await session.execute(sa.text(f"SET LOCAL statement_timeout = '{STAGING_TIMEOUT_S}s'"))
    await session.execute(
        sa.insert(tables.jobs).values(
            id=job_id,
            client_id=principal.client_id,
            principal=principal_json(principal),
            request_id=request_id,
            entity=entity,
            status=Status.QUEUED.value,
            dry_run=options.dry_run,
            atomic=options.atomic,
            mode=options.mode,
        )
    )
    connection = await session.connection()
    raw = await connection.get_raw_connection()
    driver: Any = raw.driver_connection
    total = 0
    for batch in _batches(records, STAGE_BATCH):
        rows = [_staged(job_id, record, key) for record in batch]
        await driver.copy_records_to_table(
            tables.records.name,
            records=rows,
            columns=["job_id", "index", "external_id", "payload", "problem"],
        )
        total += len(rows)
    # The planner must know the job's rows just copied in (a plan made for a handful of rows
    # turns the ranking below quadratic on a large file).
    await session.execute(sa.text(f"ANALYZE {tables.records.name}"))
    superseded = await _mark_superseded(session, tables, job_id)
    await session.execute(
        sa.update(tables.jobs)
        .where(tables.jobs.c.id == job_id)
        .values(total=total, superseded=superseded)
    )
    return job_id


def _staged(job_id: uuid.UUID, record: RawRecord, key: str) -> tuple[Any, ...]:
    if record.data is None:
        return (job_id, record.index, None, None, record.problem or "unreadable record")
    return (job_id, record.index, _key_of(record.data.get(key)), seal(record.data), None)


def _key_of(value: Any) -> str | None:
    """A record's key as staged: only a text a database column holds (no NUL, no lone
    surrogate, not over-long); a record with another value is refused by its model anyway."""
    if not isinstance(value, str) or len(value) > MAX_KEY_LENGTH or "\x00" in value:
        return None
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return None
    return value


def _batches(records: Iterator[RawRecord], size: int) -> Iterator[list[RawRecord]]:
    batch: list[RawRecord] = []
    for record in records:
        batch.append(record)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


async def _mark_superseded(session: AsyncSession, tables: ImportTables, job_id: uuid.UUID) -> int:
    # Of the records sharing an id, all but the last are superseded (set-based, in SQL).
    records = tables.records
    ranked = (
        sa.select(
            records.c.index,
            sa.func.row_number()
            .over(partition_by=records.c.external_id, order_by=records.c.index.desc())
            .label("rank"),
        )
        .where(records.c.job_id == job_id, records.c.external_id.is_not(None))
        .subquery()
    )
    result = await session.execute(
        sa.update(records)
        .where(records.c.job_id == job_id, records.c.index == ranked.c.index, ranked.c.rank > 1)
        .values(superseded=True)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def find_job(
    session: AsyncSession, tables: ImportTables, *, job_id: uuid.UUID, client_id: str
) -> ImportJob | None:
    """The client's job ``job_id`` with its first conflicts, or None."""
    row = (
        await session.execute(
            sa.select(tables.jobs).where(
                tables.jobs.c.id == job_id, tables.jobs.c.client_id == client_id
            )
        )
    ).one_or_none()
    if row is None:
        return None
    conflicts = [
        c async for c in iter_conflicts(session, tables, job_id=job_id, limit=INLINE_CONFLICTS)
    ]
    return job_document(row._mapping, conflicts)


def job_document(row: Any, conflicts: Iterable[Conflict]) -> ImportJob:
    """The job document of an ``import_jobs`` row."""
    return ImportJob(
        id=row["id"],
        entity=row["entity"],
        status=Status(row["status"]),
        dry_run=row["dry_run"],
        atomic=row["atomic"],
        mode=row["mode"],
        progress=Progress(processed=row["processed"], total=row["total"]),
        summary=Summary(
            created=row["created"],
            updated=row["updated"],
            unchanged=row["unchanged"],
            withdrawn=row["withdrawn"],
            rejected=row["rejected"],
            superseded=row["superseded"],
        ),
        conflicts=list(conflicts),
        error=row["error"],
        created_at=row["created_at"],
        finished_at=row["finished_at"],
    )


async def iter_conflicts(
    session: AsyncSession, tables: ImportTables, *, job_id: uuid.UUID, limit: int | None = None
) -> AsyncIterator[Conflict]:
    """The job's conflicts in record order, read in pages (never all at once)."""
    conflicts, after, left = tables.conflicts, 0, limit
    while left is None or left > 0:
        page = min(STAGE_BATCH, left) if left is not None else STAGE_BATCH
        rows = (
            await session.execute(
                sa.select(conflicts)
                .where(conflicts.c.job_id == job_id, conflicts.c.seq > after)
                .order_by(conflicts.c.seq)
                .limit(page)
            )
        ).all()
        for row in rows:
            yield Conflict(
                index=row.index,
                external_id=row.external_id,
                field=row.field,
                pointer=row.pointer,
                code=row.code,
                detail=row.detail,
            )
        if len(rows) < page:
            return
        after = rows[-1].seq
        if left is not None:
            left -= len(rows)


async def request_cancel(
    session: AsyncSession, tables: ImportTables, *, job_id: uuid.UUID, client_id: str
) -> bool:
    """Ask the worker to stop the client's job (no commit); False if there is no such job."""
    jobs = tables.jobs
    result = await session.execute(
        sa.update(jobs)
        .where(jobs.c.id == job_id, jobs.c.client_id == client_id)
        .values(
            cancel_requested=sa.case(
                (jobs.c.status.in_(FINISHED), jobs.c.cancel_requested), else_=True
            )
        )
        .returning(jobs.c.id)
    )
    return result.first() is not None
