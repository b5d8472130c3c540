"""reporting: the months regions closed per domain, and the months they sent records for

Revision ID: 0006_reporting
Revises: 0005_indicator_cube
Create Date: 2026-12-03 09:40:00.000000

``reported`` is filled from the projections as they stand by the service's cube rebuild, which
this migration asks for when projections exist.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_reporting"
down_revision: str | None = "0005_indicator_cube"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_HELD = (
    "job_seekers",
    "vacancies",
    "placements",
    "programs",
    "enrollments",
    "inspections",
    "accidents",
    "memberships",
    "claims",
)


def upgrade() -> None:
    op.create_table(
        "reporting_periods",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("domain", sa.Text(), nullable=False),
        sa.Column("region_code", sa.Text(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_reporting_periods_domain_month", "reporting_periods", ["domain", "month"])
    op.create_table(
        "reported",
        sa.Column("domain", sa.Text(), nullable=False),
        sa.Column("region_code", sa.Text(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("domain", "region_code", "month"),
    )
    # A database holding projections gets ``reported`` (and its cube) rebuilt by the service
    # when it starts (``aggregation.cube.maintain.ensure_built``), from one definition.
    held = sa.or_(*(sa.exists(sa.select(sa.literal(1)).select_from(sa.table(t))) for t in _HELD))
    state = sa.table("cube_state", sa.column("id"), sa.column("built"))
    op.execute(state.update().where(held).values(built=False))


def downgrade() -> None:
    op.drop_table("reported")
    op.drop_index("ix_reporting_periods_domain_month", table_name="reporting_periods")
    op.drop_table("reporting_periods")
