"""The inspection database: its own SQLAlchemy registry, its outbox, audit trail and
reporting periods."""

from __future__ import annotations

from shared.audit import audit_table
from shared.events.inspection import ReportingPeriodUpdatedV1
from shared.imports.table import import_tables
from shared.outbox import outbox_table
from shared.reporting import ReportingPeriods, reporting_periods_table
from sqlalchemy.orm import registry
from sqlmodel import SQLModel


class Base(SQLModel, registry=registry()):
    """Base of the inspection tables (kept out of SQLModel's global metadata)."""


metadata = Base.metadata
outbox = outbox_table(metadata)
imports = import_tables(metadata)
# Reads of these are audited: an accident names its victims (NIK, name).
audit_log = audit_table(metadata, personal=("accidents",))
# The months each region closed (or reopened) for this domain.
reporting = ReportingPeriods(
    table=reporting_periods_table(metadata), event=ReportingPeriodUpdatedV1, domain="inspection"
)
