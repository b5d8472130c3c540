"""Training program models: what a region sends, what it reads back, and the table.

Provider types: BPVP (Balai Pelatihan Vokasi dan Produktivitas, run by the ministry), BLK
(Balai Latihan Kerja of a regional government), LPK (Lembaga Pelatihan Kerja, private),
COMPANY (in-house training), OTHER. Hours are counted in JP (jam pelajaran, lesson hours).
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import sqlalchemy as sa
from pydantic import ValidationInfo, field_validator
from shared.input import STRICT_INPUT, ExternalId, IsoDate, RegionCode, Text
from shared.records import RecordFields, RecordPublic, record_indexes
from sqlmodel import Field, SQLModel

from training.db import Base

ProviderType = Literal["BPVP", "BLK", "LPK", "COMPANY", "OTHER"]
FundingSource = Literal["APBN", "APBD", "COMPANY", "OTHER"]


class ProgramBase(SQLModel):
    """Fields a regional system sends and may read back."""

    external_id: ExternalId
    name: Text = Field(min_length=1, max_length=200)
    provider_type: ProviderType = Field(sa_type=sa.String(8))
    provider_name: Text = Field(min_length=1, max_length=200)
    vocational_field: Text = Field(
        min_length=1, max_length=100, description="Kejuruan, e.g. Teknik Las, TIK, Otomotif"
    )
    region_code: RegionCode = Field(
        description="Kemendagri regency code, e.g. 32.16 (3216 accepted)"
    )
    start_date: IsoDate
    end_date: IsoDate
    capacity: int = Field(ge=1, le=100_000, description="Quota of participants")
    skkni_scheme: Text | None = Field(
        default=None, max_length=200, description="SKKNI competence standard / scheme"
    )
    hours: int | None = Field(default=None, ge=1, le=10_000, description="Length in JP")
    funding_source: FundingSource | None = Field(default=None, sa_type=sa.String(8))


class ProgramCreate(ProgramBase):
    """A program as pushed by a region (upsert by ``external_id``)."""

    model_config = STRICT_INPUT

    # A field validator (not a model validator) so the 422 names end_date.
    @field_validator("end_date")
    @classmethod
    def _ends_after_start(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("start_date")
        if start is not None and value < start:
            raise ValueError("end_date is before start_date")
        return value


class ProgramPublic(RecordPublic, ProgramBase):
    """A program as read back."""


class Program(Base, RecordFields, ProgramBase, table=True):
    """The programs table."""

    __tablename__ = "programs"
    __table_args__ = (
        *record_indexes("programs"),
        sa.UniqueConstraint("source_client", "external_id"),
        sa.Index("ix_programs_region_start", "region_code", "start_date"),
    )
