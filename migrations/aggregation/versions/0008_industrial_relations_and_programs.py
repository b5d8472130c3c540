"""industrial relations and employment programs: their projections, and person indexes

Revision ID: 0008_industrial_relations
Revises: 0007_dead_letters
Create Date: 2026-12-04 02:00:00.000000

Layoffs (with their workers), disputes, agreements and unions of the industrial-relations
service; employment-expansion programs and their beneficiaries of the job-market service. Job
seekers and claims gain a ``person_ref`` index: the layoff links look people up by it. The new
projections start empty (their topics are replayed into them), so the cube needs no rebuild.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008_industrial_relations"
down_revision: str | None = "0007_dead_letters"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _record() -> list[sa.Column[object]]:
    return [
        sa.Column("id", sa.Uuid, primary_key=True),
        sa.Column("revision", sa.BigInteger, nullable=False),
    ]


def _updated_at() -> sa.Column[object]:
    return sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


def _link(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.Boolean, nullable=False, server_default=sa.false())


def upgrade() -> None:
    op.create_table(
        "layoffs",
        *_record(),
        sa.Column("employer_nib", sa.Text, nullable=False),
        sa.Column("region_code", sa.Text, nullable=False),
        sa.Column("reported_at", sa.Date, nullable=False),
        sa.Column("effective_at", sa.Date, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        _updated_at(),
    )
    op.create_index("ix_layoffs_region_effective", "layoffs", ["region_code", "effective_at"])
    op.create_index("ix_layoffs_effective", "layoffs", ["effective_at"])
    op.create_table(
        "layoff_workers",
        sa.Column(
            "layoff_id",
            sa.Uuid,
            sa.ForeignKey("layoffs.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("person_ref", sa.Text, nullable=False),
        sa.Column("sex", sa.Text, nullable=False),
        sa.Column("birth_year", sa.Integer, nullable=False),
        _link("registered_within_3_months"),
        _link("jkp_claim_within_6_months"),
        _link("reemployed_within_6_months"),
    )
    op.create_index("ix_layoff_workers_person", "layoff_workers", ["person_ref"])
    op.create_table(
        "disputes",
        *_record(),
        sa.Column("employer_nib", sa.Text, nullable=False),
        sa.Column("region_code", sa.Text, nullable=False),
        sa.Column("registered_at", sa.Date, nullable=False),
        sa.Column("type", sa.Text, nullable=False),
        sa.Column("stage", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("settled_at", sa.Date),
        sa.Column("settlement", sa.Text),
        sa.Column("workers_involved", sa.Integer, nullable=False),
        _updated_at(),
    )
    op.create_index("ix_disputes_region_registered", "disputes", ["region_code", "registered_at"])
    op.create_index("ix_disputes_registered", "disputes", ["registered_at"])
    op.create_table(
        "agreements",
        *_record(),
        sa.Column("employer_nib", sa.Text, nullable=False),
        sa.Column("region_code", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("registered_at", sa.Date, nullable=False),
        sa.Column("valid_from", sa.Date, nullable=False),
        sa.Column("valid_until", sa.Date, nullable=False),
        sa.Column("workers_covered", sa.Integer, nullable=False),
        _updated_at(),
    )
    op.create_index("ix_agreements_region_valid", "agreements", ["region_code", "valid_from"])
    op.create_table(
        "unions",
        *_record(),
        sa.Column("region_code", sa.Text, nullable=False),
        sa.Column("registered_at", sa.Date, nullable=False),
        sa.Column("members", sa.Integer, nullable=False),
        _updated_at(),
    )
    op.create_index("ix_unions_region_registered", "unions", ["region_code", "registered_at"])
    op.create_table(
        "employment_programs",
        *_record(),
        sa.Column("region_code", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("start_date", sa.Date, nullable=False),
        sa.Column("end_date", sa.Date, nullable=False),
        sa.Column("budget_idr", sa.BigInteger, nullable=False),
        _updated_at(),
    )
    op.create_index(
        "ix_employment_programs_region_start", "employment_programs", ["region_code", "start_date"]
    )
    op.create_table(
        "program_beneficiaries",
        *_record(),
        sa.Column("program_id", sa.Text, nullable=False),
        sa.Column("region_code", sa.Text, nullable=False),
        sa.Column("program_kind", sa.Text, nullable=False),
        sa.Column("person_ref", sa.Text, nullable=False),
        sa.Column("sex", sa.Text, nullable=False),
        sa.Column("birth_year", sa.Integer, nullable=False),
        sa.Column("joined_at", sa.Date, nullable=False),
        _link("registered_job_seeker"),
        _updated_at(),
    )
    op.create_index(
        "ix_program_beneficiaries_region_joined",
        "program_beneficiaries",
        ["region_code", "joined_at"],
    )
    op.create_index("ix_program_beneficiaries_joined", "program_beneficiaries", ["joined_at"])
    op.create_index("ix_program_beneficiaries_person", "program_beneficiaries", ["person_ref"])
    op.create_index(
        "ix_job_seekers_person_registered", "job_seekers", ["person_ref", "registered_at"]
    )
    op.create_index("ix_claims_person_claimed", "claims", ["person_ref", "claimed_at"])


def downgrade() -> None:
    op.drop_index("ix_claims_person_claimed", table_name="claims")
    op.drop_index("ix_job_seekers_person_registered", table_name="job_seekers")
    for table in (
        "program_beneficiaries",
        "employment_programs",
        "unions",
        "agreements",
        "disputes",
        "layoff_workers",
        "layoffs",
    ):
        op.drop_table(table)
