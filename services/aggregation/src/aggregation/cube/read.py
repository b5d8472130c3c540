"""Reading the cube: a measure's values per requested area, month and breakdown.

Every area (regency, province, nation) has cells of its own (``cells``): a flow's value of a
month is its cell, a stock's the sum of its monthly changes up to the month. The cells are
fetched by the driver itself (``driver_rows``): an answer reads thousands of them. Either way the
work depends on the areas, months and breakdown asked, not on how many records the cube was
built from, nor on how many regencies an area holds.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from shared.db import DriverSelect, driver_rows
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from aggregation.cube.cells import CubeMeasure, Stock
from aggregation.indicators.periods import Period
from aggregation.projections.tables import cube_cells

Dims = tuple[str, ...]
CubeTotals = dict[str, dict[tuple[date, Dims], int | float]]
"""Per area, the value per (first day of the month, the breakdown's dimension values);
absent: 0. (Keys of built-in types: an answer looks up to hundreds of thousands of them, an
area's at a time.)"""


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
    totals: dict[str, CubeTotals] = {measure.key: defaultdict(dict) for measure in measures}
    stocks = [m.key for m in measures if isinstance(m, Stock)]
    flows = [m.key for m in measures if not isinstance(m, Stock)]
    months = sorted(set(periods))
    asked = [p.start for p in months]
    common = {"areas": list(areas), "grouping": grouping, "end": months[-1].end}
    if stocks:
        rows = await driver_rows(session, _STOCK_CELLS, keys=stocks, **common)
        _add_stocks(totals, rows, asked)
    if flows:
        # The months as a range: one index range per (measure, area).
        rows = await driver_rows(session, _FLOW_CELLS, keys=flows, first=asked[0], **common)
        _add_flows(totals, rows, set(asked))
    return totals


def texts(name: str) -> sa.BindParameter[Any]:
    """A list of texts bound as one array parameter named ``name``: the statement is the same
    whatever the list, so it is compiled once and its plan reused."""
    return sa.bindparam(name, type_=ARRAY(sa.Text))


def _cells(*, bounded: bool) -> DriverSelect:
    """The cells of the measures ``keys`` for the ``areas`` and the breakdown ``grouping``, of
    the months before ``end`` (``bounded``: from ``first``)."""
    cells = cube_cells.c
    stmt = sa.select(cells.measure, cells.area, cells.month, cells.dims, cells.value).where(
        cells.measure == sa.func.any(texts("keys")),
        cells.grouping == sa.bindparam("grouping", type_=sa.Text),
        cells.area == sa.func.any(texts("areas")),
        cells.month < sa.bindparam("end", type_=sa.Date),
    )
    if bounded:
        stmt = stmt.where(cells.month >= sa.bindparam("first", type_=sa.Date))
    return DriverSelect(stmt)


_FLOW_CELLS = _cells(bounded=True)
_STOCK_CELLS = _cells(bounded=False)


def _add_flows(
    totals: dict[str, CubeTotals], rows: Sequence[Sequence[Any]], asked: set[date]
) -> None:
    """A flow's value of a month is its cell; the months of the range that were not asked
    (periods apart) are left out."""
    # The rows come a (measure, area) at a time (the index's order): its dict is looked up
    # once per run of rows, not per row.
    series: tuple[str, str] | None = None
    found: dict[tuple[date, Dims], int | float] = {}
    for key, area, month, dims, value in rows:
        if month in asked:
            if series != (key, area):
                series = (key, area)
                found = totals[key][area]
            found[(month, _dims(dims))] = value


def _add_stocks(
    totals: dict[str, CubeTotals], rows: Sequence[Sequence[Any]], asked: list[date]
) -> None:
    """A stock at a month is the sum of its changes up to that month: each change is added to
    the first asked month on or after it, and the asked months are summed in order. (The
    database would sum every earlier change again for each asked month.)"""
    changes: dict[tuple[str, str, Dims], list[int]] = {}
    for key, area, month, dims, value in rows:
        series = (key, area, _dims(dims))
        if series not in changes:
            changes[series] = [0] * len(asked)
        changes[series][bisect.bisect_left(asked, month)] += value
    for (key, area, dims), added in changes.items():
        level, found = 0, totals[key][area]
        for first_day, change in zip(asked, added, strict=True):
            level += change
            found[(first_day, dims)] = level


def _dims(values: list[str]) -> Dims:
    # A total's are empty: the shared empty tuple, not a copy per cell.
    return tuple(values) if values else ()
