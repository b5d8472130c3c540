"""Industrial-relations events (topic ``sinergi.industrial-relations.v1``): layoffs (PHK),
industrial disputes, collective agreements (PKB) and company regulations (PP), and unions.

Each event carries the whole current state of the entity (event-carried state transfer), so a
correction is simply a newer snapshot. No event carries a NIK or a name: a layoff's workers
are named by ``person_ref``, which links them to what happened next in the other domains (a
job-seeker registration, a JKP claim, a placement, a new membership).
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

TOPIC = "sinergi.industrial-relations.v1"
SOURCE = "/sinergi/industrial-relations"
_PREFIX = EVENT_TYPE_PREFIX + "industrial_relations."

LayoffReason = Literal[
    "efficiency", "closure", "bankruptcy", "force_majeure", "misconduct", "contract_end", "other"
]
DisputeType = Literal["rights", "interests", "termination", "inter_union"]
DisputeStage = Literal["bipartite", "mediation", "conciliation", "arbitration", "court"]
DisputeStatus = Literal["open", "settled", "recommendation_issued", "decided", "withdrawn"]
Settlement = Literal["joint_agreement", "recommendation", "court_decision"]
AgreementKind = Literal["pkb", "pp"]


class _IndustrialRelationsEvent(IntegrationEvent):
    topic: ClassVar[str] = TOPIC
    source: ClassVar[str] = SOURCE


class LaidOffWorker(BaseModel):
    """A worker named in a layoff report, without NIK or name."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    person_ref: str
    sex: Literal["M", "F"]
    birth_year: int


class LayoffState(_IndustrialRelationsEvent):
    """A layoff report (laporan PHK) of an employer: the workers whose employment ends on
    ``effective_at``, and why."""

    employer_nib: str
    region_code: str
    reported_at: date
    effective_at: date
    reason: LayoffReason
    severance_total_idr: int | None
    workers: list[LaidOffWorker]


class LayoffRecordedV1(LayoffState):
    """A region recorded a new layoff report."""

    event_type: ClassVar[str] = _PREFIX + "layoff.recorded.v1"


class LayoffUpdatedV1(LayoffState):
    """A layoff report changed (a correction of its dates, reason or workers)."""

    event_type: ClassVar[str] = _PREFIX + "layoff.updated.v1"


class LayoffWithdrawnV1(_IndustrialRelationsEvent, RecordWithdrawn):
    """A layoff report was withdrawn by its sender."""

    event_type: ClassVar[str] = _PREFIX + "layoff.withdrawn.v1"


class DisputeState(_IndustrialRelationsEvent):
    """An industrial-relations dispute (perselisihan hubungan industrial, UU 2/2004).

    ``stage`` is how far it has gone (bipartite, mediation, conciliation, arbitration, the
    industrial-relations court); ``settled_at`` and ``settlement`` are set once it ended
    (``joint_agreement``: a Perjanjian Bersama; ``recommendation``: a mediator's or
    conciliator's anjuran accepted; ``court_decision``).
    """

    employer_nib: str
    region_code: str
    registered_at: date
    type: DisputeType
    stage: DisputeStage
    status: DisputeStatus
    settled_at: date | None
    settlement: Settlement | None
    workers_involved: int


class DisputeRecordedV1(DisputeState):
    """A region registered a new dispute."""

    event_type: ClassVar[str] = _PREFIX + "dispute.recorded.v1"


class DisputeUpdatedV1(DisputeState):
    """A dispute changed (its stage, status or settlement, or a correction)."""

    event_type: ClassVar[str] = _PREFIX + "dispute.updated.v1"


class DisputeWithdrawnV1(_IndustrialRelationsEvent, RecordWithdrawn):
    """A dispute was withdrawn by its sender."""

    event_type: ClassVar[str] = _PREFIX + "dispute.withdrawn.v1"


class AgreementState(_IndustrialRelationsEvent):
    """A registered collective labour agreement (PKB) or company regulation (PP), in force
    from ``valid_from`` to ``valid_until``, both inclusive."""

    employer_nib: str
    region_code: str
    kind: AgreementKind
    registered_at: date
    valid_from: date
    valid_until: date
    workers_covered: int


class AgreementRecordedV1(AgreementState):
    """A region registered a new PKB or PP."""

    event_type: ClassVar[str] = _PREFIX + "agreement.recorded.v1"


class AgreementUpdatedV1(AgreementState):
    """A registered PKB or PP changed (a correction or a renewal's new dates)."""

    event_type: ClassVar[str] = _PREFIX + "agreement.updated.v1"


class AgreementWithdrawnV1(_IndustrialRelationsEvent, RecordWithdrawn):
    """A registered PKB or PP was withdrawn by its sender."""

    event_type: ClassVar[str] = _PREFIX + "agreement.withdrawn.v1"


class UnionState(_IndustrialRelationsEvent):
    """A trade union (serikat pekerja/serikat buruh) recorded by a region, with its current
    membership count; ``employer_nib`` for a union of one company, ``federation`` the
    federation it belongs to. (Its name stays in the service: events name no one.)"""

    region_code: str
    registered_at: date
    members: int
    employer_nib: str | None
    federation: str | None


class UnionRecordedV1(UnionState):
    """A region recorded a new union."""

    event_type: ClassVar[str] = _PREFIX + "union.recorded.v1"


class UnionUpdatedV1(UnionState):
    """A union's record changed (its members, or a correction)."""

    event_type: ClassVar[str] = _PREFIX + "union.updated.v1"


class UnionWithdrawnV1(_IndustrialRelationsEvent, RecordWithdrawn):
    """A union's record was withdrawn by its sender."""

    event_type: ClassVar[str] = _PREFIX + "union.withdrawn.v1"


class ReportingPeriodUpdatedV1(_IndustrialRelationsEvent, ReportingPeriodState):
    """A region closed (or reopened) a month of its industrial-relations reporting."""

    event_type: ClassVar[str] = _PREFIX + "reporting_period.updated.v1"


EVENTS: tuple[type[IntegrationEvent], ...] = (
    ReportingPeriodUpdatedV1,
    LayoffRecordedV1,
    LayoffUpdatedV1,
    LayoffWithdrawnV1,
    DisputeRecordedV1,
    DisputeUpdatedV1,
    DisputeWithdrawnV1,
    AgreementRecordedV1,
    AgreementUpdatedV1,
    AgreementWithdrawnV1,
    UnionRecordedV1,
    UnionUpdatedV1,
    UnionWithdrawnV1,
)
