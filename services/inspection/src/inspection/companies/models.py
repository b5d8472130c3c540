"""Company models: what a region sends, what it reads back, and the table.

A company is keyed by its NIB (Nomor Induk Berusaha from OSS): the NIB is the record's
``external_id``, so pushing the same NIB again corrects the company instead of adding one.
"""

from __future__ import annotations

from typing import Literal

import sqlalchemy as sa
from shared.input import STRICT_INPUT, RegionCode, Text
from shared.records import RecordFields, RecordPublic, record_indexes
from shared.types import KbliCode, Nib
from sqlmodel import Field, SQLModel

from inspection.db import Base

Smk3Status = Literal["none", "initial", "transitional", "advanced"]


class CompanyBase(SQLModel):
    """Fields of a company as in its WLKP report (wajib lapor ketenagakerjaan)."""

    nib: Nib
    name: Text = Field(min_length=1, max_length=200)
    kbli_code: KbliCode
    kbli_version: Literal["2020", "2025"] = Field(default="2020", sa_type=sa.String(4))
    region_code: RegionCode = Field(
        description="Kemendagri regency code of the workplace, e.g. 32.16"
    )
    workers_male: int = Field(ge=0, le=10_000_000)
    workers_female: int = Field(ge=0, le=10_000_000)
    address: Text | None = Field(default=None, max_length=500)
    p2k3_committee: bool | None = Field(
        default=None, description="Has a K3 committee (P2K3); null when not reported"
    )
    smk3_status: Smk3Status | None = Field(
        default=None,
        sa_type=sa.String(16),
        description="SMK3 (PP 50/2012) level reached: none, initial (awal), "
        "transitional (transisi), advanced (lanjutan)",
    )


class CompanyCreate(CompanyBase):
    """A company as pushed by a region (upsert by ``nib``)."""

    model_config = STRICT_INPUT


class CompanyPublic(RecordPublic, CompanyBase):
    """A company as read back."""


class Company(Base, RecordFields, CompanyBase, table=True):
    """The companies table (``external_id`` is the NIB)."""

    __tablename__ = "companies"
    __table_args__ = (
        *record_indexes("companies"),
        sa.UniqueConstraint("source_client", "external_id"),
        sa.Index("ix_companies_nib_region", "nib", "region_code"),
    )
