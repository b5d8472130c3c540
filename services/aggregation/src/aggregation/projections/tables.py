"""The aggregation database's tables: the projections and the consumer's inbox.

Each projection holds the latest snapshot of one entity as the events carried it, keyed by the
entity id, with the snapshot's ``revision`` so that a stale or replayed snapshot never overwrites
a newer one. Only fields that indicators need (now or soon) are kept; no personal data beyond
the ``person_ref`` pseudonym that links one person across domains.

Indexes: ``(region_code, <date>)`` serves regency and province queries (a list of regencies and
a date range); the date-only index serves national queries, which filter on the date alone.
"""

from __future__ import annotations

import sqlalchemy as sa
from shared.inbox import inbox_table

# The service's own metadata: the migrations environment sees these tables and no others.
metadata = sa.MetaData()


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
    sa.Column("job_seeker_id", sa.Text, nullable=False),
    sa.Column("vacancy_id", sa.Text),
    sa.Column("employer_nib", sa.Text, nullable=False),
    sa.Column("placed_at", sa.Date, nullable=False),
    sa.Column("mechanism", sa.Text, nullable=False),
    _updated_at(),
    sa.Index("ix_placements_region_placed", "region_code", "placed_at"),
    sa.Index("ix_placements_placed", "placed_at"),
)

inbox = inbox_table(metadata)

# Tables emptied by a rebuild: everything derived from the event streams.
PROJECTIONS: tuple[sa.Table, ...] = (job_seekers, vacancies, placements)
