"""Social-security events (topic ``sinergi.social-security.v1``): BPJS Ketenagakerjaan.

Programs: JKK (jaminan kecelakaan kerja, work accident), JKM (jaminan kematian, death), JHT
(jaminan hari tua, old-age savings), JP (jaminan pensiun, pension), JKP (jaminan kehilangan
pekerjaan, job-loss benefit).

Each event carries the whole current state of the entity (event-carried state transfer), so a
correction is simply a newer snapshot. No event carries a NIK or a name: ``person_ref`` links
the person across domains (a placed worker's cover, an accident victim's JKK).
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

TOPIC = "sinergi.social-security.v1"
SOURCE = "/sinergi/social-security"
_PREFIX = EVENT_TYPE_PREFIX + "social_security."

Program = Literal["JKK", "JKM", "JHT", "JP", "JKP"]


class _SocialSecurityEvent(IntegrationEvent):
    topic: ClassVar[str] = TOPIC
    source: ClassVar[str] = SOURCE


class MembershipState(_SocialSecurityEvent):
    """A worker's BPJS Ketenagakerjaan membership (kepesertaan) with one employer.

    ``programs`` is sorted. The membership covers the days from ``started_at`` up to, not
    including, ``ended_at`` (open when None); ``status`` is the current one (an ``inactive``
    membership always has ``ended_at``).
    """

    person_ref: str
    employer_nib: str
    region_code: str
    sex: Literal["M", "F"]
    birth_year: int
    programs: list[Program]
    status: Literal["active", "inactive"]
    started_at: date
    ended_at: date | None


class MembershipRegisteredV1(MembershipState):
    """BPJS (or a region) registered a new membership."""

    event_type: ClassVar[str] = _PREFIX + "membership.registered.v1"


class MembershipUpdatedV1(MembershipState):
    """A membership changed (a correction, new programs, or its end)."""

    event_type: ClassVar[str] = _PREFIX + "membership.updated.v1"


class ClaimState(_SocialSecurityEvent):
    """A benefit claim on one program of a membership; its region is the membership's."""

    membership_id: str
    person_ref: str
    region_code: str
    program: Program
    claimed_at: date
    amount_idr: int
    status: Literal["submitted", "approved", "paid", "rejected"]


class ClaimSubmittedV1(ClaimState):
    """A new claim was recorded."""

    event_type: ClassVar[str] = _PREFIX + "claim.submitted.v1"


class ClaimUpdatedV1(ClaimState):
    """A claim changed (its status, amount, or its membership's region or person)."""

    event_type: ClassVar[str] = _PREFIX + "claim.updated.v1"


class MembershipWithdrawnV1(_SocialSecurityEvent, RecordWithdrawn):
    """A membership was withdrawn by its sender."""

    event_type: ClassVar[str] = _PREFIX + "membership.withdrawn.v1"


class ClaimWithdrawnV1(_SocialSecurityEvent, RecordWithdrawn):
    """A claim was withdrawn by its sender."""

    event_type: ClassVar[str] = _PREFIX + "claim.withdrawn.v1"


class ReportingPeriodUpdatedV1(_SocialSecurityEvent, ReportingPeriodState):
    """A region closed (or reopened) a month of its social-security reporting."""

    event_type: ClassVar[str] = _PREFIX + "reporting_period.updated.v1"


EVENTS: tuple[type[IntegrationEvent], ...] = (
    ReportingPeriodUpdatedV1,
    MembershipRegisteredV1,
    MembershipUpdatedV1,
    ClaimSubmittedV1,
    ClaimUpdatedV1,
    MembershipWithdrawnV1,
    ClaimWithdrawnV1,
)
