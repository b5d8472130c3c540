"""Inspection events (topic ``sinergi.inspection.v1``): companies, inspections, K3 accidents.

Each event carries the whole current state of the entity (event-carried state transfer), so a
correction is simply a newer snapshot. No event carries a NIK or a name: an accident's victims
are named by ``person_ref``, which links them to their social-security memberships.
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict

from shared.events.base import (
    EVENT_TYPE_PREFIX,
    IntegrationEvent,
    RecordWithdrawn,
    ReportingPeriodState,
)

TOPIC = "sinergi.inspection.v1"
SOURCE = "/sinergi/inspection"
_PREFIX = EVENT_TYPE_PREFIX + "inspection."

Norm = Literal["wages", "working_hours", "k3", "social_security", "child_labour", "other"]
FindingStatus = Literal["open", "notice_1", "notice_2", "resolved", "prosecuted"]
InspectionType = Literal["routine", "special", "k3_test"]
AccidentOutcome = Literal["recovered", "disability", "death"]


class _InspectionEvent(IntegrationEvent):
    topic: ClassVar[str] = TOPIC
    source: ClassVar[str] = SOURCE


class CompanyState(_InspectionEvent):
    """A company (workplace) as reported through WLKP, identified by its NIB."""

    nib: str
    region_code: str
    kbli_code: str
    workers_male: int
    workers_female: int


class CompanyRegisteredV1(CompanyState):
    """A company was registered with the labour inspectorate for the first time."""

    event_type: ClassVar[str] = _PREFIX + "company.registered.v1"


class CompanyUpdatedV1(CompanyState):
    """A company's record changed (a new WLKP report or a correction)."""

    event_type: ClassVar[str] = _PREFIX + "company.updated.v1"


class Finding(BaseModel):
    """One violation found, by labour norm, and how far enforcement has gone.

    ``status``: ``open``, ``notice_1`` / ``notice_2`` (nota pemeriksaan I and II),
    ``resolved``, or ``prosecuted`` (handed to the labour-inspector investigators, PPNS).
    """

    model_config = ConfigDict(frozen=True, extra="ignore")

    norm: Norm
    status: FindingStatus


class InspectionState(_InspectionEvent):
    """An inspection (pemeriksaan) of a company and the violations it found.

    ``type``: ``routine``, ``special`` (after a complaint or an accident) or ``k3_test``
    (pengujian K3 of equipment and installations). ``findings`` is empty when nothing was found.
    """

    company_nib: str
    region_code: str
    inspected_at: date
    type: InspectionType
    findings: list[Finding]


class InspectionRecordedV1(InspectionState):
    """A region recorded a new inspection."""

    event_type: ClassVar[str] = _PREFIX + "inspection.recorded.v1"


class InspectionUpdatedV1(InspectionState):
    """An inspection changed (typically a finding moving on, e.g. to ``resolved``)."""

    event_type: ClassVar[str] = _PREFIX + "inspection.updated.v1"


class AccidentVictim(BaseModel):
    """A victim of a workplace accident, without NIK or name."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    person_ref: str
    sex: Literal["M", "F"]
    birth_year: int


class AccidentState(_InspectionEvent):
    """A workplace accident (kecelakaan kerja) at a company and its victims.

    ``outcome`` (``recovered``, ``disability``, ``death``) holds for the accident as reported.
    """

    company_nib: str
    region_code: str
    occurred_at: date
    outcome: AccidentOutcome
    victims: list[AccidentVictim]


class AccidentReportedV1(AccidentState):
    """A region reported a new workplace accident."""

    event_type: ClassVar[str] = _PREFIX + "accident.reported.v1"


class AccidentUpdatedV1(AccidentState):
    """An accident's report changed (a correction, a new outcome or victims added)."""

    event_type: ClassVar[str] = _PREFIX + "accident.updated.v1"


class CompanyWithdrawnV1(_InspectionEvent, RecordWithdrawn):
    """A company record was withdrawn by its sender."""

    event_type: ClassVar[str] = _PREFIX + "company.withdrawn.v1"


class InspectionWithdrawnV1(_InspectionEvent, RecordWithdrawn):
    """An inspection was withdrawn by its sender."""

    event_type: ClassVar[str] = _PREFIX + "inspection.withdrawn.v1"


class AccidentWithdrawnV1(_InspectionEvent, RecordWithdrawn):
    """An accident report was withdrawn by its sender."""

    event_type: ClassVar[str] = _PREFIX + "accident.withdrawn.v1"


class ReportingPeriodUpdatedV1(_InspectionEvent, ReportingPeriodState):
    """A region closed (or reopened) a month of its inspection reporting."""

    event_type: ClassVar[str] = _PREFIX + "reporting_period.updated.v1"


EVENTS: tuple[type[IntegrationEvent], ...] = (
    ReportingPeriodUpdatedV1,
    CompanyRegisteredV1,
    CompanyUpdatedV1,
    InspectionRecordedV1,
    InspectionUpdatedV1,
    AccidentReportedV1,
    AccidentUpdatedV1,
    CompanyWithdrawnV1,
    InspectionWithdrawnV1,
    AccidentWithdrawnV1,
)
