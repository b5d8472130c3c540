"""Inspection models: what a region sends, what it reads back, and the table.

Findings are stored as a JSONB list on the inspection row rather than in a child table: a
finding has no identity of its own (it is the inspection's verdict per norm), it is always
sent and replaced together with its inspection, and keeping it on the row lets the upsert
compare the whole snapshot, bump one revision and publish one event without extra diffing.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, Literal

import sqlalchemy as sa
from pydantic import BaseModel, field_validator
from shared.input import STRICT_INPUT, ExternalId, IsoDate, RegionCode, Text
from shared.records import RecordFields, RecordPublic, record_indexes
from shared.types import Nib
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from inspection.db import Base

InspectionType = Literal["routine", "special", "k3_test"]
Norm = Literal["wages", "working_hours", "k3", "social_security", "child_labour", "other"]
FindingStatus = Literal["open", "notice_1", "notice_2", "resolved", "prosecuted"]


class Finding(BaseModel):
    """A violation of one labour norm and how far enforcement has gone.

    ``status``: ``open``, ``notice_1`` / ``notice_2`` (nota pemeriksaan I and II), ``resolved``,
    or ``prosecuted`` (handed to the labour-inspector investigators, PPNS).
    """

    model_config = STRICT_INPUT

    norm: Norm
    status: FindingStatus


class InspectionBase(SQLModel):
    """Fields of an inspection."""

    external_id: ExternalId
    company_nib: Nib
    region_code: RegionCode = Field(
        description="Kemendagri regency code of the inspected workplace"
    )
    inspected_at: IsoDate
    type: InspectionType = Field(
        sa_type=sa.String(16), description="routine, special (complaint, accident) or k3_test"
    )
    inspector_name: Text | None = Field(default=None, max_length=200)
    notes: Text | None = Field(default=None, max_length=4000)


class InspectionCreate(InspectionBase):
    """An inspection as pushed by a region (upsert by ``external_id``)."""

    model_config = STRICT_INPUT

    findings: list[Finding] = Field(
        default_factory=list, max_length=200, description="Violations found; empty when none"
    )

    @field_validator("inspected_at")
    @classmethod
    def _not_in_future(cls, value: date) -> date:
        if value > date.today():
            raise ValueError("inspected_at lies in the future")
        return value


class InspectionPublic(RecordPublic, InspectionBase):
    """An inspection as read back."""

    company_id: uuid.UUID
    findings: list[Finding]


class Inspection(Base, RecordFields, InspectionBase, table=True):
    """The inspections table; ``findings`` is a JSONB list of ``{norm, status}``."""

    __tablename__ = "inspections"
    __table_args__ = (
        *record_indexes("inspections"),
        sa.UniqueConstraint("source_client", "external_id"),
        sa.Index("ix_inspections_region_inspected", "region_code", "inspected_at"),
    )

    company_id: uuid.UUID = Field(foreign_key="companies.id", index=True)
    findings: list[dict[str, Any]] = Field(default_factory=list, sa_type=JSONB)
