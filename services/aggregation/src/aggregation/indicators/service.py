"""Indicator values from the cube (and, for tests, from the read-time reference SQL)."""

from __future__ import annotations

import functools
import itertools
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import NamedTuple

import sqlalchemy as sa
from shared.auth import Principal
from shared.regions import PILOT_REGIONS, RegionRegistry
from sqlalchemy.ext.asyncio import AsyncSession

from aggregation.cube.cells import DIMENSIONS, Stock, grouping_name
from aggregation.cube.measures import CUBE_MEASURES, SOURCE_DOMAINS, cube_measure
from aggregation.cube.read import CubeTotals, Dims, read_totals
from aggregation.indicators.areas import Number, area_regencies
from aggregation.indicators.catalogue import (
    CATALOGUE,
    Formula,
    Indicator,
    ReportingRate,
    by_code,
    dimensions_of,
)
from aggregation.indicators.measures import Measure
from aggregation.indicators.models import (
    IndicatorPublic,
    IndicatorValue,
    IndicatorValues,
    Status,
)
from aggregation.indicators.periods import Period, Span
from aggregation.indicators.protection import Suppressions, exact_areas, protected
from aggregation.indicators.query import ValuesQuery
from aggregation.indicators.reporting import DOMAINS, ReportingRules, Reports
from aggregation.projections.tables import cube_state

_VALUES = {d.name: d.values for d in DIMENSIONS}


def list_indicators() -> list[IndicatorPublic]:
    """The catalogue, in its defined order."""
    return [
        IndicatorPublic(
            code=i.code,
            name_id=i.name_id,
            name_en=i.name_en,
            definition_id=i.definition_id,
            definition_en=i.definition_en,
            unit=i.unit,
            domain=i.domain,
            dimensions=list(dimensions_of(i.code)),
        )
        for i in CATALOGUE
    ]


async def compute_values(
    session: AsyncSession,
    *,
    query: ValuesQuery,
    regions: RegionRegistry,
    reference: bool = False,
    principal: Principal | None = None,
    rules: ReportingRules | None = None,
    completeness: bool = True,
) -> IndicatorValues:
    """One value per indicator, area, period and breakdown of ``query`` (indicator-major
    order), read from the cube; with ``reference``, computed from the projections by the
    read-time SQL (``measures``: slow, kept to check the cube against; totals only)."""
    if reference and query.by:
        raise ValueError("the reference computation has no breakdowns")
    indicators = [by_code()[code] for code in query.indicators]
    measures: dict[str, Measure] = {
        m.key: m for indicator in indicators for m in indicator.formula.measures
    }
    months = sorted({month for span in query.periods for month in span.months})
    grouping = grouping_name(query.by)

    # One snapshot for all the measures, so a ratio's numerator and denominator (and the
    # indicators of one response) describe the same moment while events keep arriving.
    totals: dict[str, CubeTotals] = {}
    async with session.begin():
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        as_of: datetime | None = await session.scalar(
            sa.select(cube_state.c.as_of).where(cube_state.c.id == 1)
        )
        rates = any(isinstance(i.formula, ReportingRate) for i in indicators)
        reports = await Reports.load(
            session,
            months=months,
            areas=query.areas if completeness else [],
            # Silence is asked of the other indicators' domains; a rate reads every domain's
            # reports of the participating regencies (``rates``).
            domains=sorted(
                {_domain_of(i) for i in indicators if not isinstance(i.formula, ReportingRate)}
            ),
            rates=rates,
            regions=regions,
            rules=rules or ReportingRules(participating=frozenset(r.code for r in PILOT_REGIONS)),
        )
        exact = exact_areas(principal, regions)
        guard = Suppressions(regions=regions, by=query.by)
        if exact is not None and any(area not in exact for area in query.areas):
            for indicator in indicators:
                for measure in indicator.formula.measures:
                    if protected(measure.key):
                        await guard.prepare(
                            session,
                            key=measure.key,
                            spans=query.periods,
                            k=indicator.min_count,
                        )
        if reference:
            members = {area: area_regencies(area, regions) for area in query.areas}
            for key, measure in measures.items():
                found = await measure.totals(session, areas=members, periods=months)
                totals[key] = defaultdict(dict)
                for (area, month), value in found.items():
                    totals[key][area][(month.start, ())] = value
        else:
            totals = await read_totals(
                session,
                [cube_measure(key) for key in measures],
                areas=query.areas,
                periods=months,
                grouping=grouping,
            )

    # Up to 10,000 values per answer (the whole catalogue for every regency is 24 answers):
    # everything that depends only on the indicator, the area or the period is worked out
    # once, each area's values are built by one comprehension, and the answer (computed here,
    # of the declared types) is not validated again.
    values: list[IndicatorValue] = []
    # Each period once: its label and its months' first days (the cube's keys).
    spans = [(span, str(span), tuple(m.start for m in span.months)) for span in query.periods]
    # Whether an area reported a domain, for each period: asked once per (domain, area)
    # rather than once per indicator, period and breakdown.
    silence: dict[tuple[str, str], tuple[bool, ...]] = {}
    never_silent = (False,) * len(spans)

    def silent(domain: str, area: str) -> tuple[bool, ...]:
        key = (domain, area)
        if key not in silence:
            silence[key] = (
                tuple(reports.silent(domain, area, [starts for _, _, starts in spans]))
                if completeness
                else never_silent
            )
        return silence[key]

    names = [(area, regions.name_of(area)) for area in query.areas]
    for indicator in indicators:
        code, formula = indicator.code, indicator.formula
        combinations = _combinations(indicator, query.by, totals)
        named = {dims: dict(zip(query.by, dims, strict=True)) for dims in combinations}
        # The indicator's (period, breakdown) cells, in answer order.
        cells = [
            Cell(index, span, period, starts, dims, named[dims])
            for index, (span, period, starts) in enumerate(spans)
            for dims in combinations
        ]
        periods = [cell.period for cell in cells]
        dimensions = [cell.labels for cell in cells]
        column = _column(formula, cells, totals, reports, by=query.by)
        rate = isinstance(formula, ReportingRate)
        domain = "" if rate else _domain_of(indicator)
        guarded = [m.key for m in formula.measures if protected(m.key)]
        reported = [_REPORTED] * len(cells)
        # The statuses of an area whose values nothing suppresses follow from the periods it
        # was silent in alone: worked out once per pattern of silence, not once per area.
        by_silence: dict[tuple[bool, ...], list[Status]] = {}
        for area, name in names:
            # A reporting rate is reported everywhere: it is the measure of silence.
            quiet = never_silent if rate else silent(domain, area)
            if exact is None or area in exact or not guarded:
                if quiet not in by_silence:
                    by_silence[quiet] = (
                        [_NOT_REPORTED if quiet[cell.span_index] else _REPORTED for cell in cells]
                        if any(quiet)
                        else reported
                    )
                statuses = by_silence[quiet]
            else:
                # Read by someone outside the area, of a measure with small counts to hide.
                statuses = [
                    _NOT_REPORTED
                    if quiet[cell.span_index]
                    else _SUPPRESSED
                    if any(
                        guard.is_hidden(key, cell.span, indicator.min_count, area, cell.dims)
                        for key in guarded
                    )
                    else _REPORTED
                    for cell in cells
                ]
            numbers = column(area)
            assert len(numbers) == len(cells), (code, area)  # map() would stop at the shorter
            if statuses is not reported:
                numbers = [
                    n if s is _REPORTED else None for n, s in zip(numbers, statuses, strict=True)
                ]
            # map over the columns: the values are built in C, about twice as fast as a
            # comprehension unpacking a tuple per value.
            values += map(
                IndicatorValue,
                itertools.repeat(code),
                itertools.repeat(area),
                itertools.repeat(name),
                periods,
                dimensions,
                numbers,
                statuses,
            )
    return IndicatorValues.model_construct(as_of=as_of, values=values)


def _combinations(
    indicator: Indicator, by: Sequence[str], totals: Mapping[str, CubeTotals]
) -> list[Dims]:
    """The breakdown's value combinations to answer: every combination of the dimensions'
    declared values, and any other combination the cube holds for the indicator."""
    if not by:
        return [()]
    found: set[Dims] = set()
    declared = [_VALUES[name] for name in by]
    if all(declared):
        found.update(itertools.product(*declared))
    for measure in indicator.formula.measures:
        for cells in totals[measure.key].values():
            found.update(dims for (_, dims) in cells)

    def order(dims: Dims) -> tuple[tuple[int, str], ...]:
        # Declared values in their declared order, others after them by name.
        return tuple(
            (values.index(v) if v in values else len(values), v)
            for v, values in zip(dims, declared, strict=True)
        )

    return sorted(found, key=order)


@functools.cache
def _domain_of(indicator: Indicator) -> str:
    """The domain whose reports an indicator's values rest on: that of the records its first
    measure counts (a cross-domain rate: its numerator's)."""
    source = cube_measure(indicator.formula.measures[0].key).source
    return SOURCE_DOMAINS[source][0]


_STOCKS = frozenset(m.key for m in CUBE_MEASURES if isinstance(m, Stock))


class Cell(NamedTuple):
    """One (period, breakdown) of an indicator's answer, for every area."""

    span_index: int
    span: Span
    period: str
    starts: tuple[date, ...]
    """The period's months (first days: the cube's keys)."""
    dims: Dims
    labels: dict[str, str]
    """The breakdown as the answer names it."""


_REPORTED: Status = "reported"
_NOT_REPORTED: Status = "not_reported"
_SUPPRESSED: Status = "suppressed"


def _column(
    formula: Formula,
    cells: Sequence[Cell],
    totals: Mapping[str, CubeTotals],
    reports: Reports,
    *,
    by: Sequence[str],
) -> Callable[[str], Sequence[Number | None]]:
    """How to compute one indicator's values of an area for ``cells``: from the reports (a
    reporting rate), or the formula over its measures' totals."""
    if isinstance(formula, ReportingRate):
        on_time = formula.on_time
        # by=domain: the breakdown is the domain; otherwise over all domains.
        return lambda area: [
            reports.rate(area, cell.starts, cell.dims if by else DOMAINS, on_time=on_time)
            for cell in cells
        ]
    # The cube's keys of each cell: its last month (a stock, a one-month period), or each
    # of its months (a flow over a quarter or a year). Shared by every area.
    last = [(cell.starts[-1], cell.dims) for cell in cells]
    each = (
        None
        if all(len(cell.starts) == 1 for cell in cells)
        else [[(month, cell.dims) for month in cell.starts] for cell in cells]
    )

    def column(area: str) -> Sequence[Number | None]:
        def measure_totals(measure: Measure) -> Sequence[Number]:
            found = totals[measure.key].get(area, _NOTHING)
            if each is None or measure.key in _STOCKS:
                return list(map(found.get, last, _ZEROS))
            return [sum(map(found.get, keys, _ZEROS)) for keys in each]

        return formula.values(measure_totals)

    return column


_NOTHING: dict[tuple[date, Dims], Number] = {}
_ZEROS = itertools.repeat(0)


__all__ = ["Period", "compute_values", "list_indicators"]
