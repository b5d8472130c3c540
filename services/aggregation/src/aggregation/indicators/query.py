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

from aggregation.cube.cells import DIMENSIONS, MAX_GROUPING
from aggregation.indicators.areas import parse_areas
from aggregation.indicators.catalogue import by_code, dimensions_of
from aggregation.indicators.periods import Span, parse_periods

T = TypeVar("T")

MAX_CELLS = 10_000
"""Values one request may ask for (indicators × areas × months): an answer stays small and
fast; a bigger table is several requests, or an export."""


@dataclass(frozen=True, slots=True)
class ValuesQuery:
    """What to compute: every indicator for every area and period, broken down ``by``."""

    indicators: tuple[str, ...]
    areas: tuple[str, ...]
    periods: tuple[Span, ...]
    by: tuple[str, ...] = ()


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


def parse_by(items: Sequence[str], indicators: Sequence[str]) -> list[str]:
    """Distinct dimension names (at most ``MAX_GROUPING``) every indicator can be broken
    down by, in the order asked."""
    names = list(dict.fromkeys(items))
    known = {d.name for d in DIMENSIONS}
    unknown = [name for name in names if name not in known]
    if unknown:
        listed = ", ".join(d.name for d in DIMENSIONS)
        raise ValueError(f"unknown dimension {unknown[0]!r}; the dimensions are {listed}")
    if len(names) > MAX_GROUPING:
        raise ValueError(f"break down by at most {MAX_GROUPING} dimensions at once")
    for code in indicators:
        allowed = dimensions_of(code)
        missing = [name for name in names if name not in allowed]
        if missing:
            offered = ", ".join(allowed) or "none"
            raise ValueError(
                f"{code} cannot be broken down by {missing[0]} (its dimensions: {offered})"
            )
    return names


def parse_values_query(
    *,
    indicator: Iterable[str] | None,
    region: Iterable[str] | None,
    period: Iterable[str] | None,
    regions: RegionRegistry,
    by: Iterable[str] | None = None,
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
    dimensions = parsed("by", lambda: parse_by(split_values(by), indicators))
    cells = len(indicators) * len(areas) * len(periods)
    too_many = cells > MAX_CELLS
    if too_many:
        errors.append(
            field_error(
                "query",
                f"this asks for {cells} values ({len(indicators)} indicators x {len(areas)} "
                f"areas x {len(periods)} periods); at most {MAX_CELLS} per request: ask for "
                "fewer indicators, regions or periods, or split the request",
            )
        )
    if errors:
        problem = validation_problem(errors)
        if too_many:
            # The summary says how to narrow, not only which field is wrong.
            problem.detail = f"{problem.detail}. {errors[-1].detail}"
        raise problem
    return ValuesQuery(tuple(indicators), tuple(areas), tuple(periods), tuple(dimensions))
