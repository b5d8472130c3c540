"""Job-market projections (job seekers, vacancies, placements) and the consumer inbox.

Revision ID: 0001
Revises:
Create Date: 2026-01-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _updated_at() -> sa.Column[object]:
    return sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def upgrade() -> None:
    op.create_table(
        "job_seekers",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("region_code", sa.Text(), nullable=False),
        sa.Column("person_ref", sa.Text(), nullable=False),
        sa.Column("sex", sa.Text(), nullable=False),
        sa.Column("birth_year", sa.Integer(), nullable=False),
        sa.Column("education_level", sa.Text(), nullable=False),
        sa.Column("disability", sa.Boolean(), nullable=False),
        sa.Column("registered_at", sa.Date(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        _updated_at(),
    )
    op.create_index(
        "ix_job_seekers_region_registered", "job_seekers", ["region_code", "registered_at"]
    )
    op.create_index("ix_job_seekers_registered", "job_seekers", ["registered_at"])

    op.create_table(
        "vacancies",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("region_code", sa.Text(), nullable=False),
        sa.Column("employer_nib", sa.Text(), nullable=False),
        sa.Column("kbli_code", sa.Text(), nullable=False),
        sa.Column("occupation_code", sa.Text(), nullable=False),
        sa.Column("positions", sa.Integer(), nullable=False),
        sa.Column("posted_at", sa.Date(), nullable=False),
        sa.Column("closes_at", sa.Date()),
        sa.Column("min_education", sa.Text()),
        sa.Column("status", sa.Text(), nullable=False),
        _updated_at(),
    )
    op.create_index("ix_vacancies_region_posted", "vacancies", ["region_code", "posted_at"])
    op.create_index("ix_vacancies_posted", "vacancies", ["posted_at"])

    op.create_table(
        "placements",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("region_code", sa.Text(), nullable=False),
        sa.Column("person_ref", sa.Text(), nullable=False),
        sa.Column("job_seeker_id", sa.Text(), nullable=False),
        sa.Column("vacancy_id", sa.Text()),
        sa.Column("employer_nib", sa.Text(), nullable=False),
        sa.Column("placed_at", sa.Date(), nullable=False),
        sa.Column("mechanism", sa.Text(), nullable=False),
        _updated_at(),
    )
    op.create_index("ix_placements_region_placed", "placements", ["region_code", "placed_at"])
    op.create_index("ix_placements_placed", "placements", ["placed_at"])

    op.create_table(
        "inbox",
        sa.Column("event_id", sa.Text(), primary_key=True),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("topic", sa.Text(), nullable=False),
        sa.Column("partition", sa.Integer(), nullable=False),
        sa.Column("offset", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column(
            "received_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.func.now(),
        ),
    )


def downgrade() -> None:
    op.drop_table("inbox")
    for table in ("placements", "vacancies", "job_seekers"):
        op.drop_table(table)
