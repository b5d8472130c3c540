"""Reporting areas: a regency (``32.16``), a province (``32``) or the nation (``ID``).

Projections store the regency of each record; a province's value is the sum over its
regencies and the nation's the sum over every record, for every additive measure (counts and
sums). Ratios are formed after summing, never by averaging regency ratios. A stock of distinct
persons is not additive and is counted per area instead (``measures.MonthEndStock``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from shared.regions import NATIONAL, RegionRegistry

from aggregation.indicators.periods import Period

Number = int | float


EVERY_PROVINCE = "*"
EVERY_REGENCY_OF = ".*"


def parse_areas(items: Iterable[str], regions: RegionRegistry) -> list[str]:
    """Canonical, distinct area codes (``3216`` becomes ``32.16``); none given means the nation.

    ``*`` stands for every province and ``32.*`` for every regency of province 32.
    """
    found: dict[str, None] = {}
    for item in items:
        item = item.strip()
        if item == EVERY_PROVINCE:
            found.update(dict.fromkeys(sorted(regions.provinces)))
            continue
        if item.endswith(EVERY_REGENCY_OF):
            province = item.removesuffix(EVERY_REGENCY_OF)
            if province not in regions.provinces:
                raise ValueError(f"{item!r}: {province!r} is not a known province code (32)")
            found.update(dict.fromkeys(regions.regencies_in(province)))
            continue
        canonical = regions.normalise_area(item)
        if canonical is None:
            raise ValueError(
                f"{item!r} is not a known regency (32.16 or 3216), province (32), every "
                "regency of a province (32.*), every province (*) or ID"
            )
        found[canonical] = None
    return list(found) or [NATIONAL]


def area_regencies(area: str, regions: RegionRegistry) -> frozenset[str] | None:
    """The regencies an area adds up; None for the nation (every record counts)."""
    if area == NATIONAL:
        return None
    return frozenset(regions.regencies_in(area))


def regency_filter(
    members: Mapping[str, frozenset[str] | None],
) -> list[str] | None:
    """Regencies a query must read to answer every area; None when the nation is asked."""
    if any(regencies is None for regencies in members.values()):
        return None
    return sorted(set().union(*(r for r in members.values() if r is not None)))


def rollup(
    rows: Iterable[tuple[str, Period, Number]],
    members: Mapping[str, frozenset[str] | None],
    periods: Iterable[Period],
) -> dict[tuple[str, Period], Number]:
    """Sum per-regency monthly values into each area and period; 0 where nothing was recorded."""
    totals: dict[tuple[str, Period], Number] = {
        (area, period): 0 for area in members for period in periods
    }
    everywhere = [area for area, regencies in members.items() if regencies is None]
    areas_of: dict[str, list[str]] = {}
    for area, regencies in members.items():
        for regency in regencies or ():
            areas_of.setdefault(regency, []).append(area)
    for regency, period, value in rows:
        for area in (*everywhere, *areas_of.get(regency, ())):
            key = (area, period)
            if key in totals:
                totals[key] += value
    return totals
