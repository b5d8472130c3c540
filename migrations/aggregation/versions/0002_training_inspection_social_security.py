"""Training, inspection and social-security projections; placements looked up by person.

Revision ID: 0002
Revises: 0001
Create Date: 2026-02-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _updated_at() -> sa.Column[object]:
    return sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def upgrade() -> None:
    # The cross-domain indicators find a person's placements by person_ref and date.
    op.create_index("ix_placements_person_placed", "placements", ["person_ref", "placed_at"])

    op.create_table(
        "programs",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("region_code", sa.Text(), nullable=False),
        sa.Column("provider_type", sa.Text(), nullable=False),
        sa.Column("vocational_field", sa.Text(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=False),
        _updated_at(),
    )

    op.create_table(
        "enrollments",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("program_id", sa.Text(), nullable=False),
        sa.Column("region_code", sa.Text(), nullable=False),
        sa.Column("person_ref", sa.Text(), nullable=False),
        sa.Column("sex", sa.Text(), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=False),
        sa.Column("enrolled_at", sa.Date(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("completed_at", sa.Date()),
        sa.Column("certified", sa.Boolean(), nullable=False),
        _updated_at(),
    )
    op.create_index("ix_enrollments_region_enrolled", "enrollments", ["region_code", "enrolled_at"])
    op.create_index("ix_enrollments_enrolled", "enrollments", ["enrolled_at"])
    op.create_index(
        "ix_enrollments_region_completed", "enrollments", ["region_code", "completed_at"]
    )
    op.create_index("ix_enrollments_completed", "enrollments", ["completed_at"])
    op.create_index(
        "ix_enrollments_person_completed", "enrollments", ["person_ref", "completed_at"]
    )

    op.create_table(
        "companies",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("nib", sa.Text(), nullable=False),
        sa.Column("region_code", sa.Text(), nullable=False),
        sa.Column("kbli_code", sa.Text(), nullable=False),
        sa.Column("workers_male", sa.Integer(), nullable=False),
        sa.Column("workers_female", sa.Integer(), nullable=False),
        _updated_at(),
    )

    op.create_table(
        "inspections",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("company_nib", sa.Text(), nullable=False),
        sa.Column("region_code", sa.Text(), nullable=False),
        sa.Column("inspected_at", sa.Date(), nullable=False),
        sa.Column("type", sa.Text(), nullable=False),
        _updated_at(),
    )
    op.create_index(
        "ix_inspections_region_inspected", "inspections", ["region_code", "inspected_at"]
    )
    op.create_index("ix_inspections_inspected", "inspections", ["inspected_at"])

    op.create_table(
        "inspection_findings",
        sa.Column(
            "inspection_id",
            sa.Uuid(),
            sa.ForeignKey("inspections.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("norm", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
    )

    op.create_table(
        "accidents",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("company_nib", sa.Text(), nullable=False),
        sa.Column("region_code", sa.Text(), nullable=False),
        sa.Column("occurred_at", sa.Date(), nullable=False),
        sa.Column("outcome", sa.Text(), nullable=False),
        _updated_at(),
    )
    op.create_index("ix_accidents_region_occurred", "accidents", ["region_code", "occurred_at"])
    op.create_index("ix_accidents_occurred", "accidents", ["occurred_at"])

    op.create_table(
        "accident_victims",
        sa.Column(
            "accident_id",
            sa.Uuid(),
            sa.ForeignKey("accidents.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer(), primary_key=True),
        sa.Column("person_ref", sa.Text(), nullable=False),
        sa.Column("sex", sa.Text(), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=False),
    )
    op.create_index("ix_accident_victims_person", "accident_victims", ["person_ref"])

    op.create_table(
        "memberships",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("person_ref", sa.Text(), nullable=False),
        sa.Column("employer_nib", sa.Text(), nullable=False),
        sa.Column("region_code", sa.Text(), nullable=False),
        sa.Column("sex", sa.Text(), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=False),
        sa.Column("programs", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("started_at", sa.Date(), nullable=False),
        sa.Column("ended_at", sa.Date()),
        _updated_at(),
    )
    op.create_index("ix_memberships_region_started", "memberships", ["region_code", "started_at"])
    op.create_index("ix_memberships_started", "memberships", ["started_at"])
    op.create_index("ix_memberships_person_started", "memberships", ["person_ref", "started_at"])

    op.create_table(
        "claims",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("membership_id", sa.Text(), nullable=False),
        sa.Column("person_ref", sa.Text(), nullable=False),
        sa.Column("region_code", sa.Text(), nullable=False),
        sa.Column("program", sa.Text(), nullable=False),
        sa.Column("claimed_at", sa.Date(), nullable=False),
        sa.Column("amount_idr", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        _updated_at(),
    )
    op.create_index("ix_claims_region_claimed", "claims", ["region_code", "claimed_at"])
    op.create_index("ix_claims_claimed", "claims", ["claimed_at"])


def downgrade() -> None:
    for table in (
        "claims",
        "memberships",
        "accident_victims",
        "accidents",
        "inspection_findings",
        "inspections",
        "companies",
        "enrollments",
        "programs",
    ):
        op.drop_table(table)
    op.drop_index("ix_placements_person_placed", table_name="placements")
