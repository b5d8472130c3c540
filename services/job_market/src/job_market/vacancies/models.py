"""Vacancy models: what a region sends, what it reads back, and the table."""

from __future__ import annotations

from datetime import date
from typing import Literal

import sqlalchemy as sa
from pydantic import ValidationInfo, field_validator
from shared.input import MAX_INT, STRICT_INPUT, ExternalId, IsoDate, RegionCode, Text
from shared.records import RecordFields, RecordPublic, record_indexes
from shared.types import KbjiCode, KbliCode, Nib
from sqlmodel import Field, SQLModel

from job_market.db import Base
from job_market.job_seekers.models import EducationLevel

VacancySource = Literal["karirhub", "disnaker", "job_fair", "other"]


class VacancyBase(SQLModel):
    """Fields of a vacancy."""

    external_id: ExternalId
    employer_nib: Nib
    employer_name: Text = Field(min_length=1, max_length=200)
    kbli_code: KbliCode
    kbli_version: Literal["2020", "2025"] = Field(default="2020", sa_type=sa.String(4))
    occupation_code: KbjiCode
    title: Text = Field(min_length=1, max_length=200)
    positions: int = Field(ge=1, le=100_000)
    positions_male: int | None = Field(default=None, ge=0, le=100_000)
    positions_female: int | None = Field(default=None, ge=0, le=100_000)
    min_education: EducationLevel | None = Field(
        default=None, sa_type=sa.String(16), schema_extra={"strict": False}
    )
    wage_min_idr: int | None = Field(default=None, ge=0, le=MAX_INT)
    wage_max_idr: int | None = Field(default=None, ge=0, le=MAX_INT)
    region_code: RegionCode = Field(description="Kemendagri regency code of the workplace")
    posted_at: IsoDate
    closes_at: IsoDate | None = None
    source: VacancySource = Field(default="disnaker", sa_type=sa.String(16))
    status: Literal["open", "closed"] = Field(default="open", sa_type=sa.String(16))


class VacancyCreate(VacancyBase):
    """A vacancy as pushed by a region (upsert by ``external_id``)."""

    model_config = STRICT_INPUT

    # Field validators (not one model validator) so a 422 names the offending field.
    @field_validator("closes_at")
    @classmethod
    def _closes_after_posting(cls, value: date | None, info: ValidationInfo) -> date | None:
        posted = info.data.get("posted_at")
        if value is not None and posted is not None and value < posted:
            raise ValueError("closes_at is before posted_at")
        return value

    @field_validator("wage_max_idr")
    @classmethod
    def _wage_range(cls, value: int | None, info: ValidationInfo) -> int | None:
        low = info.data.get("wage_min_idr")
        if value is not None and low is not None and value < low:
            raise ValueError("wage_max_idr is below wage_min_idr")
        return value

    @field_validator("positions_female")
    @classmethod
    def _positions_by_sex(cls, value: int | None, info: ValidationInfo) -> int | None:
        total, male = info.data.get("positions"), info.data.get("positions_male") or 0
        if total is not None and male + (value or 0) > total:
            raise ValueError("positions_male + positions_female exceed positions")
        return value


class VacancyPublic(RecordPublic, VacancyBase):
    """A vacancy as read back."""


class Vacancy(Base, RecordFields, VacancyBase, table=True):
    """The vacancies table."""

    __tablename__ = "vacancies"
    __table_args__ = (
        *record_indexes("vacancies"),
        sa.UniqueConstraint("source_client", "external_id"),
        sa.Index("ix_vacancies_region_posted", "region_code", "posted_at"),
    )
