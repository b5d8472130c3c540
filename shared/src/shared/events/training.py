"""Training events (topic ``sinergi.training.v1``).

Training programs (pelatihan kerja) run by BPVP/BLK, LPK or companies, and the enrolments of
participants with their completion and BNSP certification. Each event carries the whole current
state of the entity, so a correction is simply a newer snapshot. No event carries a NIK or a
name: ``person_ref`` links the participant across domains (e.g. to a later placement).
"""

from __future__ import annotations

from datetime import date
from typing import ClassVar, Literal

from shared.events.base import (
    EVENT_TYPE_PREFIX,
    IntegrationEvent,
    RecordWithdrawn,
    ReportingPeriodState,
)

TOPIC = "sinergi.training.v1"
SOURCE = "/sinergi/training"
_PREFIX = EVENT_TYPE_PREFIX + "training."


class _TrainingEvent(IntegrationEvent):
    topic: ClassVar[str] = TOPIC
    source: ClassVar[str] = SOURCE


class ProgramState(_TrainingEvent):
    """A training program held in a region.

    ``provider_type``: BPVP (Balai Pelatihan Vokasi dan Produktivitas, the ministry's own),
    BLK (Balai Latihan Kerja of a regional government), LPK (Lembaga Pelatihan Kerja, private),
    COMPANY (in-house), OTHER. ``vocational_field`` is the kejuruan (e.g. "Teknik Las").
    """

    region_code: str
    provider_type: Literal["BPVP", "BLK", "LPK", "COMPANY", "OTHER"]
    vocational_field: str
    start_date: date
    end_date: date
    capacity: int


class ProgramCreatedV1(ProgramState):
    """A region registered a new training program."""

    event_type: ClassVar[str] = _PREFIX + "program.created.v1"


class ProgramUpdatedV1(ProgramState):
    """A training program changed (a correction of its dates, region, capacity, ...)."""

    event_type: ClassVar[str] = _PREFIX + "program.updated.v1"


class EnrollmentState(_TrainingEvent):
    """A participant's enrolment in a training program.

    ``region_code`` is the program's region. ``completed_at`` is set exactly when ``status``
    is ``completed``; ``certified`` (BNSP certificate of competence obtained) only then.
    """

    program_id: str
    region_code: str
    person_ref: str
    sex: Literal["M", "F"]
    birth_year: int
    enrolled_at: date
    status: Literal["registered", "completed", "dropped_out"]
    completed_at: date | None
    certified: bool


class EnrollmentRecordedV1(EnrollmentState):
    """A region recorded a new enrolment."""

    event_type: ClassVar[str] = _PREFIX + "enrollment.recorded.v1"


class EnrollmentUpdatedV1(EnrollmentState):
    """An enrolment changed (completion, drop-out, certification or a correction)."""

    event_type: ClassVar[str] = _PREFIX + "enrollment.updated.v1"


class ProgramWithdrawnV1(_TrainingEvent, RecordWithdrawn):
    """A training program was withdrawn by its sender."""

    event_type: ClassVar[str] = _PREFIX + "program.withdrawn.v1"


class EnrollmentWithdrawnV1(_TrainingEvent, RecordWithdrawn):
    """An enrolment was withdrawn by its sender."""

    event_type: ClassVar[str] = _PREFIX + "enrollment.withdrawn.v1"


class ReportingPeriodUpdatedV1(_TrainingEvent, ReportingPeriodState):
    """A region closed (or reopened) a month of its training reporting."""

    event_type: ClassVar[str] = _PREFIX + "reporting_period.updated.v1"


EVENTS: tuple[type[IntegrationEvent], ...] = (
    ReportingPeriodUpdatedV1,
    ProgramCreatedV1,
    ProgramUpdatedV1,
    EnrollmentRecordedV1,
    EnrollmentUpdatedV1,
    ProgramWithdrawnV1,
    EnrollmentWithdrawnV1,
)
