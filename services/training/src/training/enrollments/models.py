"""Enrolment models: what a region sends, what it reads back, and the table.

An enrolment ends as ``completed`` (with ``completed_at``) or ``dropped_out``. A participant who
completed may be assessed by an LSP (Lembaga Sertifikasi Profesi, licensed by BNSP); ``certified``
means found competent, with the BNSP certificate number.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

import sqlalchemy as sa
from pydantic import ValidationInfo, field_validator
from shared.crypto import EncryptedText
from shared.input import STRICT_INPUT, ExternalId, IsoDate, RegionCode, Text
from shared.records import RecordFields, RecordPublic, record_indexes
from sqlmodel import Field, SQLModel

from training.db import Base

Sex = Literal["M", "F"]
EnrollmentStatus = Literal["registered", "completed", "dropped_out"]

# Fields whose rule is "required when ...": their validator must also run on the default.
_CHECK_DEFAULT = {"validate_default": True}


class EnrollmentBase(SQLModel):
    """Fields a regional system sends and may read back.

    Validators run in declaration order and see the fields before them, so each cross-field
    rule lives on the later field and the 422 names it.
    """

    external_id: ExternalId
    full_name: Text = Field(min_length=1, max_length=200)
    birth_date: IsoDate
    sex: Sex = Field(sa_type=sa.String(1))
    enrolled_at: IsoDate
    status: EnrollmentStatus = Field(default="registered", sa_type=sa.String(16))
    completed_at: IsoDate | None = Field(
        default=None,
        schema_extra=_CHECK_DEFAULT,
        description="Required when status is completed, absent otherwise",
    )
    certified: bool = Field(
        default=False, description="Found competent by an LSP (BNSP); only when completed"
    )
    certificate_number: Text | None = Field(
        default=None,
        max_length=64,
        schema_extra=_CHECK_DEFAULT,
        description="BNSP certificate number; required when certified",
    )
    certification_scheme: Text | None = Field(default=None, max_length=200)
    certificate_valid_until: IsoDate | None = None
    lsp_name: Text | None = Field(
        default=None, max_length=200, description="Lembaga Sertifikasi Profesi that assessed"
    )
    score: float | None = Field(default=None, ge=0, le=100)


class EnrollmentCreate(EnrollmentBase):
    """An enrolment as pushed by a region (upsert by ``external_id``)."""

    model_config = STRICT_INPUT

    program_external_id: Text = Field(
        min_length=1, max_length=64, description="external_id of this client's program"
    )
    nik: Text = Field(
        min_length=1, max_length=32, description="16-digit NIK; must agree with birth_date and sex"
    )

    @field_validator("enrolled_at")
    @classmethod
    def _enrolled_not_in_future(cls, value: date) -> date:
        if value > date.today():
            raise ValueError("enrolled_at lies in the future")
        return value

    @field_validator("completed_at")
    @classmethod
    def _completed_exactly_when_completed(
        cls, value: IsoDate | None, info: ValidationInfo
    ) -> date | None:
        status, enrolled = info.data.get("status"), info.data.get("enrolled_at")
        if status == "completed" and value is None:
            raise ValueError("completed_at is required when status is completed")
        if status is not None and status != "completed" and value is not None:
            raise ValueError(f"completed_at must be absent when status is {status}")
        if value is not None and enrolled is not None and value < enrolled:
            raise ValueError("completed_at is before enrolled_at")
        if value is not None and value > date.today():
            raise ValueError("completed_at lies in the future")
        return value

    @field_validator("certified")
    @classmethod
    def _certified_only_when_completed(cls, value: bool, info: ValidationInfo) -> bool:
        status = info.data.get("status")
        if value and status is not None and status != "completed":
            raise ValueError(f"certified requires status completed, not {status}")
        return value

    @field_validator("certificate_number")
    @classmethod
    def _number_exactly_when_certified(cls, value: str | None, info: ValidationInfo) -> str | None:
        certified = info.data.get("certified")
        if certified is True and not value:
            raise ValueError("certificate_number is required when certified")
        if certified is False and value is not None:
            raise ValueError("certificate_number must be absent when not certified")
        return value

    @field_validator("certificate_valid_until")
    @classmethod
    def _valid_after_completion(cls, value: IsoDate | None, info: ValidationInfo) -> date | None:
        completed = info.data.get("completed_at")
        if value is not None and info.data.get("certified") is False:
            raise ValueError("certificate_valid_until must be absent when not certified")
        if value is not None and completed is not None and value < completed:
            raise ValueError("certificate_valid_until is before completed_at")
        return value


class EnrollmentPublic(RecordPublic, EnrollmentBase):
    """An enrolment as read back: no part of the NIK, the region is the program's."""

    program_id: uuid.UUID
    region_code: str


class Enrollment(Base, RecordFields, EnrollmentBase, table=True):
    """The enrollments table."""

    __tablename__ = "enrollments"
    __table_args__ = (
        *record_indexes("enrollments"),
        sa.UniqueConstraint("source_client", "external_id"),
        sa.Index("ix_enrollments_region_enrolled", "region_code", "enrolled_at"),
    )

    program_id: uuid.UUID = Field(foreign_key="programs.id", index=True)
    region_code: RegionCode = Field(description="The program's region, copied for scoping")
    nik: str = Field(sa_type=EncryptedText("nik"))
    full_name: str = Field(sa_type=EncryptedText("full_name"))
    person_ref: str = Field(max_length=64, index=True)
