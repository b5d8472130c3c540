"""Placement models: what a region sends, what it reads back, and the table.

Mechanisms: AKL (antarkerja lokal, within the region), AKAD (antarkerja antardaerah, to another
region), AKAN (antarkerja antarnegara, abroad: a migrant worker).
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

import sqlalchemy as sa
from pydantic import field_validator
from shared.input import MAX_INT, STRICT_INPUT, ExternalId, IsoDate, RegionCode, Text
from shared.records import RecordFields, RecordPublic, record_indexes
from shared.types import CountryCode, KbjiCode, Nib
from sqlmodel import Field, SQLModel

from job_market.db import Base

Mechanism = Literal["AKL", "AKAD", "AKAN"]


class PlacementBase(SQLModel):
    """Fields of a placement."""

    external_id: ExternalId
    employer_nib: Nib
    employer_name: Text | None = Field(default=None, max_length=200)
    placed_at: IsoDate
    mechanism: Mechanism = Field(sa_type=sa.String(4))
    region_code: RegionCode = Field(description="Kemendagri code of the region recording it")
    occupation_code: KbjiCode | None = None
    destination_country: CountryCode | None = Field(default=None, description="for AKAN")
    wage_idr: int | None = Field(default=None, ge=0, le=MAX_INT)


class PlacementCreate(PlacementBase):
    """A placement as pushed by a region (upsert by ``external_id``).

    A local placement (AKL) is of a job seeker registered in this client's regions; one
    between regions (AKAD) or abroad (AKAN) may be of a worker registered elsewhere.
    """

    model_config = STRICT_INPUT

    nik: Text = Field(min_length=1, max_length=32, description="NIK of the placed worker")
    vacancy_external_id: Text | None = Field(
        default=None, max_length=64, description="external_id of this client's vacancy"
    )

    @field_validator("placed_at")
    @classmethod
    def _not_in_future(cls, value: date) -> date:
        if value > date.today():
            raise ValueError("placed_at lies in the future")
        return value


class PlacementPublic(RecordPublic, PlacementBase):
    """A placement as read back."""

    job_seeker_id: uuid.UUID | None = Field(
        description="The job seeker in this client's regions; null for AKAD/AKAN placements "
        "of workers registered elsewhere"
    )
    vacancy_id: uuid.UUID | None


class Placement(Base, RecordFields, PlacementBase, table=True):
    """The placements table."""

    __tablename__ = "placements"
    __table_args__ = (
        *record_indexes("placements"),
        sa.UniqueConstraint("source_client", "external_id"),
        sa.Index("ix_placements_region_placed", "region_code", "placed_at"),
    )

    job_seeker_id: uuid.UUID | None = Field(default=None, foreign_key="job_seekers.id", index=True)
    vacancy_id: uuid.UUID | None = Field(default=None, foreign_key="vacancies.id")
    person_ref: str = Field(max_length=64, index=True)
