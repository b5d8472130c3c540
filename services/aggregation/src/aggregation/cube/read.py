"""Reading the cube: a measure's values per requested area, month and breakdown.

A flow's cells are per regency: a province and the nation are summed from them in the query.
A stock's cells are kept per area as monthly changes: the stock of a month is the sum of the
changes up to it. Either way the work depends on the areas, months and breakdown asked, not on
how many records the cube was built from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from aggregation.cube.cells import CubeMeasure, Stock
from aggregation.indicators.periods import Period
from aggregation.projections.tables import cube_cells

Dims = tuple[str, ...]
CubeTotals = dict[tuple[str, date, Dims], int | float]
"""Value per (area, first day of the month, the breakdown's dimension values); absent: 0.
(Keys of built-in types: an answer looks up to hundreds of thousands of them.)"""


async def read_totals(
    session: AsyncSession,
    measures: Sequence[CubeMeasure],
    *,
    areas: Mapping[str, frozenset[str] | None],
    periods: Sequence[Period],
    grouping: str = "",
) -> dict[str, CubeTotals]:
    """Each measure's values (by key) for every area (its regencies; None: the nation) and
    month: the flows in one statement per area level, the stocks in one."""
    totals: dict[str, CubeTotals] = {measure.key: {} for measure in measures}
    stocks = [m.key for m in measures if isinstance(m, Stock)]
    flows = [m.key for m in measures if not isinstance(m, Stock)]
    if stocks:
        await _stock(session, totals, stocks, list(areas), periods, grouping)
    if flows:
        await _flow(session, totals, flows, areas, periods, grouping)
    return totals


def _months(periods: Sequence[Period]) -> list[Period]:
    return sorted(set(periods))


def _texts(name: str, values: Sequence[str]) -> sa.BindParameter[Any]:
    """A list bound as one array parameter: the statement is the same whatever the list, so
    it is compiled once and its plan reused."""
    return sa.bindparam(name, list(values), type_=ARRAY(sa.Text))


async def _flow(
    session: AsyncSession,
    totals: dict[str, CubeTotals],
    keys: Sequence[str],
    areas: Mapping[str, frozenset[str] | None],
    periods: Sequence[Period],
    grouping: str,
) -> None:
    cells = cube_cells.c
    months = _months(periods)
    asked = {p.start for p in months}
    scope = (
        cells.measure == sa.func.any(_texts("measures", keys)),
        cells.grouping == grouping,
        cells.month >= months[0].start,
        cells.month < months[-1].end,
    )
    nation = [area for area, regencies in areas.items() if regencies is None]
    if nation:
        stmt = (
            sa.select(cells.measure, cells.month, cells.dims, sa.func.sum(cells.value))
            .where(*scope)
            .group_by(cells.measure, cells.month, cells.dims)
        )
        for key, month, dims, value in await session.execute(stmt):
            if month in asked:
                for area in nation:
                    totals[key][(area, month, tuple(dims))] = int(value)
    # A regency asked for itself: its cells as they are, no sum to form.
    own = [area for area, regencies in areas.items() if regencies == frozenset((area,))]
    if own:
        stmt = sa.select(cells.measure, cells.area, cells.month, cells.dims, cells.value).where(
            *scope, cells.area == sa.func.any(_texts("own", own))
        )
        for key, area, month, dims, value in await session.execute(stmt):
            if month in asked:
                totals[key][(area, month, tuple(dims))] = int(value)
    pairs = [
        (area, regency)
        for area, regencies in areas.items()
        if regencies is not None and regencies != frozenset((area,))
        for regency in sorted(regencies)
    ]
    if pairs:
        members = (
            sa.func.unnest(
                _texts("member_areas", [a for a, _ in pairs]),
                _texts("member_regencies", [r for _, r in pairs]),
            )
            .table_valued("area", "regency")
            .render_derived(name="members")
        )
        stmt = (
            sa.select(
                cells.measure, members.c.area, cells.month, cells.dims, sa.func.sum(cells.value)
            )
            .select_from(cube_cells.join(members, members.c.regency == cells.area))
            .where(*scope)
            .group_by(cells.measure, members.c.area, cells.month, cells.dims)
        )
        for key, area, month, dims, value in await session.execute(stmt):
            if month in asked:
                totals[key][(area, month, tuple(dims))] = int(value)


async def _stock(
    session: AsyncSession,
    totals: dict[str, CubeTotals],
    keys: Sequence[str],
    areas: Sequence[str],
    periods: Sequence[Period],
    grouping: str,
) -> None:
    cells = cube_cells.c
    months = (
        sa.func.unnest(
            sa.bindparam("months", [p.start for p in _months(periods)], type_=ARRAY(sa.Date))
        )
        .table_valued("first_day")
        .render_derived(name="months")
    )
    stmt = (
        sa.select(
            cells.measure, cells.area, months.c.first_day, cells.dims, sa.func.sum(cells.value)
        )
        .select_from(cube_cells.join(months, cells.month <= months.c.first_day))
        .where(
            cells.measure == sa.func.any(_texts("measures", keys)),
            cells.grouping == grouping,
            cells.area == sa.func.any(_texts("areas", areas)),
        )
        .group_by(cells.measure, cells.area, months.c.first_day, cells.dims)
    )
    for key, area, month, dims, value in await session.execute(stmt):
        totals[key][(area, month, tuple(dims))] = int(value)
