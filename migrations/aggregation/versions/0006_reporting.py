"""reporting: the months regions closed per domain, and the months they sent records for

Revision ID: 0006_reporting
Revises: 0005_indicator_cube
Create Date: 2026-12-03 09:40:00.000000

``reported`` is filled from the projections as they stand (a record dated in a month of a
region counts as that region reporting the record's domain for the month).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import insert

revision: str = "0006_reporting"
down_revision: str | None = "0005_indicator_cube"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# (projection, its domain, the date that places a record in a month)
_SOURCES = (
    ("job_seekers", "job_market", "registered_at"),
    ("vacancies", "job_market", "posted_at"),
    ("placements", "job_market", "placed_at"),
    ("programs", "training", "start_date"),
    ("enrollments", "training", "enrolled_at"),
    ("companies", "inspection", None),
    ("inspections", "inspection", "inspected_at"),
    ("accidents", "inspection", "occurred_at"),
    ("memberships", "social_security", "started_at"),
    ("claims", "social_security", "claimed_at"),
)


_REPORTED = sa.table("reported", sa.column("domain"), sa.column("region_code"), sa.column("month"))


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
    for table, domain, day in _SOURCES:
        if day is None:
            continue
        source = sa.table(table, sa.column("region_code"), sa.column(day))
        month = sa.cast(sa.func.date_trunc("month", source.c[day]), sa.Date)
        op.execute(
            insert(_REPORTED)
            .from_select(
                ["domain", "region_code", "month"],
                sa.select(sa.literal(domain), source.c.region_code, month).distinct(),
            )
            .on_conflict_do_nothing()
        )


def downgrade() -> None:
    op.drop_table("reported")
    op.drop_index("ix_reporting_periods_domain_month", table_name="reporting_periods")
    op.drop_table("reporting_periods")
