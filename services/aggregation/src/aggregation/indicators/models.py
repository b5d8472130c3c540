"""Response models of the indicators API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

Status = Literal["reported", "not_reported", "suppressed"]


class IndicatorPublic(BaseModel):
    """A catalogue entry as the API shows it."""

    code: str = Field(examples=["job_seekers_registered"])
    name_id: str = Field(description="Name in Indonesian")
    name_en: str = Field(description="Name in English")
    definition_id: str = Field(description="Definition in Indonesian")
    definition_en: str = Field(description="Definition in English")
    unit: str = Field(examples=["persons"])
    domain: str = Field(examples=["job_market"])
    dimensions: list[str] = Field(
        default_factory=list,
        description="What the indicator can be broken down by (by=)",
        examples=[["sex", "age_band"]],
    )


class IndicatorValue(TypedDict):
    """One indicator's value for one area, period and breakdown."""

    # A typed dict, not a model or a dataclass: an answer holds up to 10,000 values, computed
    # by the service with these types, so they are built without validation (pydantic still
    # reads the fields for the schema and writes the JSON), and pydantic writes a dict's JSON
    # about twice as fast as a dataclass's.

    indicator: Annotated[str, Field(examples=["job_seekers_registered"])]
    region_code: Annotated[
        str,
        Field(
            description="Regency (32.16), province (32, sum of its regencies) or ID (nation)",
            examples=["32.16"],
        ),
    ]
    region_name: Annotated[str, Field(description="The area's name", examples=["Kabupaten Bekasi"])]
    period: Annotated[
        str,
        Field(
            description="Month (YYYY-MM), quarter (YYYY-Qn) or year (YYYY)", examples=["2026-03"]
        ),
    ]
    dimensions: Annotated[
        dict[str, str],
        Field(
            description="The breakdown this value is for (by=): dimension name to value; empty "
            "for the total",
            examples=[{"sex": "F", "age_band": "20-24"}],
        ),
    ]
    value: Annotated[
        int | float | None,
        Field(
            description="0 where nothing was recorded; null for a ratio whose denominator is 0, "
            "and for a value that is suppressed or not reported"
        ),
    ]
    status: Annotated[
        Status,
        Field(
            description="reported; not_reported (the region sent nothing of the indicator's "
            "domain for the period and did not close it); suppressed (a small count hidden to "
            "protect the people counted)",
        ),
    ]


class IndicatorValues(BaseModel):
    """Values for every requested indicator, region, period and breakdown."""

    as_of: datetime | None = Field(
        default=None, description="When the newest event the values reflect happened"
    )
    values: list[IndicatorValue]


_ENCODER = msgspec.json.Encoder()


def answer_json(answer: IndicatorValues) -> bytes:
    """The answer's JSON, as the declared model's schema describes it. Written by msgspec:
    about four times faster than pydantic for these plain values (an answer of the whole
    catalogue is 200,000 of them), and the service built them of the declared types."""
    return _ENCODER.encode({"as_of": answer.as_of, "values": answer.values})
