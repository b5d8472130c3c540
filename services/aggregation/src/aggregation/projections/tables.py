"""The aggregation database's tables: the projections and the consumer's inbox.

Each projection holds the latest snapshot of one entity as the events carried it, keyed by the
entity id, with the snapshot's ``revision`` so that a stale or replayed snapshot never overwrites
a newer one. Only fields that indicators need (now or soon) are kept; no personal data beyond
the ``person_ref`` pseudonym that links one person across domains.

Indexes: ``(region_code, <date>)`` serves regency and province queries (a list of regencies and
a date range); the date-only index serves national queries, which filter on the date alone;
``person_ref`` indexes serve the indicators that link one person's records across domains.

A snapshot with a list inside (an inspection's findings, an accident's victims) is kept as a
parent row plus child rows; a newer snapshot replaces the child rows as a whole.
"""

from __future__ import annotations

import sqlalchemy as sa
from shared.inbox import inbox_table
from sqlalchemy.dialects import postgresql

# The service's own metadata: the migrations environment sees these tables and no others.
metadata = sa.MetaData()


def _link(name: str) -> sa.Column[bool]:
    """A yes/no the aggregation derives from another domain's rows of the same person."""
    return sa.Column(name, sa.Boolean, nullable=False, server_default=sa.false())


LINK_COLUMNS = frozenset(
    {
        "covered_within_30_days",
        "placed_within_6_months",
        "has_jkk",
        "registered_within_3_months",
        "jkp_claim_within_6_months",
        "reemployed_within_6_months",
        "registered_job_seeker",
    }
)
"""Columns the aggregation keeps itself (``cube.links``): no snapshot carries them."""


def _updated_at() -> sa.Column[object]:
    return sa.Column(
        "updated_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.now()
    )


job_seekers = sa.Table(
    "job_seekers",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("region_code", sa.Text, nullable=False),
    sa.Column("person_ref", sa.Text, nullable=False),
    sa.Column("sex", sa.Text, nullable=False),
    sa.Column("birth_year", sa.Integer, nullable=False),
    sa.Column("education_level", sa.Text, nullable=False),
    sa.Column("disability", sa.Boolean, nullable=False),
    sa.Column("registered_at", sa.Date, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    _updated_at(),
    sa.Index("ix_job_seekers_region_registered", "region_code", "registered_at"),
    sa.Index("ix_job_seekers_registered", "registered_at"),
    sa.Index("ix_job_seekers_person_registered", "person_ref", "registered_at"),
)

vacancies = sa.Table(
    "vacancies",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("region_code", sa.Text, nullable=False),
    sa.Column("employer_nib", sa.Text, nullable=False),
    sa.Column("kbli_code", sa.Text, nullable=False),
    sa.Column("occupation_code", sa.Text, nullable=False),
    sa.Column("positions", sa.Integer, nullable=False),
    sa.Column("posted_at", sa.Date, nullable=False),
    sa.Column("closes_at", sa.Date),
    sa.Column("min_education", sa.Text),
    sa.Column("status", sa.Text, nullable=False),
    _updated_at(),
    sa.Index("ix_vacancies_region_posted", "region_code", "posted_at"),
    sa.Index("ix_vacancies_posted", "posted_at"),
)

placements = sa.Table(
    "placements",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("region_code", sa.Text, nullable=False),
    sa.Column("person_ref", sa.Text, nullable=False),
    sa.Column("job_seeker_id", sa.Text),
    sa.Column("vacancy_id", sa.Text),
    sa.Column("employer_nib", sa.Text, nullable=False),
    sa.Column("placed_at", sa.Date, nullable=False),
    sa.Column("mechanism", sa.Text, nullable=False),
    _updated_at(),
    # Kept by the aggregation (``cube.links``), not sent by the event.
    _link("covered_within_30_days"),
    sa.Index("ix_placements_region_placed", "region_code", "placed_at"),
    sa.Index("ix_placements_placed", "placed_at"),
    sa.Index("ix_placements_person_placed", "person_ref", "placed_at"),
)

# Training (pelatihan kerja).

programs = sa.Table(
    "programs",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("region_code", sa.Text, nullable=False),
    sa.Column("provider_type", sa.Text, nullable=False),
    sa.Column("vocational_field", sa.Text, nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=False),
    sa.Column("capacity", sa.Integer, nullable=False),
    _updated_at(),
)

# ``region_code`` is the program's region: the training service republishes every enrolment
# of a program whose region is corrected, so no join with ``programs`` is needed.
enrollments = sa.Table(
    "enrollments",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("program_id", sa.Text, nullable=False),
    sa.Column("region_code", sa.Text, nullable=False),
    sa.Column("person_ref", sa.Text, nullable=False),
    sa.Column("sex", sa.Text, nullable=False),
    sa.Column("birth_year", sa.Integer, nullable=False),
    sa.Column("enrolled_at", sa.Date, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("completed_at", sa.Date),
    sa.Column("certified", sa.Boolean, nullable=False),
    _updated_at(),
    _link("placed_within_6_months"),
    sa.Index("ix_enrollments_region_enrolled", "region_code", "enrolled_at"),
    sa.Index("ix_enrollments_enrolled", "enrolled_at"),
    sa.Index("ix_enrollments_region_completed", "region_code", "completed_at"),
    sa.Index("ix_enrollments_completed", "completed_at"),
    sa.Index("ix_enrollments_person_completed", "person_ref", "completed_at"),
)

# Inspection (pengawasan ketenagakerjaan) and K3 accidents.

companies = sa.Table(
    "companies",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("nib", sa.Text, nullable=False),
    sa.Column("region_code", sa.Text, nullable=False),
    sa.Column("kbli_code", sa.Text, nullable=False),
    sa.Column("workers_male", sa.Integer, nullable=False),
    sa.Column("workers_female", sa.Integer, nullable=False),
    _updated_at(),
)

inspections = sa.Table(
    "inspections",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("company_nib", sa.Text, nullable=False),
    sa.Column("region_code", sa.Text, nullable=False),
    sa.Column("inspected_at", sa.Date, nullable=False),
    sa.Column("type", sa.Text, nullable=False),
    _updated_at(),
    sa.Index("ix_inspections_region_inspected", "region_code", "inspected_at"),
    sa.Index("ix_inspections_inspected", "inspected_at"),
)

# One row per finding of the inspection's current snapshot, in the snapshot's order.
inspection_findings = sa.Table(
    "inspection_findings",
    metadata,
    sa.Column(
        "inspection_id",
        sa.Uuid,
        sa.ForeignKey("inspections.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("norm", sa.Text, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
)

accidents = sa.Table(
    "accidents",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("company_nib", sa.Text, nullable=False),
    sa.Column("region_code", sa.Text, nullable=False),
    sa.Column("occurred_at", sa.Date, nullable=False),
    sa.Column("outcome", sa.Text, nullable=False),
    _updated_at(),
    sa.Index("ix_accidents_region_occurred", "region_code", "occurred_at"),
    sa.Index("ix_accidents_occurred", "occurred_at"),
)

# One row per victim of the accident's current snapshot, in the snapshot's order.
accident_victims = sa.Table(
    "accident_victims",
    metadata,
    sa.Column(
        "accident_id",
        sa.Uuid,
        sa.ForeignKey("accidents.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("person_ref", sa.Text, nullable=False),
    sa.Column("sex", sa.Text, nullable=False),
    sa.Column("birth_year", sa.Integer, nullable=False),
    _link("has_jkk"),
    sa.Index("ix_accident_victims_person", "person_ref"),
)

# Social security (BPJS Ketenagakerjaan).

# A membership covers the days ``started_at <= day < ended_at`` (``ended_at`` NULL = open).
memberships = sa.Table(
    "memberships",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("person_ref", sa.Text, nullable=False),
    sa.Column("employer_nib", sa.Text, nullable=False),
    sa.Column("region_code", sa.Text, nullable=False),
    sa.Column("sex", sa.Text, nullable=False),
    sa.Column("birth_year", sa.Integer, nullable=False),
    sa.Column("programs", postgresql.ARRAY(sa.Text), nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("started_at", sa.Date, nullable=False),
    sa.Column("ended_at", sa.Date),
    _updated_at(),
    sa.Index("ix_memberships_region_started", "region_code", "started_at"),
    sa.Index("ix_memberships_started", "started_at"),
    sa.Index("ix_memberships_person_started", "person_ref", "started_at"),
)

claims = sa.Table(
    "claims",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("membership_id", sa.Text, nullable=False),
    sa.Column("person_ref", sa.Text, nullable=False),
    sa.Column("region_code", sa.Text, nullable=False),
    sa.Column("program", sa.Text, nullable=False),
    sa.Column("claimed_at", sa.Date, nullable=False),
    sa.Column("amount_idr", sa.BigInteger, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    _updated_at(),
    sa.Index("ix_claims_region_claimed", "region_code", "claimed_at"),
    sa.Index("ix_claims_claimed", "claimed_at"),
    sa.Index("ix_claims_person_claimed", "person_ref", "claimed_at"),
)

# Industrial relations (hubungan industrial).

# A layoff report (laporan PHK); its workers are child rows.
layoffs = sa.Table(
    "layoffs",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("employer_nib", sa.Text, nullable=False),
    sa.Column("region_code", sa.Text, nullable=False),
    sa.Column("reported_at", sa.Date, nullable=False),
    sa.Column("effective_at", sa.Date, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    _updated_at(),
    sa.Index("ix_layoffs_region_effective", "region_code", "effective_at"),
    sa.Index("ix_layoffs_effective", "effective_at"),
)

# One row per worker of the layoff's current snapshot, in the snapshot's order, with what
# happened to the person next (``cube.links``).
layoff_workers = sa.Table(
    "layoff_workers",
    metadata,
    sa.Column(
        "layoff_id", sa.Uuid, sa.ForeignKey("layoffs.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("person_ref", sa.Text, nullable=False),
    sa.Column("sex", sa.Text, nullable=False),
    sa.Column("birth_year", sa.Integer, nullable=False),
    _link("registered_within_3_months"),
    _link("jkp_claim_within_6_months"),
    _link("reemployed_within_6_months"),
    sa.Index("ix_layoff_workers_person", "person_ref"),
)

disputes = sa.Table(
    "disputes",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
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
    sa.Index("ix_disputes_region_registered", "region_code", "registered_at"),
    sa.Index("ix_disputes_registered", "registered_at"),
)

# A registered collective agreement (PKB) or company regulation (PP), valid from
# ``valid_from`` to ``valid_until``, both inclusive.
agreements = sa.Table(
    "agreements",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("employer_nib", sa.Text, nullable=False),
    sa.Column("region_code", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("registered_at", sa.Date, nullable=False),
    sa.Column("valid_from", sa.Date, nullable=False),
    sa.Column("valid_until", sa.Date, nullable=False),
    sa.Column("workers_covered", sa.Integer, nullable=False),
    _updated_at(),
    sa.Index("ix_agreements_region_valid", "region_code", "valid_from"),
)

unions = sa.Table(
    "unions",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("region_code", sa.Text, nullable=False),
    sa.Column("registered_at", sa.Date, nullable=False),
    sa.Column("members", sa.Integer, nullable=False),
    _updated_at(),
    sa.Index("ix_unions_region_registered", "region_code", "registered_at"),
)

# Employment-expansion programs (perluasan kesempatan kerja) of the job-market service.
employment_programs = sa.Table(
    "employment_programs",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("region_code", sa.Text, nullable=False),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("start_date", sa.Date, nullable=False),
    sa.Column("end_date", sa.Date, nullable=False),
    sa.Column("budget_idr", sa.BigInteger, nullable=False),
    _updated_at(),
    sa.Index("ix_employment_programs_region_start", "region_code", "start_date"),
)

program_beneficiaries = sa.Table(
    "program_beneficiaries",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("program_id", sa.Text, nullable=False),
    sa.Column("region_code", sa.Text, nullable=False),
    sa.Column("program_kind", sa.Text, nullable=False),
    sa.Column("person_ref", sa.Text, nullable=False),
    sa.Column("sex", sa.Text, nullable=False),
    sa.Column("birth_year", sa.Integer, nullable=False),
    sa.Column("joined_at", sa.Date, nullable=False),
    _link("registered_job_seeker"),
    _updated_at(),
    sa.Index("ix_program_beneficiaries_region_joined", "region_code", "joined_at"),
    sa.Index("ix_program_beneficiaries_joined", "joined_at"),
    sa.Index("ix_program_beneficiaries_person", "person_ref"),
)

inbox = inbox_table(metadata)

# Tables emptied by a rebuild: everything derived from the event streams.
PROJECTIONS: tuple[sa.Table, ...] = (
    job_seekers,
    vacancies,
    placements,
    programs,
    enrollments,
    companies,
    inspections,
    inspection_findings,
    accidents,
    accident_victims,
    memberships,
    claims,
    layoffs,
    layoff_workers,
    disputes,
    agreements,
    unions,
    employment_programs,
    program_beneficiaries,
)

# Records their senders withdrew, with the withdrawal's revision: the entity's projection row
# is gone, and no snapshot up to that revision (a replay, a late delivery) brings it back; a
# newer one (the record sent again) does.
withdrawals = sa.Table(
    "withdrawals",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
)

# The indicator cube (``aggregation.cube``): per measure, breakdown, area and year, the value
# of each month (for a distinct-person stock, the change of the stock in that month): twelve
# cells in a row, January first. A year of a series is one row to read, decode and update, not
# twelve (an answer reads thousands of series).
MONTHS_IN_A_ROW = 12
cube_years = sa.Table(
    "cube_years",
    metadata,
    sa.Column("measure", sa.Text, primary_key=True),
    sa.Column("grouping", sa.Text, primary_key=True),
    sa.Column("area", sa.Text, primary_key=True),
    sa.Column("year", sa.SmallInteger, primary_key=True),
    sa.Column("dims", postgresql.ARRAY(sa.Text), primary_key=True),
    sa.Column("months", postgresql.ARRAY(sa.BigInteger), nullable=False),
    sa.CheckConstraint(f"cardinality(months) = {MONTHS_IN_A_ROW}", name="cube_years_twelve_months"),
)

# One row: when the newest event the cube reflects happened (the answers' ``as_of``), and
# whether the cube has been built from the projections that existed before it.
cube_state = sa.Table(
    "cube_state",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("as_of", sa.DateTime(timezone=True)),
    sa.Column("built", sa.Boolean, nullable=False, server_default=sa.true()),
)

# Reporting: which months each region closed per domain (``reporting_period.updated.v1``;
# ``completed_at`` NULL: reopened), and which months it sent records of each domain for (a
# record dated in that month, kept by the cube's maintenance, ``reported``: for the regency,
# and for its province and the nation). Together they tell a region that did not report from
# one with nothing to count.
reporting_periods = sa.Table(
    "reporting_periods",
    metadata,
    sa.Column("id", sa.Uuid, primary_key=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("domain", sa.Text, nullable=False),
    sa.Column("region_code", sa.Text, nullable=False),
    sa.Column("month", sa.Date, nullable=False),
    sa.Column("completed_at", sa.DateTime(timezone=True)),
    _updated_at(),
    sa.Index("ix_reporting_periods_domain_month", "domain", "month"),
)

reported = sa.Table(
    "reported",
    metadata,
    sa.Column("domain", sa.Text, primary_key=True),
    sa.Column("region_code", sa.Text, primary_key=True),
    sa.Column("month", sa.Date, primary_key=True),
)
