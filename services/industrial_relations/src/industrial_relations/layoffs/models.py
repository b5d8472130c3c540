"""Layoff models: what a region sends, what it reads back, and the tables.

A layoff report (laporan PHK) names its workers, up to 5,000 per report. They live in a child
table (``layoff_workers``) with their NIK, name and ``person_ref``: the NIK and name never leave
this service, while ``person_ref`` (indexed) links a worker to what happened next in the other
domains and lets a clerk find every layoff of one person (``POST .../layoffs/search``).
"""

from __future__ import annotations

import uuid
from datetime import date

import sqlalchemy as sa
from pydantic import ValidationInfo, field_validator
from shared.crypto import EncryptedText
from shared.events.industrial_relations import LayoffReason
from shared.identifiers import Sex
from shared.input import MAX_BIGINT, STRICT_INPUT, ExternalId, IsoDate, PastDate, RegionCode, Text
from shared.records import RecordFields, RecordPublic, record_indexes
from shared.types import Nib
from sqlmodel import Field, SQLModel

from industrial_relations.db import Base

MAX_WORKERS = 5000
"""The most workers one report names (a larger layoff is sent as several reports)."""


class WorkerCreate(SQLModel):
    """A laid-off worker as sent: the NIK must agree with birth date and sex."""

    model_config = STRICT_INPUT

    nik: Text = Field(
        min_length=1, max_length=32, description="16-digit NIK; must agree with birth_date and sex"
    )
    full_name: Text = Field(min_length=1, max_length=200)
    birth_date: IsoDate
    sex: Sex


class WorkerPublic(SQLModel):
    """A laid-off worker as read back: no part of the NIK."""

    full_name: str
    birth_date: IsoDate
    sex: Sex


class LayoffBase(SQLModel):
    """Fields of a layoff report."""

    external_id: ExternalId
    employer_nib: Nib
    region_code: RegionCode = Field(description="Kemendagri regency code of the workplace")
    reported_at: PastDate = Field(description="When the employer reported it")
    effective_at: IsoDate = Field(description="The day the employment ends")
    reason: LayoffReason = Field(
        sa_type=sa.String(16),
        description="efficiency, closure, bankruptcy, force_majeure, misconduct, contract_end "
        "or other",
    )
    severance_total_idr: int | None = Field(
        default=None,
        ge=0,
        le=MAX_BIGINT,
        sa_type=sa.BigInteger,
        description="Severance paid in all (pesangon, IDR)",
    )


class LayoffCreate(LayoffBase):
    """A layoff report as pushed by a region (upsert by ``external_id``)."""

    model_config = STRICT_INPUT

    workers: list[WorkerCreate] = Field(min_length=1, max_length=MAX_WORKERS)

    @field_validator("effective_at")
    @classmethod
    def _within_a_year_of_the_report(cls, value: date, info: ValidationInfo) -> date:
        reported = info.data.get("reported_at")
        if reported is not None and abs((value - reported).days) > 366:
            raise ValueError("effective_at is more than a year from reported_at")
        return value


class LayoffPublic(RecordPublic, LayoffBase):
    """A layoff report as read back, with its workers (no NIKs)."""

    workers: list[WorkerPublic]


class Layoff(Base, RecordFields, LayoffBase, table=True):
    """The layoffs table; the workers are in ``layoff_workers``."""

    __tablename__ = "layoffs"
    __table_args__ = (
        *record_indexes("layoffs"),
        sa.UniqueConstraint("source_client", "external_id"),
        sa.Index("ix_layoffs_region_effective", "region_code", "effective_at"),
    )


class LaidOffWorker(Base, table=True):
    """The layoff_workers table: one row per worker, in the order the region sent them."""

    __tablename__ = "layoff_workers"
    __table_args__ = (sa.UniqueConstraint("layoff_id", "person_ref"),)

    layoff_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid, sa.ForeignKey("layoffs.id", ondelete="CASCADE"), primary_key=True
        )
    )
    position: int = Field(primary_key=True)
    nik: str = Field(sa_type=EncryptedText("nik"))
    full_name: str = Field(sa_type=EncryptedText("full_name"))
    birth_date: IsoDate
    sex: Sex = Field(sa_type=sa.String(1))
    person_ref: str = Field(max_length=64, index=True)
