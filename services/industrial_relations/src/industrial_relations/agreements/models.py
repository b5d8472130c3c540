"""Agreement models: registered collective labour agreements (PKB, perjanjian kerja bersama)
and company regulations (PP, peraturan perusahaan).

A PKB is valid for at most 2 years and may be extended once by at most 1 year (UU 13/2003 art.
123, as amended): at most 3 years in all. A PP is valid for at most 2 years (art. 111). Both
ends of the validity are inclusive.
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from pydantic import ValidationInfo, field_validator
from shared.events.industrial_relations import AgreementKind
from shared.input import MAX_INT, STRICT_INPUT, ExternalId, IsoDate, PastDate, RegionCode
from shared.records import RecordFields, RecordPublic, record_indexes
from shared.types import Nib
from sqlmodel import Field, SQLModel

from industrial_relations.db import Base

LONGEST_YEARS: dict[str, int] = {"pkb": 3, "pp": 2}
"""The longest validity of each kind, in years (see the module's description)."""


class AgreementBase(SQLModel):
    """Fields of a registered PKB or PP."""

    external_id: ExternalId
    employer_nib: Nib
    region_code: RegionCode = Field(description="Kemendagri regency code that registered it")
    kind: AgreementKind = Field(
        sa_type=sa.String(4), description="pkb (collective agreement) or pp (company regulation)"
    )
    registered_at: PastDate
    valid_from: IsoDate
    valid_until: IsoDate = Field(description="Last day in force (inclusive)")
    workers_covered: int = Field(ge=1, le=MAX_INT)


class AgreementCreate(AgreementBase):
    """A PKB or PP registration as pushed by a region (upsert by ``external_id``)."""

    model_config = STRICT_INPUT

    @field_validator("valid_until")
    @classmethod
    def _within_the_law(cls, value: date, info: ValidationInfo) -> date:
        start, kind = info.data.get("valid_from"), info.data.get("kind")
        if start is None:
            return value
        if value < start:
            raise ValueError("valid_until is before valid_from")
        years = LONGEST_YEARS.get(str(kind))
        if years is not None and value >= _years_after(start, years):
            raise ValueError(f"a {kind} is valid for at most {years} years")
        return value


def _years_after(day: date, years: int) -> date:
    """The same day ``years`` later (28 February for a 29 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


class AgreementPublic(RecordPublic, AgreementBase):
    """A PKB or PP registration as read back."""


class Agreement(Base, RecordFields, AgreementBase, table=True):
    """The agreements table."""

    __tablename__ = "agreements"
    __table_args__ = (
        *record_indexes("agreements"),
        sa.UniqueConstraint("source_client", "external_id"),
        sa.Index("ix_agreements_region_valid", "region_code", "valid_from"),
    )
