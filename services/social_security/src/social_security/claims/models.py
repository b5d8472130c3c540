"""Claim models: what BPJS or a region sends, what it reads back, and the table.

A claim is always on one program of one membership of the same client; it takes its region
and person from that membership.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Literal

import sqlalchemy as sa
from pydantic import field_validator
from shared.events.social_security import Program
from shared.input import STRICT_INPUT, ExternalId, IsoDate, Text
from shared.records import RecordFields, RecordPublic, record_indexes
from sqlmodel import Field, SQLModel

from social_security.db import Base
from social_security.memberships.models import MAX_IDR

ClaimStatus = Literal["submitted", "approved", "paid", "rejected"]


class ClaimBase(SQLModel):
    """Fields of a claim."""

    external_id: ExternalId
    program: Program = Field(sa_type=sa.String(3))
    claimed_at: IsoDate
    amount_idr: int = Field(ge=0, le=MAX_IDR, sa_type=sa.BigInteger)
    status: ClaimStatus = Field(default="submitted", sa_type=sa.String(16))


class ClaimCreate(ClaimBase):
    """A claim as pushed by BPJS or a region (upsert by ``external_id``)."""

    model_config = STRICT_INPUT

    membership_external_id: Text = Field(
        min_length=1, max_length=64, description="external_id of this client's membership"
    )

    @field_validator("claimed_at")
    @classmethod
    def _not_in_future(cls, value: date) -> date:
        if value > date.today():
            raise ValueError("claimed_at lies in the future")
        return value


class ClaimPublic(RecordPublic, ClaimBase):
    """A claim as read back."""

    membership_id: uuid.UUID
    region_code: str


class Claim(Base, RecordFields, ClaimBase, table=True):
    """The claims table."""

    __tablename__ = "claims"
    __table_args__ = (
        *record_indexes("claims"),
        sa.UniqueConstraint("source_client", "external_id"),
        sa.Index("ix_claims_region_claimed", "region_code", "claimed_at"),
    )

    region_code: str
    membership_id: uuid.UUID = Field(foreign_key="memberships.id", index=True)
    person_ref: str = Field(max_length=64, index=True)
