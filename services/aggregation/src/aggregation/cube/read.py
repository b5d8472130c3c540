"""Reading the cube: a measure's values per requested area, month and breakdown.

Every area (regency, province, nation) has cells of its own (``cells``): a flow's value of a
month is its cell, a stock's the sum of its monthly changes up to the month. Either way the
work depends on the areas, months and breakdown asked, not on how many records the cube was
built from, nor on how many regencies an area holds.
"""

from __future__ import annotations

from collections.abc import Sequence
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
    areas: Sequence[str],
    periods: Sequence[Period],
    grouping: str = "",
) -> dict[str, CubeTotals]:
    """Each measure's values (by key) for every area (a regency, a province or ``ID``) and
    month: the flows in one statement, the stocks in one."""
    totals: dict[str, CubeTotals] = {measure.key: {} for measure in measures}
    stocks = [m.key for m in measures if isinstance(m, Stock)]
    flows = [m.key for m in measures if not isinstance(m, Stock)]
    if stocks:
        await _stock(session, totals, stocks, areas, periods, grouping)
    if flows:
        await _flow(session, totals, flows, areas, periods, grouping)
    return totals


def _months(periods: Sequence[Period]) -> list[Period]:
    return sorted(set(periods))


def texts(name: str, values: Sequence[str]) -> sa.BindParameter[Any]:
    """A list bound as one array parameter: the statement is the same whatever the list, so
    it is compiled once and its plan reused."""
    return sa.bindparam(name, list(values), type_=ARRAY(sa.Text))


async def _flow(
    session: AsyncSession,
    totals: dict[str, CubeTotals],
    keys: Sequence[str],
    areas: Sequence[str],
    periods: Sequence[Period],
    grouping: str,
) -> None:
    cells = cube_cells.c
    months = _months(periods)
    asked = {p.start for p in months}
    # The months as a range: one index range per (measure, area); the months in it that
    # were not asked (periods apart) are left out here.
    stmt = sa.select(cells.measure, cells.area, cells.month, cells.dims, cells.value).where(
        cells.measure == sa.func.any(texts("measures", keys)),
        cells.grouping == grouping,
        cells.area == sa.func.any(texts("areas", areas)),
        cells.month >= months[0].start,
        cells.month < months[-1].end,
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
            cells.measure == sa.func.any(texts("measures", keys)),
            cells.grouping == grouping,
            cells.area == sa.func.any(texts("areas", areas)),
        )
        .group_by(cells.measure, cells.area, months.c.first_day, cells.dims)
    )
    for key, area, month, dims, value in await session.execute(stmt):
        totals[key][(area, month, tuple(dims))] = int(value)
