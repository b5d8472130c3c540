"""flow cells per area level: a flow's cells for provinces and the nation, beside its regencies'

Revision ID: 0009_flow_cells_per_level
Revises: 0008_industrial_relations
Create Date: 2026-12-04 08:50:00.000000

The cube kept a flow's cells per regency only, and summed them into a province or the nation
at every read: the nation's value read 514 regencies' cells. Every measure now keeps cells for
every level (``aggregation.cube.cells``), as the stocks already did; this step adds, for every
flow, its province and nation cells as the sums of its regency cells. A flow is told by its
cells: a stock already has nation cells (``ID``), a flow had none.

The aggregation's consumers must not run an older version once this step has run (they would
add regency cells only): upgrade with the aggregation scaled to zero, as docs/OPERATIONS.md
says for this release.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009_flow_cells_per_level"
down_revision: str | None = "0008_industrial_relations"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Exclusive against the consumers' batches, which take the cube's advisory lock shared
    # (``aggregation.cube.maintain._LOCK``, "CUBE").
    op.execute("SELECT pg_advisory_xact_lock(1129660997)")
    op.execute(
        """
        INSERT INTO cube_cells (measure, grouping, area, month, dims, value)
        SELECT cell.measure, cell.grouping, level.area, cell.month, cell.dims, sum(cell.value)
        FROM cube_cells AS cell
        CROSS JOIN LATERAL (VALUES (split_part(cell.area, '.', 1)), ('ID')) AS level (area)
        WHERE cell.area ~ '^[0-9]{2}\\.[0-9]{2}$'
          AND cell.measure NOT IN (SELECT DISTINCT measure FROM cube_cells WHERE area = 'ID')
        GROUP BY cell.measure, cell.grouping, level.area, cell.month, cell.dims
        HAVING sum(cell.value) <> 0
        """
    )


def downgrade() -> None:
    # Which measures are flows cannot be told from the cells any more: the older version
    # builds its cube again from the projections when it starts (``ensure_built``).
    op.execute("UPDATE cube_state SET built = false WHERE id = 1")
