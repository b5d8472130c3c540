"""Reading the cube: a measure's values per requested area, month and breakdown.

Every area (regency, province, nation) has cells of its own (``cells``): a flow's value of a
month is its cell, a stock's the sum of its monthly changes up to the month. A series' cells
are stored a year to a row (``cube_years``), fetched by the driver itself (``driver_rows``):
an answer reads thousands of rows. The work depends on the areas, months and breakdown asked,
not on how many records the cube was built from, nor on how many regencies an area holds.
"""

from __future__ import annotations

import bisect
import operator
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

import sqlalchemy as sa
from shared.db import DriverSelect, driver_rows
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession

from aggregation.cube.cells import CellKey, CubeMeasure, Stock
from aggregation.indicators.periods import Period
from aggregation.projections.tables import MONTHS_IN_A_ROW, cube_years

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
    asked = sorted({p.start for p in periods})
    common = {"areas": list(areas), "grouping": grouping, "last": asked[-1].year}
    if stocks:
        rows = await driver_rows(session, _STOCK_ROWS, keys=stocks, **common)
        _add_stocks(totals, rows, asked)
    if flows:
        rows = await driver_rows(session, _FLOW_ROWS, keys=flows, first=asked[0].year, **common)
        _add_flows(totals, rows, asked)
    return totals


async def all_cells(session: AsyncSession) -> dict[CellKey, int]:
    """Every cell of the cube that is not 0, by its key: for checks and tests, which compare
    whole cubes."""
    rows = await session.execute(sa.select(cube_years))
    return {
        (row.measure, row.grouping, tuple(row.dims), row.area, date(row.year, month, 1)): value
        for row in rows
        for month, value in enumerate(row.months, start=1)
        if value
    }


def texts(name: str) -> sa.BindParameter[Any]:
    """A list of texts bound as one array parameter named ``name``: the statement is the same
    whatever the list, so it is compiled once and its plan reused."""
    return sa.bindparam(name, type_=ARRAY(sa.Text))


def _rows(*, bounded: bool) -> DriverSelect:
    """The rows of the measures ``keys`` for the ``areas`` and the breakdown ``grouping``, of
    the years up to ``last`` (``bounded``: from ``first``)."""
    rows = cube_years.c
    stmt = sa.select(rows.measure, rows.area, rows.year, rows.dims, rows.months).where(
        rows.measure == sa.func.any(texts("keys")),
        rows.grouping == sa.bindparam("grouping", type_=sa.Text),
        rows.area == sa.func.any(texts("areas")),
        rows.year <= sa.bindparam("last", type_=sa.SmallInteger),
    )
    if bounded:
        stmt = stmt.where(rows.year >= sa.bindparam("first", type_=sa.SmallInteger))
    return DriverSelect(stmt)


_FLOW_ROWS = _rows(bounded=True)
_STOCK_ROWS = _rows(bounded=False)


def _add_flows(
    totals: dict[str, CubeTotals], rows: Sequence[Sequence[Any]], asked: list[date]
) -> None:
    """A flow's value of a month is its cell; the months of a year that were not asked are
    left out, and so are a breakdown's cells of 0 (a total's are kept: an absent key is 0
    anyway, and a total's row is taken whole)."""
    # Per year: a getter of the asked months' cells from a row, and those months' first days.
    picks: dict[int, tuple[Callable[[Sequence[Any]], Sequence[Any]], tuple[date, ...]]] = {}
    # Per year, a total's keys of those months.
    whole: dict[int, tuple[tuple[date, Dims], ...]] = {}
    for year in {first_day.year for first_day in asked}:
        days = tuple(first_day for first_day in asked if first_day.year == year)
        picks[year] = (_picker([first_day.month - 1 for first_day in days]), days)
        whole[year] = tuple((first_day, ()) for first_day in days)
    # The rows come a (measure, area) at a time (the index's order): its dict is looked up
    # once per run of rows, not per row.
    series: tuple[str, str] | None = None
    found: dict[tuple[date, Dims], int | float] = {}
    for key, area, year, dims, months in rows:
        if series != (key, area):
            series = (key, area)
            found = totals[key][area]
        if year not in picks:
            continue  # a year between two asked ones
        pick, days = picks[year]
        if not dims:
            found.update(zip(whole[year], pick(months), strict=True))
            continue
        breakdown = tuple(dims)
        for first_day, value in zip(days, pick(months), strict=True):
            if value:
                found[(first_day, breakdown)] = value


def _picker(positions: list[int]) -> Callable[[Sequence[Any]], Sequence[Any]]:
    """The items at ``positions`` of a sequence, as a sequence (itemgetter's single item
    would not be one)."""
    if len(positions) == 1:
        only = positions[0]
        return lambda items: (items[only],)
    return operator.itemgetter(*positions)


def _add_stocks(
    totals: dict[str, CubeTotals], rows: Sequence[Sequence[Any]], asked: list[date]
) -> None:
    """A stock at a month is the sum of its changes up to that month: each change is added to
    the first asked month on or after it, and the asked months are summed in order. (The
    database would sum every earlier change again for each asked month.)"""
    # Per year, each month's asked month: its position in ``asked`` (``len(asked)``: after the
    # last, not counted).
    slots: dict[int, list[int]] = {}
    changes: dict[tuple[str, str, Dims], list[int]] = {}
    for key, area, year, dims, months in rows:
        if year not in slots:
            slots[year] = [bisect.bisect_left(asked, date(year, m, 1)) for m in _MONTHS]
        series = (key, area, _dims(dims))
        for slot, value in zip(slots[year], months, strict=True):
            if value and slot < len(asked):
                if series not in changes:
                    changes[series] = [0] * len(asked)
                changes[series][slot] += value
    for (key, area, dims), added in changes.items():
        level, found = 0, totals[key][area]
        for first_day, change in zip(asked, added, strict=True):
            level += change
            found[(first_day, dims)] = level


_MONTHS = range(1, MONTHS_IN_A_ROW + 1)


def _dims(values: list[str]) -> Dims:
    # A total's are empty: the shared empty tuple, not a copy per cell.
    return tuple(values) if values else ()
