"""Response models of the indicators API."""

from __future__ import annotations

import functools
from datetime import datetime
from typing import Annotated, Any, Literal

import msgspec
from pydantic import BaseModel, Field, GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

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


class IndicatorValue(msgspec.Struct, frozen=True, gc=False):
    """One indicator's value for one area, period and breakdown."""

    # A msgspec struct, not a pydantic model or a dict: an answer holds up to 10,000 values,
    # computed by the service with these types, so they are built without validation and
    # written by msgspec (``answer_json``); a struct is built about four times faster than a
    # dict and, holding no cycles, is never walked by the garbage collector (gc=False).
    # pydantic takes its JSON schema from msgspec for the OpenAPI document.

    indicator: Annotated[str, msgspec.Meta(examples=["job_seekers_registered"])]
    region_code: Annotated[
        str,
        msgspec.Meta(
            description="Regency (32.16), province (32, sum of its regencies) or ID (nation)",
            examples=["32.16"],
        ),
    ]
    region_name: Annotated[
        str, msgspec.Meta(description="The area's name", examples=["Kabupaten Bekasi"])
    ]
    period: Annotated[
        str,
        msgspec.Meta(
            description="Month (YYYY-MM), quarter (YYYY-Qn) or year (YYYY)", examples=["2026-03"]
        ),
    ]
    dimensions: Annotated[
        dict[str, str],
        msgspec.Meta(
            description="The breakdown this value is for (by=): dimension name to value; empty "
            "for the total",
            examples=[{"sex": "F", "age_band": "20-24"}],
        ),
    ]
    value: Annotated[
        int | float | None,
        msgspec.Meta(
            description="0 where nothing was recorded; null for a ratio whose denominator is 0, "
            "and for a value that is suppressed or not reported"
        ),
    ]
    status: Annotated[
        Status,
        msgspec.Meta(
            description="reported; not_reported (the region sent nothing of the indicator's "
            "domain for the period and did not close it); suppressed (a small count hidden to "
            "protect the people counted)",
        ),
    ]

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        # Instances as they are (the service built them), written as msgspec writes them.
        return core_schema.is_instance_schema(
            cls,
            serialization=core_schema.plain_serializer_function_ser_schema(msgspec.to_builtins),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return _value_schema()


@functools.cache
def _value_schema() -> dict[str, Any]:
    """msgspec's JSON schema of ``IndicatorValue`` (an object schema, no references)."""
    _, components = msgspec.json.schema_components([IndicatorValue])
    schema: dict[str, Any] = components["IndicatorValue"]
    return schema


class IndicatorValues(BaseModel):
    """Values for every requested indicator, region, period and breakdown."""

    as_of: datetime | None = Field(
        default=None, description="When the newest event the values reflect happened"
    )
    values: list[IndicatorValue]


_ENCODER = msgspec.json.Encoder()


def answer_json(answer: IndicatorValues) -> bytes:
    """The answer's JSON, as the declared models' schema describes it, written by msgspec (an
    answer of the whole catalogue is over 200,000 values, in requests of 10,000)."""
    return _ENCODER.encode({"as_of": answer.as_of, "values": answer.values})
