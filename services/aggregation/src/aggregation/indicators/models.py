"""Response models of the indicators API."""

from __future__ import annotations

from pydantic import BaseModel, Field


class IndicatorPublic(BaseModel):
    """A catalogue entry as the API shows it."""

    code: str = Field(examples=["job_seekers_registered"])
    name_id: str = Field(description="Name in Indonesian")
    name_en: str = Field(description="Name in English")
    definition_id: str = Field(description="Definition in Indonesian")
    definition_en: str = Field(description="Definition in English")
    unit: str = Field(examples=["persons"])
    domain: str = Field(examples=["job_market"])


class IndicatorValue(BaseModel):
    """One indicator's value for one area and month."""

    indicator: str = Field(examples=["job_seekers_registered"])
    region_code: str = Field(
        description="Regency (32.16), province (32, sum of its regencies) or ID (nation)",
        examples=["32.16"],
    )
    period: str = Field(description="Month, YYYY-MM", examples=["2026-03"])
    value: int | float | None = Field(
        description="0 where nothing was recorded; null for a ratio whose denominator is 0"
    )


class IndicatorValues(BaseModel):
    """Values for every requested indicator, region and period."""

    values: list[IndicatorValue]
