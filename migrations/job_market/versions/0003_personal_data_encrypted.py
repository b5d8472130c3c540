"""personal data encrypted at rest; placements without a visible job seeker

Revision ID: 0003_personal_data
Revises: 0002_audit
Create Date: 2026-12-01 12:00:00.000000

NIK and full name become AES-GCM ciphertext (shared.crypto), so the columns are text; rows
written before are encrypted here with the key ring of SINERGI_DATA_KEYS. A placement recorded
between regions (AKAD, AKAN) need not name a job seeker of the recording region.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from shared.crypto import encrypt_plaintext_rows

revision: str = "0003_personal_data"
down_revision: str | None = "0002_audit"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.alter_column("job_seekers", "nik", type_=sa.Text(), existing_nullable=False)
    op.alter_column("job_seekers", "full_name", type_=sa.Text(), existing_nullable=False)
    encrypt_plaintext_rows(
        op.get_bind(),
        table="job_seekers",
        key="id",
        purposes={"nik": "nik", "full_name": "full_name"},
    )
    op.alter_column("placements", "job_seeker_id", existing_type=sa.Uuid(), nullable=True)


def downgrade() -> None:
    # The personal data stays encrypted in text columns: clear text is never written back.
    op.alter_column("placements", "job_seeker_id", existing_type=sa.Uuid(), nullable=False)
