"""The job-market database: its own SQLAlchemy registry, its outbox, audit trail and
reporting periods."""

from __future__ import annotations

from shared.audit import audit_table
from shared.events.job_market import ReportingPeriodUpdatedV1
from shared.imports.table import import_tables
from shared.outbox import outbox_table
from shared.reporting import ReportingPeriods, reporting_periods_table
from sqlalchemy.orm import registry
from sqlmodel import SQLModel


class Base(SQLModel, registry=registry()):
    """Base of the job-market tables (kept out of SQLModel's global metadata)."""


metadata = Base.metadata
outbox = outbox_table(metadata)
imports = import_tables(metadata)
# Reads of these are audited: a job seeker and a program beneficiary name a person, a
# placement links to one.
audit_log = audit_table(metadata, personal=("job_seekers", "placements", "program_beneficiaries"))
# The months each region closed (or reopened) for this domain.
reporting = ReportingPeriods(
    table=reporting_periods_table(metadata), event=ReportingPeriodUpdatedV1, domain="job_market"
)
