"""Job-market events (topic ``sinergi.job-market.v1``).

Each event carries the whole current state of the entity (event-carried state transfer), so a
correction is simply a newer snapshot. No event carries a NIK or a name: ``person_ref`` links
the person across domains.
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

TOPIC = "sinergi.job-market.v1"
SOURCE = "/sinergi/job-market"
_PREFIX = EVENT_TYPE_PREFIX + "job_market."


class _JobMarketEvent(IntegrationEvent):
    topic: ClassVar[str] = TOPIC
    source: ClassVar[str] = SOURCE


class JobSeekerState(_JobMarketEvent):
    """A job seeker (pencari kerja, AK/I card holder) as registered in a region."""

    region_code: str
    person_ref: str
    sex: Literal["M", "F"]
    birth_year: int
    education_level: str
    disability: bool
    registered_at: date
    status: Literal["active", "placed", "expired"]


class JobSeekerRegisteredV1(JobSeekerState):
    """A region registered a new job seeker."""

    event_type: ClassVar[str] = _PREFIX + "job_seeker.registered.v1"


class JobSeekerUpdatedV1(JobSeekerState):
    """A job seeker's record changed (a correction or a status change)."""

    event_type: ClassVar[str] = _PREFIX + "job_seeker.updated.v1"


class VacancyState(_JobMarketEvent):
    """A vacancy (lowongan) posted in a region."""

    region_code: str
    employer_nib: str
    kbli_code: str
    occupation_code: str
    positions: int
    posted_at: date
    closes_at: date | None
    min_education: str | None
    status: Literal["open", "closed"]


class VacancyPostedV1(VacancyState):
    """A region posted a new vacancy."""

    event_type: ClassVar[str] = _PREFIX + "vacancy.posted.v1"


class VacancyUpdatedV1(VacancyState):
    """A vacancy changed."""

    event_type: ClassVar[str] = _PREFIX + "vacancy.updated.v1"


class PlacementState(_JobMarketEvent):
    """A job seeker's placement (penempatan) in work.

    ``mechanism``: AKL local, AKAD between regions, AKAN abroad.
    """

    region_code: str
    person_ref: str
    job_seeker_id: str
    vacancy_id: str | None
    employer_nib: str
    placed_at: date
    mechanism: Literal["AKL", "AKAD", "AKAN"]


class PlacementRecordedV1(PlacementState):
    """A region recorded a new placement."""

    event_type: ClassVar[str] = _PREFIX + "placement.recorded.v1"


class PlacementUpdatedV1(PlacementState):
    """A placement changed."""

    event_type: ClassVar[str] = _PREFIX + "placement.updated.v1"


class PlacementStateV2(_JobMarketEvent):
    """A placement, version 2: ``job_seeker_id`` is null when the worker is not registered
    with the recording client (a placement between regions, AKAD, or abroad, AKAN); the
    aggregation links the person through ``person_ref`` either way."""

    region_code: str
    person_ref: str
    job_seeker_id: str | None
    vacancy_id: str | None
    employer_nib: str
    placed_at: date
    mechanism: Literal["AKL", "AKAD", "AKAN"]


class PlacementRecordedV2(PlacementStateV2):
    """A region recorded a new placement."""

    event_type: ClassVar[str] = _PREFIX + "placement.recorded.v2"


class PlacementUpdatedV2(PlacementStateV2):
    """A placement changed."""

    event_type: ClassVar[str] = _PREFIX + "placement.updated.v2"


class JobSeekerWithdrawnV1(_JobMarketEvent, RecordWithdrawn):
    """A region withdrew a job seeker it had sent."""

    event_type: ClassVar[str] = _PREFIX + "job_seeker.withdrawn.v1"


class VacancyWithdrawnV1(_JobMarketEvent, RecordWithdrawn):
    """A region withdrew a vacancy it had sent."""

    event_type: ClassVar[str] = _PREFIX + "vacancy.withdrawn.v1"


class PlacementWithdrawnV1(_JobMarketEvent, RecordWithdrawn):
    """A region withdrew a placement it had sent."""

    event_type: ClassVar[str] = _PREFIX + "placement.withdrawn.v1"


ProgramKind = Literal["labour_intensive", "self_employment", "other"]


class EmploymentProgramState(_JobMarketEvent):
    """An employment-expansion program (perluasan kesempatan kerja) run by a region:
    ``labour_intensive`` (padat karya), ``self_employment`` (tenaga kerja mandiri /
    wirausaha) or ``other``, from ``start_date`` to ``end_date``."""

    region_code: str
    kind: ProgramKind
    start_date: date
    end_date: date
    budget_idr: int


class EmploymentProgramRecordedV1(EmploymentProgramState):
    """A region recorded a new employment-expansion program."""

    event_type: ClassVar[str] = _PREFIX + "employment_program.recorded.v1"


class EmploymentProgramUpdatedV1(EmploymentProgramState):
    """An employment-expansion program changed (a correction, new dates or budget)."""

    event_type: ClassVar[str] = _PREFIX + "employment_program.updated.v1"


class ProgramBeneficiaryState(_JobMarketEvent):
    """A person taking part in an employment-expansion program; region and kind are the
    program's."""

    program_id: str
    region_code: str
    program_kind: ProgramKind
    person_ref: str
    sex: Literal["M", "F"]
    birth_year: int
    joined_at: date


class ProgramBeneficiaryRecordedV1(ProgramBeneficiaryState):
    """A region recorded a new beneficiary of a program."""

    event_type: ClassVar[str] = _PREFIX + "program_beneficiary.recorded.v1"


class ProgramBeneficiaryUpdatedV1(ProgramBeneficiaryState):
    """A beneficiary's record changed (a correction, or the program's region or kind)."""

    event_type: ClassVar[str] = _PREFIX + "program_beneficiary.updated.v1"


class EmploymentProgramWithdrawnV1(_JobMarketEvent, RecordWithdrawn):
    """An employment-expansion program was withdrawn by its sender."""

    event_type: ClassVar[str] = _PREFIX + "employment_program.withdrawn.v1"


class ProgramBeneficiaryWithdrawnV1(_JobMarketEvent, RecordWithdrawn):
    """A program beneficiary's record was withdrawn by its sender."""

    event_type: ClassVar[str] = _PREFIX + "program_beneficiary.withdrawn.v1"


class ReportingPeriodUpdatedV1(_JobMarketEvent, ReportingPeriodState):
    """A region closed (or reopened) a month of its job market reporting."""

    event_type: ClassVar[str] = _PREFIX + "reporting_period.updated.v1"


EVENTS: tuple[type[IntegrationEvent], ...] = (
    ReportingPeriodUpdatedV1,
    JobSeekerRegisteredV1,
    JobSeekerUpdatedV1,
    VacancyPostedV1,
    VacancyUpdatedV1,
    PlacementRecordedV1,
    PlacementUpdatedV1,
    PlacementRecordedV2,
    PlacementUpdatedV2,
    JobSeekerWithdrawnV1,
    VacancyWithdrawnV1,
    PlacementWithdrawnV1,
    EmploymentProgramRecordedV1,
    EmploymentProgramUpdatedV1,
    EmploymentProgramWithdrawnV1,
    ProgramBeneficiaryRecordedV1,
    ProgramBeneficiaryUpdatedV1,
    ProgramBeneficiaryWithdrawnV1,
)
