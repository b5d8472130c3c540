"""Job seeker models: what a region sends, what it reads back, and the table."""

from __future__ import annotations

import enum
import uuid
from datetime import date
from typing import Literal

import sqlalchemy as sa
from pydantic import field_validator
from shared.records import RecordFields
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from job_market.db import Base


class EducationLevel(enum.StrEnum):
    """Highest education completed (Indonesian levels)."""

    NONE = "TIDAK_SEKOLAH"
    SD = "SD"
    SMP = "SMP"
    SMA = "SMA"
    SMK = "SMK"
    D1 = "D1"
    D2 = "D2"
    D3 = "D3"
    D4 = "D4"
    S1 = "S1"
    S2 = "S2"
    S3 = "S3"


Sex = Literal["M", "F"]
JobSeekerStatus = Literal["active", "placed", "expired"]


class JobSeekerBase(SQLModel):
    """Fields a regional system sends and may read back."""

    external_id: str = Field(min_length=1, max_length=64)
    full_name: str = Field(min_length=1, max_length=200)
    birth_date: date
    sex: Sex = Field(sa_type=sa.String(1))
    education_level: EducationLevel = Field(sa_type=sa.String(16))
    region_code: str = Field(description="Kemendagri regency code, e.g. 32.16 (3216 accepted)")
    registered_at: date
    ak1_number: str | None = Field(default=None, max_length=64, description="AK/I card number")
    education_major: str | None = Field(default=None, max_length=200)
    graduation_year: int | None = Field(default=None, ge=1940, le=2100)
    skills: list[str] = Field(default_factory=list, sa_type=JSONB)
    desired_occupation_code: str | None = Field(
        default=None, max_length=8, description="KBJI 2014 code"
    )
    disability: bool = False
    village_code: str | None = Field(default=None, max_length=16)
    status: JobSeekerStatus = Field(default="active", sa_type=sa.String(16))


class JobSeekerCreate(JobSeekerBase):
    """A job seeker as pushed by a region (upsert by ``external_id``)."""

    nik: str = Field(description="16-digit NIK; must agree with birth_date and sex")

    @field_validator("registered_at")
    @classmethod
    def _not_in_future(cls, value: date) -> date:
        if value > date.today():
            raise ValueError("registered_at lies in the future")
        return value


class JobSeekerPublic(JobSeekerBase):
    """A job seeker as read back; the NIK is masked."""

    id: uuid.UUID
    nik_masked: str
    revision: int


class JobSeeker(Base, RecordFields, JobSeekerBase, table=True):
    """The job_seekers table."""

    __tablename__ = "job_seekers"
    __table_args__ = (
        sa.UniqueConstraint("source_client", "external_id"),
        sa.Index("ix_job_seekers_region_registered", "region_code", "registered_at"),
    )

    nik: str = Field(max_length=16)
    person_ref: str = Field(max_length=64, index=True)
