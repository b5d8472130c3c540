"""The tables of import jobs, in each domain database beside the records they write.

``import_jobs`` holds one row per job: who sent it (the caller's principal, so the worker acts
with the caller's regions), its options, its progress and its summary. ``import_records`` holds
the file's records as parsed at upload, each encrypted (they carry NIKs and names) and deleted
when the job ends; ``import_conflicts`` every record the job could not write, and why. The
worker commits each chunk's writes together with the job's progress, so a restarted worker
resumes after the last committed chunk and writes no record twice.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB, UUID


@dataclass(frozen=True)
class ImportTables:
    """The three tables of a service's import jobs."""

    jobs: sa.Table
    records: sa.Table
    conflicts: sa.Table


def _counter(name: str) -> sa.Column[int]:
    return sa.Column(name, sa.Integer, nullable=False, server_default="0")


def import_tables(metadata: sa.MetaData) -> ImportTables:
    """Define ``import_jobs``, ``import_records`` and ``import_conflicts`` in ``metadata``."""
    jobs = sa.Table(
        "import_jobs",
        metadata,
        sa.Column("id", UUID(as_uuid=True), primary_key=True),
        sa.Column("client_id", sa.Text, nullable=False),
        sa.Column("principal", JSONB, nullable=False),
        sa.Column("request_id", sa.Text),
        sa.Column("entity", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("phase", sa.Text, nullable=False, server_default="validate"),
        sa.Column("dry_run", sa.Boolean, nullable=False),
        sa.Column("atomic", sa.Text, nullable=False),
        sa.Column("mode", sa.Text, nullable=False),
        _counter("total"),
        _counter("processed"),
        _counter("created"),
        _counter("updated"),
        _counter("unchanged"),
        _counter("withdrawn"),
        _counter("rejected"),
        _counter("superseded"),
        sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("error", sa.Text),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True)),
        sa.Index(
            "ix_import_jobs_pending",
            "created_at",
            postgresql_where=sa.text("status IN ('queued', 'running')"),
        ),
    )
    records = sa.Table(
        "import_records",
        metadata,
        sa.Column(
            "job_id",
            UUID(as_uuid=True),
            sa.ForeignKey("import_jobs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("index", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("external_id", sa.Text),
        sa.Column("superseded", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("payload", sa.Text),
        sa.Column("problem", sa.Text),
    )
    conflicts = sa.Table(
        "import_conflicts",
        metadata,
        sa.Column(
            "job_id",
            UUID(as_uuid=True),
            sa.ForeignKey("import_jobs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("index", sa.Integer, nullable=False),
        sa.Column("external_id", sa.Text),
        sa.Column("field", sa.Text),
        sa.Column("pointer", sa.Text, nullable=False),
        sa.Column("code", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
    )
    return ImportTables(jobs=jobs, records=records, conflicts=conflicts)
