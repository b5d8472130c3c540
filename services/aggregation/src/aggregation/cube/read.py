"""Reading the cube: a measure's values per requested area, month and breakdown.

Every area (regency, province, nation) has cells of its own (``cells``): a flow's value of a
month is its cell, a stock's the sum of its monthly changes up to the month. The cells are
fetched by the driver itself (``driver_rows``): an answer reads thousands of them. Either way the
work depends on the areas, months and breakdown asked, not on how many records the cube was
built from, nor on how many regencies an area holds.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from shared.db import driver_rows
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
    months = _months(periods)
    asked = {p.start for p in months}
    # The months as a range: one index range per (measure, area); the months in it that
    # were not asked (periods apart) are left out here.
    rows = await driver_rows(
        session, _cells(keys, areas, grouping, months[0].start, months[-1].end)
    )
    for key, area, month, dims, value in rows:
        if month in asked:
            totals[key][(area, month, tuple(dims))] = value


async def _stock(
    session: AsyncSession,
    totals: dict[str, CubeTotals],
    keys: Sequence[str],
    areas: Sequence[str],
    periods: Sequence[Period],
    grouping: str,
) -> None:
    # A stock at a month is the sum of its changes up to that month: each change is added to
    # the first asked month on or after it, and the asked months are summed in order. (The
    # database would sum every earlier change again for each asked month.)
    asked = [p.start for p in _months(periods)]
    rows = await driver_rows(session, _cells(keys, areas, grouping, None, _months(periods)[-1].end))
    changes: dict[tuple[str, str, Dims], list[int]] = {}
    for key, area, month, dims, value in rows:
        series = (key, area, tuple(dims))
        if series not in changes:
            changes[series] = [0] * len(asked)
        changes[series][bisect.bisect_left(asked, month)] += value
    for (key, area, dims), added in changes.items():
        level, found = 0, totals[key]
        for first_day, change in zip(asked, added, strict=True):
            level += change
            found[(area, first_day, dims)] = level


def _cells(
    keys: Sequence[str], areas: Sequence[str], grouping: str, first: date | None, end: date
) -> sa.Select[tuple[str, str, date, list[str], int]]:
    """The cells of the measures ``keys`` for ``areas`` and the breakdown ``grouping``, of
    the months from ``first`` (None: the first) to before ``end``."""
    cells = cube_cells.c
    stmt = sa.select(cells.measure, cells.area, cells.month, cells.dims, cells.value).where(
        cells.measure == sa.func.any(texts("measures", keys)),
        cells.grouping == grouping,
        cells.area == sa.func.any(texts("areas", areas)),
        cells.month < end,
    )
    return stmt if first is None else stmt.where(cells.month >= first)
