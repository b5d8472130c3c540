"""Which published counts a reader may see exactly, and which are suppressed for them.

A reader with the scope ``indicators:read-exact`` (the ministry) sees every value. Any other
reader sees its own regions' regencies exactly; for every other area, counts of people or
records from 1 to k - 1 (``Indicator.min_count``, 5 by default) are suppressed, with the
secondary suppressions ``disclosure.suppress`` adds so that no hidden cell can be recovered by
subtraction along the region hierarchy (regency, province, nation) or the breakdown's margins.

The pattern is computed on the whole table of the measure for the period (every regency,
province and the nation, the total and every breakdown the measure has), never on the cells
one request happens to ask for, so no two requests can be subtracted from each other to undo
it. (The cost grows with the non-zero cells of that table, not with the records.) A ratio is
suppressed when its numerator or denominator is. Sums that are not counts (rupiah, positions)
are not suppressed.

A distinct-person stock is not additive along the hierarchy (one person, two regencies), so its
pattern protects each area's breakdown margins only.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import TypeGuard

import sqlalchemy as sa
from shared.auth import Principal
from shared.regions import RegionRegistry
from sqlalchemy.ext.asyncio import AsyncSession

from aggregation.cube.cells import (
    CubeMeasure,
    DistinctPersons,
    Flow,
    Stock,
    grouping_name,
    groupings,
)
from aggregation.cube.measures import cube_measure
from aggregation.indicators.disclosure import Dims, Table, hierarchy_table, suppress
from aggregation.indicators.periods import Span
from aggregation.projections.tables import cube_years

EXACT_SCOPE = "indicators:read-exact"


def exact_areas(principal: Principal | None, regions: RegionRegistry) -> frozenset[str] | None:
    """The areas ``principal`` reads exactly: None for all of them (the exact scope, a national
    client (regions ``*``), or no principal: an internal caller); else its own regencies."""
    if principal is None or EXACT_SCOPE in principal.scopes or "*" in principal.regions:
        return None
    return frozenset(r for r in principal.regions if r in regions.regencies)


def protected(key: str) -> bool:
    """Whether a measure's values are counts that disclosure control applies to."""
    measure = cube_measure(key)
    return isinstance(measure, DistinctPersons) or measure.summed is None


@dataclass
class Suppressions:
    """Suppressed cells per measure and period, computed once per request."""

    regions: RegionRegistry
    by: tuple[str, ...]
    hidden: dict[tuple[str, str, int], frozenset[tuple[str, Dims]]] = field(default_factory=dict)

    async def prepare(
        self, session: AsyncSession, *, key: str, spans: Sequence[Span], k: int
    ) -> None:
        """Compute the pattern of measure ``key`` for each period (if not done yet)."""
        todo = [span for span in spans if (key, str(span), k) not in self.hidden]
        if not todo:
            return
        measure = cube_measure(key)
        # Every breakdown the measure can be read by shares one pattern: a pattern made for
        # one breakdown alone could be undone by subtracting another's published cells.
        names = [",".join(d.name for d in g) for g in groupings(measure.dimensions)]
        cells = await _all_cells(session, key, names, todo)
        for span in todo:
            values = _span_values(measure, cells, span)
            self.hidden[(key, str(span), k)] = _pattern(measure, values, k)

    def is_hidden(self, key: str, span: Span, k: int, area: str, dims: Sequence[str]) -> bool:
        """Whether the measure's cell for ``area`` and the breakdown values ``dims`` is
        suppressed in ``span``."""
        pairs = tuple(zip(self.by, dims, strict=True))
        return (area, _canonical(pairs)) in self.hidden[(key, str(span), k)]


def _canonical(pairs: Iterable[tuple[str, str]]) -> Dims:
    """Dimension pairs in the cube's grouping order (the order ``grouping_name`` gives)."""
    pairs = list(pairs)
    order = grouping_name([name for name, _ in pairs]).split(",") if pairs else []
    by_name = dict(pairs)
    return tuple((name, by_name[name]) for name in order)


CellRows = dict[tuple[str, str, tuple[str, ...]], dict[str, int]]
"""(grouping, area, dims) -> {first day of month as ISO text: value} for one measure."""


async def _all_cells(
    session: AsyncSession, key: str, groupings: Sequence[str], spans: Sequence[Span]
) -> CellRows:
    months = sorted({m for span in spans for m in span.months})
    first, end = months[0].start, months[-1].end
    stock = isinstance(cube_measure(key), Stock)
    c = cube_years.c
    stmt = sa.select(c.grouping, c.area, c.dims, c.year, c.months).where(
        c.measure == key,
        c.grouping.in_(list(groupings)),
        c.year <= months[-1].start.year,
    )
    if not stock:
        stmt = stmt.where(c.year >= first.year)
    out: CellRows = defaultdict(dict)
    for grouping, area, dims, year, values in await session.execute(stmt):
        row = out[(grouping, area, tuple(dims))]
        for number, value in enumerate(values, start=1):
            month = date(year, number, 1)
            if value and month < end and (stock or month >= first):
                row[month.isoformat()] = row.get(month.isoformat(), 0) + int(value)
    return out


def _span_values(measure: CubeMeasure, cells: CellRows, span: Span) -> dict[tuple[str, Dims], int]:
    """The measure's count per (area, dims) over ``span``, for every area (regency, province,
    nation: each has its cells): a flow summed over the months, a stock at the period's last
    month (the sum of its changes up to it)."""
    values: dict[tuple[str, Dims], int] = defaultdict(int)
    last = span.last.start.isoformat()
    wanted = {m.start.isoformat() for m in span.months}
    for (grouping, area, dims), by_month in cells.items():
        names = grouping.split(",") if grouping else []
        key = (area, _canonical(zip(names, dims, strict=True)))
        if isinstance(measure, Stock):
            values[key] += sum(v for month, v in by_month.items() if month <= last)
            continue
        values[key] += sum(v for month, v in by_month.items() if month in wanted)
    return {key: value for key, value in values.items() if value}


def _pattern(
    measure: CubeMeasure, values: Mapping[tuple[str, Dims], int], k: int
) -> frozenset[tuple[str, Dims]]:
    if isinstance(measure, Flow):
        return _area_keys(suppress(hierarchy_table(values), k=k))
    # A stock: each area's breakdown margins only (no hierarchy).
    hidden: set[tuple[str, Dims]] = set()
    by_area: dict[str, dict[tuple[str, Dims], int]] = defaultdict(dict)
    for (area, dims), value in values.items():
        by_area[area][(area, dims)] = value
    for cells in by_area.values():
        table: Table = hierarchy_table(cells, parent_of=lambda _: None)
        try:
            hidden |= _area_keys(suppress(table, k=k))
        except ValueError:
            # Breakdowns that do not add up (a person recorded with two sexes): hide every
            # cell of the area's breakdown if any is small.
            if any(1 <= v < k for v in cells.values()):
                hidden |= set(cells)
    return frozenset(hidden)


def _area_keys(keys: Iterable[object]) -> frozenset[tuple[str, Dims]]:
    """The hidden keys as the (area, dims) pairs ``hierarchy_table`` was given."""
    return frozenset(key for key in keys if _is_area_key(key))


def _is_area_key(key: object) -> TypeGuard[tuple[str, Dims]]:
    return isinstance(key, tuple) and len(key) == 2 and isinstance(key[0], str)
