"""Rate-limit state shared by the gateway replicas (fixed and moving windows of ``limits``).

UNLOGGED: the counters are worthless after a crash, and no WAL is written per API request.

Revision ID: 0002
Revises: 0001
Create Date: 2026-01-20
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rate_limit_counters",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("hits", sa.BigInteger, nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        prefixes=["UNLOGGED"],
    )
    op.create_table(
        "rate_limit_entries",
        sa.Column("key", sa.Text, primary_key=True),
        sa.Column("entries", ARRAY(sa.DateTime(timezone=True)), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        prefixes=["UNLOGGED"],
    )


def downgrade() -> None:
    op.drop_table("rate_limit_entries")
    op.drop_table("rate_limit_counters")
