"""The industrial-relations database: its own SQLAlchemy registry, its outbox, audit trail and
reporting periods."""

from __future__ import annotations

from shared.audit import audit_table
from shared.events.industrial_relations import ReportingPeriodUpdatedV1
from shared.imports.table import import_tables
from shared.outbox import outbox_table
from shared.reporting import ReportingPeriods, reporting_periods_table
from sqlalchemy.orm import registry
from sqlmodel import SQLModel


class Base(SQLModel, registry=registry()):
    """Base of the industrial-relations tables (kept out of SQLModel's global metadata)."""


metadata = Base.metadata
outbox = outbox_table(metadata)
imports = import_tables(metadata)
# Reads of these are audited: a layoff report names its workers (NIK, name).
audit_log = audit_table(metadata, personal=("layoffs",))
# The months each region closed (or reopened) for this domain.
reporting = ReportingPeriods(
    table=reporting_periods_table(metadata),
    event=ReportingPeriodUpdatedV1,
    domain="industrial_relations",
)
