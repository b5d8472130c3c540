"""reporting periods: the months each region closed (or reopened)

Revision ID: 0006_reporting_periods
Revises: 0005_withdrawal_sync
Create Date: 2026-12-03 09:00:00.000000

One row per region and month that was ever closed (``shared.reporting``): ``completed_at``
null when it was reopened since, ``revision`` growing with each close and reopen.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0006_reporting_periods"
down_revision: str | None = "0005_withdrawal_sync"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "reporting_periods",
        sa.Column("region_code", sa.Text(), nullable=False),
        sa.Column("period", sa.Text(), nullable=False),
        sa.Column("id", postgresql.UUID(as_uuid=True), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("completed_by", sa.Text(), nullable=True),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("region_code", "period"),
    )


def downgrade() -> None:
    op.drop_table("reporting_periods")
