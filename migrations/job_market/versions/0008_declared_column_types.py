"""declared column types: the columns the first migrations made TEXT become what the models
declare (VARCHAR, with its length where the model bounds it)

Revision ID: 0008_declared_column_types
Revises: 0007_employment_programs
Create Date: 2026-12-04 03:59:31.527022

Input was always validated to these bounds, so every stored value fits; PostgreSQL checks each
row as it changes the type. tests/contract/test_migrations.py now compares every table of every
domain database with the models.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_declared_column_types"
down_revision: str | None = "0007_employment_programs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column(
        "job_seekers",
        "region_code",
        existing_type=sa.TEXT(),
        type_=sa.String(length=8),
        existing_nullable=False,
    )
    op.alter_column(
        "placements",
        "employer_nib",
        existing_type=sa.TEXT(),
        type_=sa.String(),
        existing_nullable=False,
    )
    op.alter_column(
        "placements",
        "region_code",
        existing_type=sa.TEXT(),
        type_=sa.String(length=8),
        existing_nullable=False,
    )
    op.alter_column(
        "placements",
        "occupation_code",
        existing_type=sa.TEXT(),
        type_=sa.String(),
        existing_nullable=True,
    )
    op.alter_column(
        "placements",
        "destination_country",
        existing_type=sa.TEXT(),
        type_=sa.String(),
        existing_nullable=True,
    )
    op.alter_column(
        "vacancies",
        "employer_nib",
        existing_type=sa.TEXT(),
        type_=sa.String(),
        existing_nullable=False,
    )
    op.alter_column(
        "vacancies",
        "kbli_code",
        existing_type=sa.TEXT(),
        type_=sa.String(),
        existing_nullable=False,
    )
    op.alter_column(
        "vacancies",
        "occupation_code",
        existing_type=sa.TEXT(),
        type_=sa.String(),
        existing_nullable=False,
    )
    op.alter_column(
        "vacancies",
        "region_code",
        existing_type=sa.TEXT(),
        type_=sa.String(length=8),
        existing_nullable=False,
    )


def downgrade() -> None:
    op.alter_column(
        "vacancies",
        "region_code",
        existing_type=sa.String(length=8),
        type_=sa.TEXT(),
        existing_nullable=False,
    )
    op.alter_column(
        "vacancies",
        "occupation_code",
        existing_type=sa.String(),
        type_=sa.TEXT(),
        existing_nullable=False,
    )
    op.alter_column(
        "vacancies",
        "kbli_code",
        existing_type=sa.String(),
        type_=sa.TEXT(),
        existing_nullable=False,
    )
    op.alter_column(
        "vacancies",
        "employer_nib",
        existing_type=sa.String(),
        type_=sa.TEXT(),
        existing_nullable=False,
    )
    op.alter_column(
        "placements",
        "destination_country",
        existing_type=sa.String(),
        type_=sa.TEXT(),
        existing_nullable=True,
    )
    op.alter_column(
        "placements",
        "occupation_code",
        existing_type=sa.String(),
        type_=sa.TEXT(),
        existing_nullable=True,
    )
    op.alter_column(
        "placements",
        "region_code",
        existing_type=sa.String(length=8),
        type_=sa.TEXT(),
        existing_nullable=False,
    )
    op.alter_column(
        "placements",
        "employer_nib",
        existing_type=sa.String(),
        type_=sa.TEXT(),
        existing_nullable=False,
    )
    op.alter_column(
        "job_seekers",
        "region_code",
        existing_type=sa.String(length=8),
        type_=sa.TEXT(),
        existing_nullable=False,
    )
