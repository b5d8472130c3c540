"""Dispute models: what a region sends, what it reads back, and the table.

A dispute (UU 2/2004) goes from bipartite negotiation to mediation or conciliation, then to
arbitration or the industrial-relations court. It ends ``settled`` (a Perjanjian Bersama, or a
mediator's or conciliator's recommendation (anjuran) accepted) or ``decided`` (an arbitration
award or a court decision); ``recommendation_issued`` is an anjuran not yet accepted.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from pydantic import ValidationInfo, field_validator
from shared.events.industrial_relations import (
    DisputeStage,
    DisputeStatus,
    DisputeType,
    Settlement,
)
from shared.input import MAX_INT, STRICT_INPUT, ExternalId, PastDate, RegionCode
from shared.records import RecordFields, RecordPublic, record_indexes
from shared.types import Nib
from sqlmodel import Field, SQLModel

from industrial_relations.db import Base

ENDED: frozenset[str] = frozenset({"settled", "decided"})
"""The statuses of a dispute that has ended: they have a settlement date and a settlement."""


class DisputeBase(SQLModel):
    """Fields of a dispute."""

    external_id: ExternalId
    employer_nib: Nib
    region_code: RegionCode = Field(description="Kemendagri regency code that registered it")
    registered_at: PastDate
    type: DisputeType = Field(
        sa_type=sa.String(16),
        description="rights (hak), interests (kepentingan), termination (PHK) or inter_union",
    )
    stage: DisputeStage = Field(
        sa_type=sa.String(16),
        description="bipartite, mediation, conciliation, arbitration or court (PHI)",
    )
    status: DisputeStatus = Field(
        sa_type=sa.String(24),
        description="open, settled, recommendation_issued, decided or withdrawn",
    )
    settled_at: PastDate | None = Field(
        default=None,
        schema_extra={"validate_default": True},
        description="When it ended (required when settled or decided)",
    )
    settlement: Settlement | None = Field(
        default=None,
        schema_extra={"validate_default": True},
        sa_type=sa.String(16),
        description="joint_agreement (Perjanjian Bersama), recommendation (anjuran accepted) or "
        "court_decision; required when settled or decided",
    )
    workers_involved: int = Field(ge=1, le=MAX_INT)


class DisputeCreate(DisputeBase):
    """A dispute as pushed by a region (upsert by ``external_id``)."""

    model_config = STRICT_INPUT

    # Field validators (not a model validator) so that each 422 names its field; the defaults
    # are validated too (validate_default), so a missing settlement of a settled dispute is named.
    @field_validator("settled_at")
    @classmethod
    def _settled_when_ended(cls, value: date | None, info: ValidationInfo) -> date | None:
        status, registered = info.data.get("status"), info.data.get("registered_at")
        if status in ENDED and value is None:
            raise ValueError(f"a {status} dispute has a settled_at date")
        if status not in ENDED and status is not None and value is not None:
            raise ValueError(f"a dispute with status {status} has no settled_at date")
        if value is not None and registered is not None and value < registered:
            raise ValueError("settled_at is before registered_at")
        return value

    @field_validator("settlement")
    @classmethod
    def _settlement_when_ended(cls, value: str | None, info: ValidationInfo) -> str | None:
        status, stage = info.data.get("status"), info.data.get("stage")
        if status in ENDED and value is None:
            raise ValueError(f"a {status} dispute has a settlement")
        if status not in ENDED and status is not None and value is not None:
            raise ValueError(f"a dispute with status {status} has no settlement")
        if status == "decided" and stage not in (None, "arbitration", "court"):
            raise ValueError("only arbitration or the court decides a dispute")
        return value


class DisputePublic(RecordPublic, DisputeBase):
    """A dispute as read back."""


class Dispute(Base, RecordFields, DisputeBase, table=True):
    """The disputes table."""

    __tablename__ = "disputes"
    __table_args__ = (
        *record_indexes("disputes"),
        sa.UniqueConstraint("source_client", "external_id"),
        sa.Index("ix_disputes_region_registered", "region_code", "registered_at"),
    )
