"""Job seeker models: what a region sends, what it reads back, and the table."""

from __future__ import annotations

import enum
from datetime import date
from typing import Annotated, Literal

import sqlalchemy as sa
from pydantic import field_validator
from shared.crypto import EncryptedText
from shared.input import STRICT_INPUT, ExternalId, IsoDate, RegionCode, Text
from shared.records import RecordFields, RecordPublic, record_indexes
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
Skill = Annotated[Text, Field(min_length=1, max_length=100)]


class JobSeekerBase(SQLModel):
    """Fields a regional system sends and may read back."""

    external_id: ExternalId
    full_name: Text = Field(min_length=1, max_length=200)
    birth_date: IsoDate
    sex: Sex = Field(sa_type=sa.String(1))
    education_level: EducationLevel = Field(sa_type=sa.String(16), schema_extra={"strict": False})
    region_code: RegionCode
    registered_at: IsoDate
    ak1_number: Text | None = Field(default=None, max_length=64, description="AK/I card number")
    education_major: Text | None = Field(default=None, max_length=200)
    graduation_year: int | None = Field(default=None, ge=1940, le=2100)
    skills: list[Skill] = Field(default_factory=list, max_length=50, sa_type=JSONB)
    desired_occupation_code: Text | None = Field(
        default=None, max_length=8, description="KBJI 2014 code"
    )
    disability: bool = False
    village_code: Text | None = Field(default=None, max_length=16)
    status: JobSeekerStatus = Field(default="active", sa_type=sa.String(16))


class JobSeekerCreate(JobSeekerBase):
    """A job seeker as pushed by a region (upsert by ``external_id``)."""

    model_config = STRICT_INPUT

    nik: Text = Field(
        min_length=1, max_length=32, description="16-digit NIK; must agree with birth_date and sex"
    )

    @field_validator("registered_at")
    @classmethod
    def _not_in_future(cls, value: date) -> date:
        if value > date.today():
            raise ValueError("registered_at lies in the future")
        return value


class JobSeekerPublic(RecordPublic, JobSeekerBase):
    """A job seeker as read back: no part of the NIK (the sender has it; search by NIK with
    ``POST .../job-seekers/search``)."""


class JobSeeker(Base, RecordFields, JobSeekerBase, table=True):
    """The job_seekers table."""

    __tablename__ = "job_seekers"
    __table_args__ = (
        *record_indexes("job_seekers"),
        sa.UniqueConstraint("source_client", "external_id"),
        sa.Index("ix_job_seekers_region_registered", "region_code", "registered_at"),
    )

    nik: str = Field(sa_type=EncryptedText("nik"))
    full_name: str = Field(sa_type=EncryptedText("full_name"))
    person_ref: str = Field(max_length=64, index=True)
