"""The ``/values`` query parameters: split, validated and normalised, or a 422 naming the field.

Each parameter may be repeated and each value may be a comma-separated list, so
``region=32.16&region=32.73`` and ``region=32.16,32.73`` ask for the same thing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from shared.errors import invalid
from shared.regions import RegionRegistry

from aggregation.indicators.areas import parse_areas
from aggregation.indicators.catalogue import by_code
from aggregation.indicators.periods import Period, parse_periods


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
    """Validate the raw parameters; raise a 422 problem naming the first bad one."""
    try:
        indicators = parse_indicators(split_values(indicator))
    except ValueError as exc:
        raise invalid("indicator", str(exc)) from exc
    try:
        areas = parse_areas(split_values(region), regions)
    except ValueError as exc:
        raise invalid("region", str(exc)) from exc
    try:
        periods = parse_periods(split_values(period))
    except ValueError as exc:
        raise invalid("period", str(exc)) from exc
    return ValuesQuery(tuple(indicators), tuple(areas), tuple(periods))
