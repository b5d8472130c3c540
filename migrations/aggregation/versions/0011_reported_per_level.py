"""months reported per level: a record's (domain, month) marked for its province and the nation

Revision ID: 0011_reported_per_level
Revises: 0010_cube_years
Create Date: 2026-12-04 17:40:00.000000

``reported`` kept the months each regency sent records of each domain for, and an answer for
a province or the nation gathered its regencies' marks at every read (the nation's: 514
regencies' months). The cube's maintenance now marks the province and the nation beside the
regency (``aggregation.cube.maintain._mark``); this step adds those marks to the regency
marks already kept. The way back removes them.

As with 0010, upgrade with the aggregation scaled to zero (docs/OPERATIONS.md): an older
consumer would mark regencies only.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011_reported_per_level"
down_revision: str | None = "0010_cube_years"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_REGENCY = "'^[0-9]{2}\\.[0-9]{2}$'"


def upgrade() -> None:
    # Exclusive against the consumers' batches, which take the cube's advisory lock shared.
    op.execute("SELECT pg_advisory_xact_lock(1129660997)")
    op.execute(
        f"""
        INSERT INTO reported (domain, region_code, month)
        SELECT DISTINCT mark.domain, level.area, mark.month
        FROM reported AS mark
        CROSS JOIN LATERAL (VALUES (split_part(mark.region_code, '.', 1)), ('ID')) AS level (area)
        WHERE mark.region_code ~ {_REGENCY}
        ON CONFLICT DO NOTHING
        """  # noqa: S608 (the pattern is this step's own text)
    )


def downgrade() -> None:
    op.execute(f"DELETE FROM reported WHERE region_code !~ {_REGENCY}")  # noqa: S608
