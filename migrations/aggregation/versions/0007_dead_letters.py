"""dead letters: find the inbox's dead-lettered events without scanning it

Revision ID: 0007_dead_letters
Revises: 0006_reporting
Create Date: 2026-12-04 00:50:00.000000

The consumer marks an event it set aside on its topic's DLQ ``dead_lettered`` in the inbox;
``python -m aggregation.dlq`` replays those, and the DLQ-depth metric counts them.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_dead_letters"
down_revision: str | None = "0006_reporting"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_inbox_dead_lettered",
        "inbox",
        ["topic"],
        postgresql_where=sa.text("status = 'dead_lettered'"),
    )


def downgrade() -> None:
    op.drop_index("ix_inbox_dead_lettered", table_name="inbox")
