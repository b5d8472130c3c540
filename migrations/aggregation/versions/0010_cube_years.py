"""the cube a year to a row: a series' twelve monthly cells in one row of ``cube_years``

Revision ID: 0010_cube_years
Revises: 0009_flow_cells_per_level
Create Date: 2026-12-04 17:40:00.000000

``cube_cells`` kept one row per (measure, breakdown, area, month, dimension values). An answer
of a year reads twelve of them per series; at 10 million source records the catalogue's answer
for every regency read 80,000 rows from scattered pages. ``cube_years`` keeps the same cells a
year to a row: ``months[1]`` is January's cell, ``months[12]`` December's (0 where the old
table had none). The step moves every cell and drops the old table; the way back moves every
cell that is not 0 back.

The aggregation's consumers must not run an older version once this step has run (they would
write the old table): upgrade with the aggregation scaled to zero, as docs/OPERATIONS.md says.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0010_cube_years"
down_revision: str | None = "0009_flow_cells_per_level"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Exclusive against the consumers' batches, which take the cube's advisory lock shared
# (``aggregation.cube.maintain._LOCK``, "CUBE").
_LOCK = "SELECT pg_advisory_xact_lock(1129660997)"


def upgrade() -> None:
    op.execute(_LOCK)
    op.create_table(
        "cube_years",
        sa.Column("measure", sa.Text, nullable=False),
        sa.Column("grouping", sa.Text, nullable=False),
        sa.Column("area", sa.Text, nullable=False),
        sa.Column("year", sa.SmallInteger, nullable=False),
        sa.Column("dims", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("months", postgresql.ARRAY(sa.BigInteger), nullable=False),
        sa.PrimaryKeyConstraint("measure", "grouping", "area", "year", "dims"),
        sa.CheckConstraint("cardinality(months) = 12", name="cube_years_twelve_months"),
    )
    months = ", ".join(
        f"coalesce(sum(value) FILTER (WHERE extract(month FROM month) = {number}), 0)"
        for number in range(1, 13)
    )
    # ``months`` is this step's own text, not input.
    op.execute(
        f"""
        INSERT INTO cube_years (measure, grouping, area, year, dims, months)
        SELECT measure, grouping, area, extract(year FROM month)::smallint, dims,
               ARRAY[{months}]::bigint[]
        FROM cube_cells
        GROUP BY measure, grouping, area, extract(year FROM month), dims
        """  # noqa: S608
    )
    op.drop_table("cube_cells")


def downgrade() -> None:
    op.execute(_LOCK)
    op.create_table(
        "cube_cells",
        sa.Column("measure", sa.Text, nullable=False),
        sa.Column("grouping", sa.Text, nullable=False),
        sa.Column("area", sa.Text, nullable=False),
        sa.Column("month", sa.Date, nullable=False),
        sa.Column("dims", postgresql.ARRAY(sa.Text), nullable=False),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("measure", "grouping", "area", "month", "dims"),
    )
    op.execute(
        """
        INSERT INTO cube_cells (measure, grouping, area, month, dims, value)
        SELECT row.measure, row.grouping, row.area, make_date(row.year, cell.number::int, 1),
               row.dims, cell.value
        FROM cube_years AS row
        CROSS JOIN LATERAL unnest(row.months) WITH ORDINALITY AS cell (value, number)
        WHERE cell.value <> 0
        """
    )
    op.drop_table("cube_years")
