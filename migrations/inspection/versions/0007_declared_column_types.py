"""declared column types: the columns the first migrations made TEXT become what the models
declare (VARCHAR, with its length where the model bounds it)

Revision ID: 0007_declared_column_types
Revises: 0006_reporting_periods
Create Date: 2026-12-04 03:59:36.363406

Input was always validated to these bounds, so every stored value fits; PostgreSQL checks each
row as it changes the type. tests/contract/test_migrations.py now compares every table of every
domain database with the models.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_declared_column_types"
down_revision: str | None = "0006_reporting_periods"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column(
        "accidents",
        "company_nib",
        existing_type=sa.TEXT(),
        type_=sa.String(),
        existing_nullable=False,
    )
    op.alter_column(
        "accidents",
        "region_code",
        existing_type=sa.TEXT(),
        type_=sa.String(length=8),
        existing_nullable=False,
    )
    op.alter_column(
        "accidents", "kbli_code", existing_type=sa.TEXT(), type_=sa.String(), existing_nullable=True
    )
    op.alter_column(
        "companies", "nib", existing_type=sa.TEXT(), type_=sa.String(), existing_nullable=False
    )
    op.alter_column(
        "companies",
        "kbli_code",
        existing_type=sa.TEXT(),
        type_=sa.String(),
        existing_nullable=False,
    )
    op.alter_column(
        "companies",
        "region_code",
        existing_type=sa.TEXT(),
        type_=sa.String(length=8),
        existing_nullable=False,
    )
    op.alter_column(
        "inspections",
        "company_nib",
        existing_type=sa.TEXT(),
        type_=sa.String(),
        existing_nullable=False,
    )
    op.alter_column(
        "inspections",
        "region_code",
        existing_type=sa.TEXT(),
        type_=sa.String(length=8),
        existing_nullable=False,
    )


def downgrade() -> None:
    op.alter_column(
        "inspections",
        "region_code",
        existing_type=sa.String(length=8),
        type_=sa.TEXT(),
        existing_nullable=False,
    )
    op.alter_column(
        "inspections",
        "company_nib",
        existing_type=sa.String(),
        type_=sa.TEXT(),
        existing_nullable=False,
    )
    op.alter_column(
        "companies",
        "region_code",
        existing_type=sa.String(length=8),
        type_=sa.TEXT(),
        existing_nullable=False,
    )
    op.alter_column(
        "companies",
        "kbli_code",
        existing_type=sa.String(),
        type_=sa.TEXT(),
        existing_nullable=False,
    )
    op.alter_column(
        "companies", "nib", existing_type=sa.String(), type_=sa.TEXT(), existing_nullable=False
    )
    op.alter_column(
        "accidents", "kbli_code", existing_type=sa.String(), type_=sa.TEXT(), existing_nullable=True
    )
    op.alter_column(
        "accidents",
        "region_code",
        existing_type=sa.String(length=8),
        type_=sa.TEXT(),
        existing_nullable=False,
    )
    op.alter_column(
        "accidents",
        "company_nib",
        existing_type=sa.String(),
        type_=sa.TEXT(),
        existing_nullable=False,
    )
