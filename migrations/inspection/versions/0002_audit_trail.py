"""audit trail: append-only, hash-chained audit_log

Revision ID: 0002_audit
Revises: 0001
Create Date: 2026-12-01 09:00:00.000000

Every read and write of a record is logged by the request that made it (unsealed: chain_pos,
prev_hash and hash NULL); the sealer later gives each row its chain position and SHA-256 hash.
Triggers make the table append-only: no DELETE, no TRUNCATE, and the only UPDATE allowed is the
sealing of an unsealed row with every logged column unchanged.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_audit"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_GUARD = """
CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND OLD.chain_pos IS NULL AND OLD.prev_hash IS NULL AND OLD.hash IS NULL
       AND NEW.chain_pos IS NOT NULL AND NEW.prev_hash IS NOT NULL AND NEW.hash IS NOT NULL
       AND (NEW.seq, NEW.at, NEW.client_id, NEW.regions, NEW.action, NEW.entity,
            NEW.record_id, NEW.region_code, NEW.request_id)
           IS NOT DISTINCT FROM
           (OLD.seq, OLD.at, OLD.client_id, OLD.regions, OLD.action, OLD.entity,
            OLD.record_id, OLD.region_code, OLD.request_id)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$
"""


def upgrade() -> None:
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
    op.execute(_GUARD)
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_guard()"
    )
    op.execute(
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_guard()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER audit_log_no_truncate ON audit_log")
    op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
    op.execute("DROP FUNCTION audit_log_guard()")
    op.drop_index("ix_audit_log_unsealed", table_name="audit_log")
    op.drop_index("ix_audit_log_record", table_name="audit_log")
    op.drop_table("audit_log")
