"""Employment-program models: what a region sends, what it reads back, and the table.

Kinds: ``labour_intensive`` (padat karya: public works paying local workers), ``self_employment``
(tenaga kerja mandiri / wirausaha: start-up support for the self-employed), ``other``.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from pydantic import ValidationInfo, field_validator
from shared.events.job_market import ProgramKind
from shared.input import MAX_BIGINT, STRICT_INPUT, ExternalId, IsoDate, RegionCode, Text
from shared.records import RecordFields, RecordPublic, record_indexes
from sqlmodel import Field, SQLModel

from job_market.db import Base


class EmploymentProgramBase(SQLModel):
    """Fields of an employment-expansion program."""

    external_id: ExternalId
    region_code: RegionCode = Field(description="Kemendagri regency code running the program")
    kind: ProgramKind = Field(
        sa_type=sa.String(24), description="labour_intensive, self_employment or other"
    )
    name: Text | None = Field(
        default=None, max_length=200, description="The program's name, for people reading it"
    )
    start_date: IsoDate
    end_date: IsoDate
    budget_idr: int = Field(ge=0, le=MAX_BIGINT, sa_type=sa.BigInteger)


class EmploymentProgramCreate(EmploymentProgramBase):
    """A program as pushed by a region (upsert by ``external_id``)."""

    model_config = STRICT_INPUT

    @field_validator("end_date")
    @classmethod
    def _ends_after_start(cls, value: date, info: ValidationInfo) -> date:
        start = info.data.get("start_date")
        if start is not None and value < start:
            raise ValueError("end_date is before start_date")
        return value


class EmploymentProgramPublic(RecordPublic, EmploymentProgramBase):
    """A program as read back."""


class EmploymentProgram(Base, RecordFields, EmploymentProgramBase, table=True):
    """The employment_programs table."""

    __tablename__ = "employment_programs"
    __table_args__ = (
        *record_indexes("employment_programs"),
        sa.UniqueConstraint("source_client", "external_id"),
        sa.Index("ix_employment_programs_region_start", "region_code", "start_date"),
    )
