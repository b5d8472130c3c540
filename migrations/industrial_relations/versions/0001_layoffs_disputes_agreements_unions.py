"""industrial relations: layoffs and their workers, disputes, agreements, unions

Revision ID: 0001
Revises:
Create Date: 2026-12-04 02:14:34.894824

The service's first schema, at the shape the other domain services reached through their
migrations: records with withdrawal and the sync-order index, the workers' NIK and name as
ciphertext (shared.crypto), the outbox, import jobs, the append-only audit trail and the
reporting periods.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from shared.audit.table import APPEND_ONLY_GUARD, APPEND_ONLY_GUARD_REMOVAL
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "agreements",
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("employer_nib", sa.String(), nullable=False),
        sa.Column("region_code", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=4), nullable=False),
        sa.Column("registered_at", sa.Date(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("workers_covered", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source_client", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_client", "external_id"),
    )
    op.create_index(
        "ix_agreements_region_valid", "agreements", ["region_code", "valid_from"], unique=False
    )
    op.create_index("ix_agreements_sync", "agreements", ["updated_at", "id"], unique=False)
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("regions", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("action", sa.Text(), nullable=False),
        sa.Column("entity", sa.Text(), nullable=False),
        sa.Column("record_id", sa.Uuid(), nullable=True),
        sa.Column("region_code", sa.Text(), nullable=True),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.Column("chain_pos", sa.BigInteger(), nullable=True),
        sa.Column("prev_hash", postgresql.BYTEA(), nullable=True),
        sa.Column("hash", postgresql.BYTEA(), nullable=True),
        sa.CheckConstraint(
            "(chain_pos IS NULL) = (hash IS NULL) AND (chain_pos IS NULL) = (prev_hash IS NULL)",
            name="ck_audit_log_sealed_together",
        ),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("chain_pos", name="uq_audit_log_chain_pos"),
    )
    op.create_index(
        "ix_audit_log_record", "audit_log", ["entity", "record_id", "seq"], unique=False
    )
    op.create_index(
        "ix_audit_log_unsealed",
        "audit_log",
        ["seq"],
        unique=False,
        postgresql_where=sa.text("chain_pos IS NULL"),
    )
    op.create_table(
        "disputes",
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("employer_nib", sa.String(), nullable=False),
        sa.Column("region_code", sa.String(length=8), nullable=False),
        sa.Column("registered_at", sa.Date(), nullable=False),
        sa.Column("type", sa.String(length=16), nullable=False),
        sa.Column("stage", sa.String(length=16), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("settled_at", sa.Date(), nullable=True),
        sa.Column("settlement", sa.String(length=16), nullable=True),
        sa.Column("workers_involved", sa.Integer(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source_client", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_client", "external_id"),
    )
    op.create_index(
        "ix_disputes_region_registered", "disputes", ["region_code", "registered_at"], unique=False
    )
    op.create_index("ix_disputes_sync", "disputes", ["updated_at", "id"], unique=False)
    op.create_table(
        "import_jobs",
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("client_id", sa.Text(), nullable=False),
        sa.Column("principal", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("request_id", sa.Text(), nullable=True),
        sa.Column("entity", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("phase", sa.Text(), server_default="validate", nullable=False),
        sa.Column("dry_run", sa.Boolean(), nullable=False),
        sa.Column("atomic", sa.Text(), nullable=False),
        sa.Column("mode", sa.Text(), nullable=False),
        sa.Column("total", sa.Integer(), server_default="0", nullable=False),
        sa.Column("processed", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created", sa.Integer(), server_default="0", nullable=False),
        sa.Column("updated", sa.Integer(), server_default="0", nullable=False),
        sa.Column("unchanged", sa.Integer(), server_default="0", nullable=False),
        sa.Column("withdrawn", sa.Integer(), server_default="0", nullable=False),
        sa.Column("rejected", sa.Integer(), server_default="0", nullable=False),
        sa.Column("superseded", sa.Integer(), server_default="0", nullable=False),
        sa.Column(
            "cancel_requested", sa.Boolean(), server_default=sa.text("false"), nullable=False
        ),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_import_jobs_pending",
        "import_jobs",
        ["created_at"],
        unique=False,
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )
    op.create_table(
        "layoffs",
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("employer_nib", sa.String(), nullable=False),
        sa.Column("region_code", sa.String(length=8), nullable=False),
        sa.Column("reported_at", sa.Date(), nullable=False),
        sa.Column("effective_at", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("severance_total_idr", sa.BigInteger(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source_client", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_client", "external_id"),
    )
    op.create_index(
        "ix_layoffs_region_effective", "layoffs", ["region_code", "effective_at"], unique=False
    )
    op.create_index("ix_layoffs_sync", "layoffs", ["updated_at", "id"], unique=False)
    op.create_table(
        "outbox",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("event_id", sa.UUID(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("seq"),
        sa.UniqueConstraint("event_id"),
    )
    op.create_index(
        "ix_outbox_pending",
        "outbox",
        ["seq"],
        unique=False,
        postgresql_where=sa.text("published_at IS NULL"),
    )
    op.create_table(
        "reporting_periods",
        sa.Column("region_code", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("id", sa.UUID(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.Text(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("region_code", "period"),
    )
    op.create_table(
        "unions",
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("region_code", sa.String(length=8), nullable=False),
        sa.Column("registered_at", sa.Date(), nullable=False),
        sa.Column("members", sa.Integer(), nullable=False),
        sa.Column("employer_nib", sa.String(), nullable=True),
        sa.Column("federation", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source_client", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_client", "external_id"),
    )
    op.create_index(
        "ix_unions_region_registered", "unions", ["region_code", "registered_at"], unique=False
    )
    op.create_index("ix_unions_sync", "unions", ["updated_at", "id"], unique=False)
    op.create_table(
        "import_conflicts",
        sa.Column("job_id", sa.UUID(), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("index", sa.Integer(), nullable=False),
        sa.Column("external_id", sa.Text(), nullable=True),
        sa.Column("field", sa.Text(), nullable=True),
        sa.Column("pointer", sa.Text(), nullable=False),
        sa.Column("code", sa.Text(), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["job_id"], ["import_jobs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job_id", "seq"),
    )
    op.create_table(
        "import_records",
        sa.Column("job_id", sa.UUID(), nullable=False),
        sa.Column("index", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("external_id", sa.Text(), nullable=True),
        sa.Column("superseded", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.Column("payload", sa.Text(), nullable=True),
        sa.Column("problem", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["job_id"], ["import_jobs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("job_id", "index"),
    )
    op.create_table(
        "layoff_workers",
        sa.Column("layoff_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("nik", sa.Text(), nullable=False),
        sa.Column("full_name", sa.Text(), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("person_ref", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["layoff_id"], ["layoffs.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("layoff_id", "position"),
        sa.UniqueConstraint("layoff_id", "person_ref"),
    )
    op.create_index(
        op.f("ix_layoff_workers_person_ref"), "layoff_workers", ["person_ref"], unique=False
    )
    for statement in APPEND_ONLY_GUARD:
        op.execute(statement)


def downgrade() -> None:
    for statement in APPEND_ONLY_GUARD_REMOVAL:
        op.execute(statement)
    op.drop_index(op.f("ix_layoff_workers_person_ref"), table_name="layoff_workers")
    op.drop_table("layoff_workers")
    op.drop_table("import_records")
    op.drop_table("import_conflicts")
    op.drop_index("ix_unions_sync", table_name="unions")
    op.drop_index("ix_unions_region_registered", table_name="unions")
    op.drop_table("unions")
    op.drop_table("reporting_periods")
    op.drop_index(
        "ix_outbox_pending", table_name="outbox", postgresql_where=sa.text("published_at IS NULL")
    )
    op.drop_table("outbox")
    op.drop_index("ix_layoffs_sync", table_name="layoffs")
    op.drop_index("ix_layoffs_region_effective", table_name="layoffs")
    op.drop_table("layoffs")
    op.drop_index(
        "ix_import_jobs_pending",
        table_name="import_jobs",
        postgresql_where=sa.text("status IN ('queued', 'running')"),
    )
    op.drop_table("import_jobs")
    op.drop_index("ix_disputes_sync", table_name="disputes")
    op.drop_index("ix_disputes_region_registered", table_name="disputes")
    op.drop_table("disputes")
    op.drop_index(
        "ix_audit_log_unsealed",
        table_name="audit_log",
        postgresql_where=sa.text("chain_pos IS NULL"),
    )
    op.drop_index("ix_audit_log_record", table_name="audit_log")
    op.drop_table("audit_log")
    op.drop_index("ix_agreements_sync", table_name="agreements")
    op.drop_index("ix_agreements_region_valid", table_name="agreements")
    op.drop_table("agreements")
