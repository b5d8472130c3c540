"""the indicator cube: cells per measure, breakdown, area and month; the links it reads

Revision ID: 0005_indicator_cube
Revises: 0004_withdrawals
Create Date: 2026-12-03 09:40:00.000000

A database that already holds projections is marked ``built = false``: the service builds the
cube from them when it starts (``aggregation.cube.maintain.ensure_built``).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005_indicator_cube"
down_revision: str | None = "0004_withdrawals"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LINKS = (
    ("placements", "covered_within_30_days"),
    ("enrollments", "placed_within_6_months"),
    ("accident_victims", "has_jkk"),
)
_PROJECTIONS = (
    "job_seekers",
    "vacancies",
    "placements",
    "enrollments",
    "inspections",
    "accidents",
    "memberships",
    "claims",
)


def upgrade() -> None:
    for table, column in _LINKS:
        op.add_column(
            table, sa.Column(column, sa.Boolean(), nullable=False, server_default=sa.false())
        )
    op.create_table(
        "cube_cells",
        sa.Column("measure", sa.Text(), nullable=False),
        sa.Column("grouping", sa.Text(), nullable=False),
        sa.Column("area", sa.Text(), nullable=False),
        sa.Column("month", sa.Date(), nullable=False),
        sa.Column("dims", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("measure", "grouping", "area", "month", "dims"),
    )
    op.create_table(
        "cube_state",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.DateTime(timezone=True), nullable=True),
        sa.Column("built", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.PrimaryKeyConstraint("id"),
    )
    empty = sa.and_(
        *(~sa.exists(sa.select(sa.literal(1)).select_from(sa.table(t))) for t in _PROJECTIONS)
    )
    state = sa.table("cube_state", sa.column("id"), sa.column("as_of"), sa.column("built"))
    op.execute(
        state.insert().from_select(
            ["id", "as_of", "built"], sa.select(sa.literal(1), sa.null(), empty)
        )
    )


def downgrade() -> None:
    op.drop_table("cube_state")
    op.drop_table("cube_cells")
    for table, column in _LINKS:
        op.drop_column(table, column)
