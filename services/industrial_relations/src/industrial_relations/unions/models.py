"""Union models: trade unions (serikat pekerja/serikat buruh, UU 21/2000) recorded by the
regional labour office, with their current membership count."""

from __future__ import annotations

import sqlalchemy as sa
from shared.input import MAX_INT, STRICT_INPUT, ExternalId, PastDate, RegionCode, Text
from shared.records import RecordFields, RecordPublic, record_indexes
from shared.types import Nib
from sqlmodel import Field, SQLModel

from industrial_relations.db import Base


class UnionBase(SQLModel):
    """Fields of a union's record."""

    external_id: ExternalId
    name: Text = Field(min_length=1, max_length=200)
    region_code: RegionCode = Field(description="Kemendagri regency code that recorded it")
    registered_at: PastDate = Field(description="Recorded by the labour office (nomor bukti)")
    members: int = Field(ge=0, le=MAX_INT, description="Current number of members")
    employer_nib: Nib | None = Field(
        default=None, description="The company of a company-level union (SP/SB di perusahaan)"
    )
    federation: Text | None = Field(
        default=None, max_length=200, description="The federation or confederation it belongs to"
    )


class UnionCreate(UnionBase):
    """A union's record as pushed by a region (upsert by ``external_id``)."""

    model_config = STRICT_INPUT


class UnionPublic(RecordPublic, UnionBase):
    """A union's record as read back."""


class Union(Base, RecordFields, UnionBase, table=True):
    """The unions table."""

    __tablename__ = "unions"
    __table_args__ = (
        *record_indexes("unions"),
        sa.UniqueConstraint("source_client", "external_id"),
        sa.Index("ix_unions_region_registered", "region_code", "registered_at"),
    )
