"""The import worker: writes the staged records of queued jobs, chunk by chunk.

Each record goes through the entity's own validation, rule checks and upsert (the same as a
single ``POST``), with the rights of the client that sent the file. One job is worked by one
worker at a time (a transaction-level advisory lock on the job, so several replicas share the
queue and a killed worker's job is taken over). A service works ``CONCURRENCY`` jobs at once,
the oldest first, so one client's large file does not hold up another client's small one.
Records new to the client of a ``flat`` entity are inserted set-based (``_insert_new``).

- ``atomic=record``: each chunk's writes, outbox events, audit rows, conflicts and the job's
  progress commit together; a worker killed mid-chunk loses that chunk's uncommitted work
  only, and its successor resumes after the last committed chunk: no record is written or
  counted twice.
- ``dry_run``: the same checks and upserts, rolled back after each chunk; only the progress,
  the counts and the conflicts are kept. Nothing is written or published.
- ``atomic=all``: a validating pass like a dry run; with any conflict nothing is written.
  Otherwise a writing pass in one transaction, so the file is written entirely or not at all.
- ``mode=withdraw``: each record names one of the client's records by its key (``external_id``,
  a company's ``nib``; other fields are ignored), which is withdrawn as by ``DELETE``.

A record the upsert refuses part-way (a 409, a value the database cannot hold) aborts its
chunk's transaction: the chunk is rolled back and run again without that record, which becomes
a conflict. Lost database connections are not conflicts: the job stays queued and resumes.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import prometheus_client
import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared import context
from shared.audit import trail
from shared.auth import Principal
from shared.entities import Entity
from shared.errors import DATABASE_UNAVAILABLE, ProblemError, schema_error, sqlstate
from shared.imports.jobs import FINISHED, Conflict, Status, principal_of, unseal
from shared.imports.table import ImportTables
from shared.outbox import enqueue_all
from shared.records import Change, insert_new, utcnow
from shared.rules import Rules
from shared.withdrawal import withdraw_entity

log = logging.getLogger(__name__)

IMPORTED = prometheus_client.Counter(
    "sinergi_import_records_total",
    "Records import jobs worked through, by entity and outcome (created, updated, unchanged, "
    "withdrawn, rejected), counted as each chunk is recorded",
    ["entity", "outcome"],
)

REJECTED = "rejected"
CHUNK = 500
"""Records per transaction of an ``atomic=record`` job."""
CONCURRENCY = 2
"""Jobs one service works at once (each holds two database connections while it runs)."""


@dataclass(frozen=True, slots=True)
class Staged:
    """One staged record of a job."""

    index: int
    external_id: str | None
    superseded: bool
    payload: str | None
    problem: str | None


@dataclass
class Outcome:
    """What a chunk did: counts by change, and the conflicts of its rejected records."""

    counts: Counter[str] = field(default_factory=Counter)
    conflicts: list[Conflict] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Checked:
    """A record that passed its validation and rule checks, ready to write."""

    record: Staged
    data: Any
    findings: Any


class _Refused(Exception):
    """A record the upsert refused after its chunk's transaction had begun writing it."""

    def __init__(self, index: int, conflicts: list[Conflict]) -> None:
        super().__init__(f"record {index} refused")
        self.index = index
        self.conflicts = conflicts


@dataclass(frozen=True)
class _Job:
    id: uuid.UUID
    entity: Entity[Any]
    principal: Principal
    dry_run: bool
    atomic: str
    mode: str
    phase: str
    processed: int


class ImportWorker:
    """Works the import jobs of one service's database."""

    def __init__(
        self,
        *,
        engine: AsyncEngine,
        sessions: async_sessionmaker[AsyncSession],
        tables: ImportTables,
        entities: Sequence[Entity[Any]],
        outbox: sa.Table | None,
        person_ref_secret: str,
        published: Callable[[], None],
        poll_seconds: float = 2.0,
        chunk: int = CHUNK,
        concurrency: int = CONCURRENCY,
    ) -> None:
        self._engine = engine
        self._sessions = sessions
        self._tables = tables
        self._entities: Mapping[str, Entity[Any]] = {e.name: e for e in entities}
        self._outbox = outbox
        self._secret = person_ref_secret
        self._published = published
        self._poll = poll_seconds
        self._chunk_size = chunk
        self._concurrency = concurrency
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """A job was queued: look now rather than at the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Work jobs until cancelled, ``concurrency`` of them at a time: a client's large file
        does not hold up another client's small one."""
        await asyncio.gather(*(self._loop() for _ in range(self._concurrency)))

    async def _loop(self) -> None:
        while True:
            try:
                worked = await self.run_once()
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 (the job stays queued; try again later)
                log.warning("import worker: %s; retrying", type(exc).__name__)
                worked = False
            if not worked:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=self._poll)
                except TimeoutError:
                    pass

    async def run_once(self) -> bool:
        """Work one pending job no other worker holds; False when there is none."""
        jobs = self._tables.jobs
        async with self._sessions() as session:
            pending = list(
                await session.scalars(
                    sa.select(jobs.c.id)
                    .where(jobs.c.status.in_([Status.QUEUED.value, Status.RUNNING.value]))
                    .order_by(jobs.c.created_at)
                    .limit(20)
                )
            )
        for job_id in pending:
            async with self._engine.connect() as lock, lock.begin():
                held = await lock.scalar(
                    sa.select(sa.func.pg_try_advisory_xact_lock(_lock_key(job_id)))
                )
                if not held:
                    continue
                await self._work(job_id)
                return True
        return False

    async def _work(self, job_id: uuid.UUID) -> None:
        jobs = self._tables.jobs
        async with self._sessions() as session:
            row = (await session.execute(sa.select(jobs).where(jobs.c.id == job_id))).one()
            if row.status in FINISHED:
                return
            if row.status == Status.QUEUED.value:
                await session.execute(
                    sa.update(jobs).where(jobs.c.id == job_id).values(status=Status.RUNNING.value)
                )
                await session.commit()
        entity = self._entities.get(row.entity)
        if entity is None:
            await self._finish(job_id, Status.FAILED, error=f"unknown entity {row.entity!r}")
            return
        job = _Job(
            id=job_id,
            entity=entity,
            principal=principal_of(row.principal),
            dry_run=row.dry_run,
            atomic=row.atomic,
            mode=row.mode,
            phase=row.phase,
            processed=row.processed,
        )
        with context.serving(row.request_id or f"import-{job_id}"):
            context.set_caller(job.principal)
            if job.dry_run or job.atomic == "record":
                if await self._pass(job, write=not job.dry_run):
                    await self._finish(job_id, Status.DONE)
            else:
                await self._all_or_nothing(job)

    async def _pass(self, job: _Job, *, write: bool) -> bool:
        """Apply the job's records chunk by chunk; False if it was cancelled."""
        after = job.processed
        while True:
            async with self._sessions() as session:
                if await self._cancelled(session, job.id):
                    await session.rollback()
                    await self._finish(job.id, Status.CANCELLED)
                    return False
                records = await self._records(session, job.id, after=after)
                if not records:
                    return True
                outcome = await self._chunk_with_retries(session, job, records)
                if not write:
                    await session.rollback()
                await self._record_progress(
                    session, job.id, records[-1].index, outcome, entity=job.entity.name
                )
                await session.commit()
            if write and any(outcome.counts[c] for c in ("created", "updated", "withdrawn")):
                self._published()
            after = records[-1].index

    async def _all_or_nothing(self, job: _Job) -> None:
        jobs = self._tables.jobs
        if job.phase == "validate":
            if not await self._pass(job, write=False):
                return
            async with self._sessions() as session:
                rejected = await session.scalar(
                    sa.select(jobs.c.rejected).where(jobs.c.id == job.id)
                )
                if rejected:
                    await self._finish(job.id, Status.DONE, written=False)
                    return
                await session.execute(
                    sa.update(jobs)
                    .where(jobs.c.id == job.id)
                    .values(phase="write", processed=0, created=0, updated=0, unchanged=0)
                )
                await session.commit()
        # The writing pass: one transaction, so every record is written or none is.
        outcome, after = Outcome(), 0
        async with self._sessions() as session:
            while True:
                if await self._cancelled(session, job.id):
                    await session.rollback()
                    await self._finish(job.id, Status.CANCELLED)
                    return
                records = await self._records(session, job.id, after=after)
                if not records:
                    break
                try:
                    chunk = await self._chunk(session, job, records, refused={})
                except _Refused as refused:
                    chunk = Outcome(conflicts=refused.conflicts)
                if chunk.conflicts:
                    # Valid when checked, refused now (a concurrent write): nothing is written.
                    await session.rollback()
                    async with self._sessions() as report:
                        chunk.counts = Counter(rejected=1)
                        await self._record_progress(
                            report, job.id, records[-1].index, chunk, entity=job.entity.name
                        )
                        await report.commit()
                    await self._finish(job.id, Status.DONE, written=False)
                    return
                outcome.counts.update(chunk.counts)
                await trail.write_pending(session)
                await session.flush()
                session.expunge_all()
                after = records[-1].index
            await self._record_progress(session, job.id, after, outcome, entity=job.entity.name)
            await session.commit()
        self._published()
        await self._finish(job.id, Status.DONE)

    async def _chunk_with_retries(
        self, session: AsyncSession, job: _Job, records: Sequence[Staged]
    ) -> Outcome:
        refused: dict[int, list[Conflict]] = {}
        while True:
            try:
                return await self._chunk(session, job, records, refused=refused)
            except _Refused as exc:
                await session.rollback()
                refused[exc.index] = exc.conflicts

    async def _chunk(
        self,
        session: AsyncSession,
        job: _Job,
        records: Sequence[Staged],
        *,
        refused: Mapping[int, list[Conflict]],
    ) -> Outcome:
        outcome = Outcome()
        checked: list[_Checked] = []
        for record in records:
            if record.superseded:
                continue  # counted when the file was staged
            conflicts = refused.get(record.index)
            if conflicts is None and record.payload is None:
                conflicts = [_conflict(record, None, record.problem or "unreadable", "malformed")]
            if conflicts is not None:
                outcome.counts[REJECTED] += 1
                outcome.conflicts += conflicts
                continue
            body = unseal(record.payload or "")
            if job.mode == "withdraw":
                change, conflicts = await self._withdraw(session, job, record, body)
            else:
                found = await self._checked(session, job, record, body)
                if isinstance(found, _Checked):
                    checked.append(found)
                    continue
                change, conflicts = REJECTED, found
            outcome.counts[change] += 1
            outcome.conflicts += conflicts
        created = await self._insert_new(session, job, checked)
        for item in checked:
            change = (
                "created"
                if item.record.index in created
                else await self._upsert(session, job, item)
            )
            outcome.counts[change] += 1
        return outcome

    async def _checked(
        self, session: AsyncSession, job: _Job, record: Staged, body: dict[str, Any]
    ) -> _Checked | list[Conflict]:
        """Validate and check one record: what its checks found, or its conflicts."""
        conflicts: list[Conflict] = []
        data: Any = None
        try:
            data = job.entity.model.model_validate(body)
        except ValidationError as exc:
            for error in exc.errors():
                found = schema_error(error)
                conflicts.append(_conflict(record, found.field, found.detail, str(error["type"])))
        rules = Rules(
            body=body, principal=job.principal, session=session, person_ref_secret=self._secret
        )
        try:
            findings = await job.entity.check(rules)
        except ProblemError as exc:
            return [*conflicts, *_problem_conflicts(record, exc)]
        except sa_exc.DBAPIError as exc:
            raise _refusal(exc, record) from exc
        refused_fields = {c.field for c in conflicts}
        conflicts += [
            _conflict(record, e.field, e.detail, "rule")
            for e in rules.errors
            if e.field not in refused_fields
        ]
        if conflicts or findings is None:
            return conflicts or [_conflict(record, None, "the record could not be checked", "rule")]
        return _Checked(record=record, data=data, findings=findings)

    async def _insert_new(
        self, session: AsyncSession, job: _Job, checked: Sequence[_Checked]
    ) -> set[int]:
        """Insert the checked records new to the client set-based (one statement for the rows,
        one for their events): the indexes of those inserted. Only for entities whose write is
        its row and its event alone (``Entity.flat``); the others go record by record."""
        flat, table = job.entity.flat, job.entity.table
        if flat is None or self._outbox is None or not checked:
            return set()
        columns = sa.inspect(table).columns
        keys = [c.record.external_id for c in checked]
        existing = set(
            await session.scalars(
                sa.select(columns.external_id).where(
                    columns.source_client == job.principal.client_id,
                    columns.external_id.in_(keys),
                )
            )
        )
        new = [c for c in checked if c.record.external_id not in existing]
        if not new:
            return set()
        try:
            async with session.begin_nested():
                rows = await insert_new(
                    session,
                    table,
                    principal=job.principal,
                    records=[
                        (str(c.record.external_id), flat.values(c.data, c.findings)) for c in new
                    ],
                )
                await enqueue_all(
                    session,
                    self._outbox,
                    [flat.event(row, Change.CREATED) for row in rows.values()],
                )
        except sa_exc.DBAPIError as exc:
            if isinstance(exc, DATABASE_UNAVAILABLE) and sqlstate(exc)[:2] not in {"22", "23"}:
                raise
            # A value the database refuses: each record on its own finds out which.
            log.info("import chunk written record by record (SQLSTATE %s)", sqlstate(exc))
            return set()
        trail.note_created(
            session,
            table,
            [(row.id, getattr(row, "region_code", None)) for row in rows.values()],
            principal=job.principal,
        )
        return {c.record.index for c in new if c.record.external_id in rows}

    async def _upsert(self, session: AsyncSession, job: _Job, item: _Checked) -> str:
        """Write one checked record through its entity's upsert: what it changed."""
        try:
            result = await job.entity.upsert(
                session, principal=job.principal, data=item.data, checks=item.findings
            )
        except ProblemError as exc:
            raise _Refused(item.record.index, _problem_conflicts(item.record, exc)) from exc
        except sa_exc.DBAPIError as exc:
            raise _refusal(exc, item.record) from exc
        return result.change.value

    async def _withdraw(
        self, session: AsyncSession, job: _Job, record: Staged, body: Mapping[str, Any]
    ) -> tuple[str, list[Conflict]]:
        """Withdraw the client's record the staged record names by its key."""
        entity, key = job.entity, job.entity.key
        if record.external_id is None:
            shown = "missing" if body.get(key) is None else "not a usable key"
            return REJECTED, [
                _conflict(record, key, f"{key} is {shown}: it names the record", "missing")
            ]
        columns = sa.inspect(entity.table).columns
        if self._outbox is None:
            raise RuntimeError("withdrawing records needs the service's outbox")
        try:
            found = await withdraw_entity(
                session,
                entity,
                principal=job.principal,
                where=[
                    columns.source_client == job.principal.client_id,
                    columns.external_id == record.external_id,
                ],
                outbox=self._outbox,
            )
        except sa_exc.DBAPIError as exc:
            raise _refusal(exc, record) from exc
        if found is None:
            detail = f"this client has no record with this {key} in its regions"
            return REJECTED, [_conflict(record, key, detail, "not_found")]
        return ("withdrawn" if found else "unchanged"), []

    async def _records(
        self, session: AsyncSession, job_id: uuid.UUID, *, after: int
    ) -> list[Staged]:
        records = self._tables.records
        rows = await session.execute(
            sa.select(
                records.c.index,
                records.c.external_id,
                records.c.superseded,
                records.c.payload,
                records.c.problem,
            )
            .where(records.c.job_id == job_id, records.c.index > after)
            .order_by(records.c.index)
            .limit(self._chunk_size)
        )
        return [Staged(*row) for row in rows]

    async def _cancelled(self, session: AsyncSession, job_id: uuid.UUID) -> bool:
        jobs = self._tables.jobs
        return bool(
            await session.scalar(sa.select(jobs.c.cancel_requested).where(jobs.c.id == job_id))
        )

    async def _record_progress(
        self,
        session: AsyncSession,
        job_id: uuid.UUID,
        processed: int,
        outcome: Outcome,
        *,
        entity: str,
    ) -> None:
        jobs, conflicts = self._tables.jobs, self._tables.conflicts
        counts = outcome.counts
        for name, count in counts.items():
            IMPORTED.labels(entity, name).inc(count)
        await session.execute(
            sa.update(jobs)
            .where(jobs.c.id == job_id)
            .values(
                processed=processed,
                **{
                    name: jobs.c[name] + counts[name]
                    for name in ("created", "updated", "unchanged", "withdrawn", "rejected")
                    if counts[name]
                },
            )
        )
        if outcome.conflicts:
            last = await session.scalar(
                sa.select(sa.func.coalesce(sa.func.max(conflicts.c.seq), 0)).where(
                    conflicts.c.job_id == job_id
                )
            )
            await session.execute(
                sa.insert(conflicts),
                [
                    {"job_id": job_id, "seq": (last or 0) + n, **c.model_dump()}
                    for n, c in enumerate(outcome.conflicts, start=1)
                ],
            )

    async def _finish(
        self, job_id: uuid.UUID, status: Status, *, error: str | None = None, written: bool = True
    ) -> None:
        jobs = self._tables.jobs
        values: dict[str, Any] = {"status": status.value, "finished_at": utcnow(), "error": error}
        if not written:
            values.update(created=0, updated=0, unchanged=0, withdrawn=0)
        async with self._sessions() as session:
            await session.execute(sa.update(jobs).where(jobs.c.id == job_id).values(**values))
            # The staged records hold personal data: they go when the job ends.
            await session.execute(
                sa.delete(self._tables.records).where(self._tables.records.c.job_id == job_id)
            )
            await session.commit()


def _conflict(record: Staged, field: str | None, detail: str, code: str) -> Conflict:
    return Conflict(
        index=record.index,
        external_id=record.external_id,
        field=field,
        pointer="#/" + field.replace(".", "/") if field else "#",
        code=code,
        detail=detail,
    )


def _problem_conflicts(record: Staged, exc: ProblemError) -> list[Conflict]:
    code = exc.kind or str(exc.status)
    if exc.errors:
        return [_conflict(record, e.field, e.detail, code) for e in exc.errors]
    return [_conflict(record, None, exc.detail, code)]


def _refusal(exc: sa_exc.DBAPIError, record: Staged) -> Exception:
    """What a database error on one record means: the record's conflict (``_Refused``), or
    the error itself when the database is away (the job resumes when it is back)."""
    state = sqlstate(exc)
    if isinstance(exc, DATABASE_UNAVAILABLE) and state[:2] not in {"22", "23"}:
        return exc
    log.info("import record %s refused by the database (SQLSTATE %s)", record.index, state)
    detail = (
        "a value cannot be stored"
        if state.startswith("22")
        else "the record changed concurrently; send it again"
        if state.startswith("23")
        else "the database refused the record"
    )
    return _Refused(record.index, [_conflict(record, None, detail, "database")])


def _lock_key(job_id: uuid.UUID) -> int:
    """The advisory-lock key of a job (a signed 64-bit integer)."""
    value = job_id.int >> 64
    return value - (1 << 64) if value >= (1 << 63) else value
