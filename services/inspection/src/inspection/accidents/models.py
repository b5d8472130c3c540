"""Accident models: what a region sends, what it reads back, and the tables.

Victims live in a child table (``accident_victims``) with their NIK, name and ``person_ref``:
the NIK and name never leave this service, while ``person_ref`` (indexed) links a victim to
social-security memberships and lets a clerk find every accident of one person.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

import sqlalchemy as sa
from pydantic import field_validator
from shared.crypto import EncryptedText
from shared.input import STRICT_INPUT, ExternalId, IsoDate, RegionCode, Text
from shared.records import RecordFields, RecordPublic, record_indexes
from shared.types import KbliCode, Nib
from sqlmodel import Field, SQLModel

from inspection.db import Base

Outcome = Literal["recovered", "disability", "death"]
MAX_VICTIMS = 1000
"""The most victims one accident report names."""
Sex = Literal["M", "F"]


class VictimCreate(SQLModel):
    """A victim as sent: the NIK must agree with birth date and sex."""

    model_config = STRICT_INPUT

    nik: Text = Field(
        min_length=1, max_length=32, description="16-digit NIK; must agree with birth_date and sex"
    )
    full_name: Text = Field(min_length=1, max_length=200)
    birth_date: IsoDate
    sex: Sex


class VictimPublic(SQLModel):
    """A victim as read back: no part of the NIK."""

    full_name: str
    birth_date: IsoDate
    sex: Sex


class AccidentBase(SQLModel):
    """Fields of a workplace accident."""

    external_id: ExternalId
    company_nib: Nib
    region_code: RegionCode = Field(description="Kemendagri regency code of the workplace")
    occurred_at: IsoDate
    outcome: Outcome = Field(sa_type=sa.String(16), description="recovered, disability or death")
    lost_days: int | None = Field(default=None, ge=0, le=100_000)
    injury: Text | None = Field(default=None, max_length=500)
    kbli_code: KbliCode | None = Field(
        default=None, description="KBLI of the activity; the company's code when not sent"
    )


class AccidentCreate(AccidentBase):
    """An accident as pushed by a region (upsert by ``external_id``)."""

    model_config = STRICT_INPUT

    victims: list[VictimCreate] = Field(min_length=1, max_length=MAX_VICTIMS)

    @field_validator("occurred_at")
    @classmethod
    def _not_in_future(cls, value: date) -> date:
        if value > date.today():
            raise ValueError("occurred_at lies in the future")
        return value


class AccidentPublic(RecordPublic, AccidentBase):
    """An accident as read back, with its victims (NIKs masked)."""

    company_id: uuid.UUID
    victims: list[VictimPublic]


class Accident(Base, RecordFields, AccidentBase, table=True):
    """The accidents table; victims are in ``accident_victims``."""

    __tablename__ = "accidents"
    __table_args__ = (
        *record_indexes("accidents"),
        sa.UniqueConstraint("source_client", "external_id"),
        sa.Index("ix_accidents_region_occurred", "region_code", "occurred_at"),
    )

    company_id: uuid.UUID = Field(foreign_key="companies.id", index=True)


class Victim(Base, table=True):
    """The accident_victims table: one row per victim, in the order the region sent them."""

    __tablename__ = "accident_victims"
    __table_args__ = (sa.UniqueConstraint("accident_id", "person_ref"),)

    accident_id: uuid.UUID = Field(
        sa_column=sa.Column(
            sa.Uuid, sa.ForeignKey("accidents.id", ondelete="CASCADE"), primary_key=True
        )
    )
    position: int = Field(primary_key=True)
    nik: str = Field(sa_type=EncryptedText("nik"))
    full_name: str = Field(sa_type=EncryptedText("full_name"))
    birth_date: IsoDate
    sex: Sex = Field(sa_type=sa.String(1))
    person_ref: str = Field(max_length=64, index=True)
