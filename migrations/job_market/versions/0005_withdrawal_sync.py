"""withdrawn records and the listings' sync order

Revision ID: 0005_withdrawal_sync
Revises: 0004_imports
Create Date: 2026-12-03 06:00:00.000000

Every record table gains ``withdrawn_at`` (a record its sender withdrew) and an index on
(``updated_at``, ``id``), the order of the listings' cursor pagination.
"""

from collections.abc import Sequence

from shared.migrate import add_withdrawal_and_sync, drop_withdrawal_and_sync

revision: str = "0005_withdrawal_sync"
down_revision: str | None = "0004_imports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ["job_seekers", "vacancies", "placements"]


def upgrade() -> None:
    add_withdrawal_and_sync(TABLES)


def downgrade() -> None:
    drop_withdrawal_and_sync(TABLES)
