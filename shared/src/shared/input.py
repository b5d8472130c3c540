"""Strict input: the field types and model settings every request body is validated with.

A typo in a field name must not be silently dropped, and JSON types are not coerced: strings stay
strings, numbers numbers, booleans booleans, and a date is an ISO 8601 ``YYYY-MM-DD`` string only.
Text is bounded and carries no NUL and no lone UTF-16 surrogate (PostgreSQL stores neither);
integers fit their BIGINT/INTEGER columns; lists are bounded. ``tests`` check that every input
model of every service uses these, so a new field cannot forget a bound.

FastAPI validates a parsed JSON body in pydantic's Python mode, where ``strict=True`` would
refuse a date string; ``IsoDate`` therefore parses the string itself before the strict check.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, Field
from sqlmodel._compat import SQLModelConfig

# SQLModel's own config type (a pydantic ConfigDict), so SQLModel input classes may use it.
STRICT_INPUT = SQLModelConfig(extra="forbid", strict=True, allow_inf_nan=False)
"""``model_config`` of every request body model (mix in with ``model_config = STRICT_INPUT``)."""

# PostgreSQL column ranges: an out-of-range number is a 422, never a database error.
MAX_INT = 2**31 - 1
MAX_BIGINT = 2**63 - 1
MAX_LIST = 1000
"""The default upper bound of a list in a request body."""

_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def clean_text(value: str) -> str:
    """Refuse NUL and lone surrogates: PostgreSQL cannot store them, and they are never data."""
    if "\x00" in value:
        raise ValueError("text may not contain the NUL character (\\u0000)")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("text may not contain a lone UTF-16 surrogate") from exc
    return value


def _iso_date(value: Any) -> Any:
    if isinstance(value, date):  # read back from the database
        return value
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError("a date is an ISO 8601 string YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise ValueError(f"{value} is not a calendar date") from exc


Text = Annotated[str, AfterValidator(clean_text)]
"""Free text; give each field its ``max_length``."""

IsoDate = Annotated[date, BeforeValidator(_iso_date)]
"""A calendar date sent as ``YYYY-MM-DD`` (no timestamps, no other formats)."""


def _not_in_future(value: date) -> date:
    if value > date.today():
        raise ValueError("the date lies in the future")
    return value


PastDate = Annotated[date, BeforeValidator(_iso_date), AfterValidator(_not_in_future)]
"""An ``IsoDate`` of something that has happened: today or earlier."""

ExternalId = Annotated[
    str,
    Field(min_length=1, max_length=64, description="The record's id in the sending system"),
    AfterValidator(clean_text),
]
"""The id a regional system gives its own record (the upsert key)."""

RegionCode = Annotated[
    str,
    Field(
        min_length=2,
        max_length=8,
        description="Kemendagri regency code, e.g. 32.16 (3216 accepted)",
    ),
    AfterValidator(clean_text),
]
"""A regency code as sent; normalised and checked against the reference data by the rules."""
