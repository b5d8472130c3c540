"""Membership models: what BPJS or a region sends, what it reads back, and the table.

A membership (kepesertaan) covers one worker through one employer for a set of programs: JKK
(work accident), JKM (death), JHT (old-age savings), JP (pension), JKP (job-loss benefit). It
covers the days from ``started_at`` up to ``ended_at`` (open while None); the KPJ is the
member's card number, the NPP the employer's BPJS number.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

import sqlalchemy as sa
from pydantic import ValidationInfo, field_validator
from shared.crypto import EncryptedText
from shared.events.social_security import Program
from shared.identifiers import Sex
from shared.input import STRICT_INPUT, ExternalId, IsoDate, RegionCode, Text
from shared.records import RecordFields, RecordPublic, record_indexes
from shared.types import Kpj, Nib, Npp
from sqlalchemy.dialects.postgresql import JSONB
from sqlmodel import Field, SQLModel

from social_security.db import Base

MembershipStatus = Literal["active", "inactive"]

# Amounts in rupiah are BIGINT columns; a larger number is a 422, not a database error.
MAX_IDR = 2**63 - 1


class MembershipBase(SQLModel):
    """Fields BPJS or a region sends and may read back."""

    external_id: ExternalId
    full_name: Text = Field(min_length=1, max_length=200)
    birth_date: IsoDate
    sex: Sex = Field(sa_type=sa.String(1))
    employer_nib: Nib
    region_code: RegionCode = Field(
        description="Kemendagri regency code, e.g. 32.16 (3216 accepted)"
    )
    programs: list[Program] = Field(
        min_length=1,
        max_length=5,
        sa_type=JSONB,
        description="Non-empty subset of JKK, JKM, JHT, JP, JKP",
    )
    status: MembershipStatus = Field(default="active", sa_type=sa.String(16))
    started_at: IsoDate
    ended_at: IsoDate | None = Field(
        default=None, description="First day no longer covered; required when inactive"
    )
    kpj_number: Kpj | None = Field(default=None, description="11-digit KPJ member card")
    employer_npp: Npp | None = Field(default=None, description="8-digit BPJS employer number")
    reported_wage_idr: int | None = Field(default=None, ge=0, le=MAX_IDR, sa_type=sa.BigInteger)


class MembershipCreate(MembershipBase):
    """A membership as pushed by BPJS or a region (upsert by ``external_id``)."""

    model_config = STRICT_INPUT

    nik: Text = Field(
        min_length=1, max_length=32, description="16-digit NIK; must agree with birth_date and sex"
    )

    # Field validators (not one model validator) so a 422 names the offending field.
    @field_validator("programs")
    @classmethod
    def _distinct_programs(cls, value: list[Program]) -> list[Program]:
        twice = sorted({p for p in value if value.count(p) > 1})
        if twice:
            raise ValueError(f"programs lists {', '.join(twice)} more than once")
        # One order for every writer, so a replay in another order changes nothing.
        return sorted(value)

    @field_validator("started_at")
    @classmethod
    def _not_in_future(cls, value: date) -> date:
        if value > date.today():
            raise ValueError("started_at lies in the future")
        return value

    @field_validator("ended_at")
    @classmethod
    def _ends_after_start(cls, value: IsoDate | None, info: ValidationInfo) -> date | None:
        started = info.data.get("started_at")
        if value is not None and started is not None and value < started:
            raise ValueError("ended_at is before started_at")
        return value


class MembershipPublic(RecordPublic, MembershipBase):
    """A membership as read back: no part of the NIK."""


class Membership(Base, RecordFields, MembershipBase, table=True):
    """The memberships table."""

    __tablename__ = "memberships"
    __table_args__ = (
        *record_indexes("memberships"),
        sa.UniqueConstraint("source_client", "external_id"),
        sa.Index("ix_memberships_region_started", "region_code", "started_at"),
    )

    nik: str = Field(sa_type=EncryptedText("nik"))
    full_name: str = Field(sa_type=EncryptedText("full_name"))
    person_ref: str = Field(max_length=64, index=True)
