"""Program-beneficiary models: what a region sends, what it reads back, and the table.

A beneficiary belongs to one of the caller's employment programs (``program_external_id``) and
takes its region; the NIK and name stay in this service (encrypted), ``person_ref`` links the
person to the job-seeker register.
"""

from __future__ import annotations

import uuid

import sqlalchemy as sa
from shared.crypto import EncryptedText
from shared.identifiers import Sex
from shared.input import STRICT_INPUT, ExternalId, IsoDate, PastDate, RegionCode, Text
from shared.records import RecordFields, RecordPublic, record_indexes
from sqlmodel import Field, SQLModel

from job_market.db import Base


class BeneficiaryBase(SQLModel):
    """Fields a regional system sends and may read back."""

    external_id: ExternalId
    full_name: Text = Field(min_length=1, max_length=200)
    birth_date: IsoDate
    sex: Sex = Field(sa_type=sa.String(1))
    joined_at: PastDate = Field(description="When the person joined; not before the program")


class BeneficiaryCreate(BeneficiaryBase):
    """A beneficiary as pushed by a region (upsert by ``external_id``)."""

    model_config = STRICT_INPUT

    program_external_id: Text = Field(
        min_length=1, max_length=64, description="external_id of this client's program"
    )
    nik: Text = Field(
        min_length=1, max_length=32, description="16-digit NIK; must agree with birth_date and sex"
    )


class BeneficiaryPublic(RecordPublic, BeneficiaryBase):
    """A beneficiary as read back: no part of the NIK, the region is the program's."""

    program_id: uuid.UUID
    region_code: str


class Beneficiary(Base, RecordFields, BeneficiaryBase, table=True):
    """The program_beneficiaries table."""

    __tablename__ = "program_beneficiaries"
    __table_args__ = (
        *record_indexes("program_beneficiaries"),
        sa.UniqueConstraint("source_client", "external_id"),
        sa.Index("ix_program_beneficiaries_region_joined", "region_code", "joined_at"),
    )

    program_id: uuid.UUID = Field(foreign_key="employment_programs.id", index=True)
    region_code: RegionCode = Field(description="The program's region, copied for scoping")
    program_kind: str = Field(sa_type=sa.String(24), description="The program's kind, copied")
    nik: str = Field(sa_type=EncryptedText("nik"))
    full_name: str = Field(sa_type=EncryptedText("full_name"))
    person_ref: str = Field(max_length=64, index=True)
