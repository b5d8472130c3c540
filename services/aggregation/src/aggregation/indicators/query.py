"""The ``/values`` query parameters: split, validated and normalised, or a 422 naming the field.

Each parameter may be repeated and each value may be a comma-separated list, so
``region=32.16&region=32.73`` and ``region=32.16,32.73`` ask for the same thing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from shared.errors import FieldError, field_error, validation_problem
from shared.regions import RegionRegistry

from aggregation.indicators.areas import parse_areas
from aggregation.indicators.catalogue import by_code
from aggregation.indicators.periods import Period, parse_periods

T = TypeVar("T")

MAX_CELLS = 10_000
"""Values one request may ask for (indicators × areas × months): an answer stays small and
fast; a bigger table is several requests, or an export."""


@dataclass(frozen=True, slots=True)
class ValuesQuery:
    """What to compute: every indicator for every area and period."""

    indicators: tuple[str, ...]
    areas: tuple[str, ...]
    periods: tuple[Period, ...]


def split_values(raw: Iterable[str] | None) -> list[str]:
    """Items of repeated and comma-separated parameter values, blanks dropped."""
    return [item.strip() for value in raw or () for item in value.split(",") if item.strip()]


def parse_indicators(items: Sequence[str]) -> list[str]:
    """Distinct known indicator codes, in the order asked."""
    if not items:
        raise ValueError("name at least one indicator code (see GET /api/v1/indicators)")
    known = by_code()
    unknown = [item for item in items if item not in known]
    if unknown:
        raise ValueError(f"unknown indicator {unknown[0]!r}; GET /api/v1/indicators lists them")
    return list(dict.fromkeys(items))


def parse_values_query(
    *,
    indicator: Iterable[str] | None,
    region: Iterable[str] | None,
    period: Iterable[str] | None,
    regions: RegionRegistry,
) -> ValuesQuery:
    """Validate the raw parameters; raise one 422 problem naming every bad one."""
    errors: list[FieldError] = []

    def parsed(name: str, parse: Callable[[], list[T]]) -> list[T]:
        try:
            return parse()
        except ValueError as exc:
            errors.append(field_error(name, str(exc)))
            return []

    indicators = parsed("indicator", lambda: parse_indicators(split_values(indicator)))
    areas = parsed("region", lambda: parse_areas(split_values(region), regions))
    periods = parsed("period", lambda: parse_periods(split_values(period)))
    cells = len(indicators) * len(areas) * len(periods)
    too_many = cells > MAX_CELLS
    if too_many:
        errors.append(
            field_error(
                "query",
                f"this asks for {cells} values ({len(indicators)} indicators x {len(areas)} "
                f"areas x {len(periods)} months); at most {MAX_CELLS} per request: ask for "
                "fewer indicators, regions or periods, or split the request",
            )
        )
    if errors:
        problem = validation_problem(errors)
        if too_many:
            # The summary says how to narrow, not only which field is wrong.
            problem.detail = f"{problem.detail}. {errors[-1].detail}"
        raise problem
    return ValuesQuery(tuple(indicators), tuple(areas), tuple(periods))
