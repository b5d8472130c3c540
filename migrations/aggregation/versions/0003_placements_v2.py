"""placement events v2: a placement may name no job seeker of the recording client

Revision ID: 0003_placements_v2
Revises: 0002
Create Date: 2026-12-01 12:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_placements_v2"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("placements", "job_seeker_id", existing_type=sa.Text(), nullable=True)


def downgrade() -> None:
    op.alter_column("placements", "job_seeker_id", existing_type=sa.Text(), nullable=False)
