"""Reading the cube: a measure's values per requested area, month and breakdown.

A flow's cells are per regency: a province and the nation are summed from them in the query.
A stock's cells are kept per area as monthly changes: the stock of a month is the sum of the
changes up to it. Either way the work depends on the areas, months and breakdown asked, not on
how many records the cube was built from.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date

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
    measure: CubeMeasure,
    *,
    areas: Mapping[str, frozenset[str] | None],
    periods: Sequence[Period],
    grouping: str = "",
) -> CubeTotals:
    """``measure``'s values for every area (its regencies; None: the nation) and month."""
    if isinstance(measure, Stock):
        return await _stock(session, measure.key, list(areas), periods, grouping)
    return await _flow(session, measure.key, areas, periods, grouping)


def _months(periods: Sequence[Period]) -> list[Period]:
    return sorted(set(periods))


async def _flow(
    session: AsyncSession,
    key: str,
    areas: Mapping[str, frozenset[str] | None],
    periods: Sequence[Period],
    grouping: str,
) -> CubeTotals:
    cells = cube_cells.c
    months = _months(periods)
    asked = {p.start for p in months}
    scope = (
        cells.measure == key,
        cells.grouping == grouping,
        cells.month >= months[0].start,
        cells.month < months[-1].end,
    )
    totals: CubeTotals = {}
    nation = [area for area, regencies in areas.items() if regencies is None]
    if nation:
        stmt = (
            sa.select(cells.month, cells.dims, sa.func.sum(cells.value))
            .where(*scope)
            .group_by(cells.month, cells.dims)
        )
        for month, dims, value in await session.execute(stmt):
            if month in asked:
                for area in nation:
                    totals[(area, month, tuple(dims))] = int(value)
    pairs = [
        (area, regency)
        for area, regencies in areas.items()
        if regencies is not None
        for regency in sorted(regencies)
    ]
    if pairs:
        # Arrays bound as parameters (not a VALUES list of literals): the statement is the
        # same whatever the areas, so it is compiled once and its plan reused.
        members = (
            sa.func.unnest(
                sa.bindparam("member_areas", [a for a, _ in pairs], type_=ARRAY(sa.Text)),
                sa.bindparam("member_regencies", [r for _, r in pairs], type_=ARRAY(sa.Text)),
            )
            .table_valued("area", "regency")
            .render_derived(name="members")
        )
        stmt = (
            sa.select(members.c.area, cells.month, cells.dims, sa.func.sum(cells.value))
            .select_from(cube_cells.join(members, members.c.regency == cells.area))
            .where(*scope)
            .group_by(members.c.area, cells.month, cells.dims)
        )
        for area, month, dims, value in await session.execute(stmt):
            if month in asked:
                totals[(area, month, tuple(dims))] = int(value)
    return totals


async def _stock(
    session: AsyncSession, key: str, areas: Sequence[str], periods: Sequence[Period], grouping: str
) -> CubeTotals:
    cells = cube_cells.c
    months = (
        sa.func.unnest(
            sa.bindparam("months", [p.start for p in _months(periods)], type_=ARRAY(sa.Date))
        )
        .table_valued("first_day")
        .render_derived(name="months")
    )
    stmt = (
        sa.select(cells.area, months.c.first_day, cells.dims, sa.func.sum(cells.value))
        .select_from(cube_cells.join(months, cells.month <= months.c.first_day))
        .where(
            cells.measure == key,
            cells.grouping == grouping,
            cells.area == sa.func.any(sa.bindparam("areas", list(areas), type_=ARRAY(sa.Text))),
        )
        .group_by(cells.area, months.c.first_day, cells.dims)
    )
    return {
        (area, month, tuple(dims)): int(value)
        for area, month, dims, value in await session.execute(stmt)
    }
