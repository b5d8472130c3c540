"""employment programs: employment-expansion programs and their beneficiaries

Revision ID: 0007_employment_programs
Revises: 0006_reporting_periods
Create Date: 2026-12-04 02:19:43.752304

Both are records (withdrawal, the sync-order index); a beneficiary's NIK and name are
ciphertext (shared.crypto), its region and kind copied from its program.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_employment_programs"
down_revision: str | None = "0006_reporting_periods"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "employment_programs",
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("region_code", sa.String(length=8), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("budget_idr", sa.BigInteger(), nullable=False),
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
        "ix_employment_programs_region_start",
        "employment_programs",
        ["region_code", "start_date"],
        unique=False,
    )
    op.create_index(
        "ix_employment_programs_sync", "employment_programs", ["updated_at", "id"], unique=False
    )
    op.create_table(
        "program_beneficiaries",
        sa.Column("external_id", sa.String(length=64), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=False),
        sa.Column("sex", sa.String(length=1), nullable=False),
        sa.Column("joined_at", sa.Date(), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("source_client", sa.String(length=64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("program_id", sa.Uuid(), nullable=False),
        sa.Column("region_code", sa.String(length=8), nullable=False),
        sa.Column("program_kind", sa.String(length=24), nullable=False),
        sa.Column("nik", sa.Text(), nullable=False),
        sa.Column("full_name", sa.Text(), nullable=False),
        sa.Column("person_ref", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["program_id"],
            ["employment_programs.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_client", "external_id"),
    )
    op.create_index(
        op.f("ix_program_beneficiaries_person_ref"),
        "program_beneficiaries",
        ["person_ref"],
        unique=False,
    )
    op.create_index(
        op.f("ix_program_beneficiaries_program_id"),
        "program_beneficiaries",
        ["program_id"],
        unique=False,
    )
    op.create_index(
        "ix_program_beneficiaries_region_joined",
        "program_beneficiaries",
        ["region_code", "joined_at"],
        unique=False,
    )
    op.create_index(
        "ix_program_beneficiaries_sync", "program_beneficiaries", ["updated_at", "id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_program_beneficiaries_sync", table_name="program_beneficiaries")
    op.drop_index("ix_program_beneficiaries_region_joined", table_name="program_beneficiaries")
    op.drop_index(op.f("ix_program_beneficiaries_program_id"), table_name="program_beneficiaries")
    op.drop_index(op.f("ix_program_beneficiaries_person_ref"), table_name="program_beneficiaries")
    op.drop_table("program_beneficiaries")
    op.drop_index("ix_employment_programs_sync", table_name="employment_programs")
    op.drop_index("ix_employment_programs_region_start", table_name="employment_programs")
    op.drop_table("employment_programs")
