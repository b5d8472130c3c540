"""Indicator values from the cube (and, for tests, from the read-time reference SQL)."""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime

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
    Total,
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
from aggregation.indicators.periods import Period
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
                totals[key] = {
                    (area, month.start, ()): value for (area, month), value in found.items()
                }
        else:
            totals = await read_totals(
                session,
                [cube_measure(key) for key in measures],
                areas=query.areas,
                periods=months,
                grouping=grouping,
            )

    # Up to 10,000 values per answer, and an answer of the whole catalogue is tens of them:
    # everything that depends only on the indicator, the area or the period is worked out
    # once, each area's values are built by one comprehension, and the answer (computed here,
    # of the declared types) is not validated again.
    values: list[IndicatorValue] = []
    # Each period once: its label and its months' first days (the cube's keys).
    spans = [(span, str(span), tuple(m.start for m in span.months)) for span in query.periods]
    # Whether an area reported a domain, for each period: asked once per (domain, area)
    # rather than once per indicator, period and breakdown.
    silence: dict[tuple[str, str], list[bool]] = {}

    def silent(domain: str, area: str) -> list[bool]:
        key = (domain, area)
        if key not in silence:
            silence[key] = [
                completeness and not reports.reported(domain, area, starts)
                for _, _, starts in spans
            ]
        return silence[key]

    for indicator in indicators:
        code, formula = indicator.code, indicator.formula
        combinations = _combinations(indicator, query.by, totals)
        named = {dims: dict(zip(query.by, dims, strict=True)) for dims in combinations}
        # The indicator's (period, breakdown) pairs, in answer order, with their labels.
        cells = [
            (index, span, period, starts, dims, named[dims])
            for index, (span, period, starts) in enumerate(spans)
            for dims in combinations
        ]
        number = _evaluator(formula, totals, reports, by=query.by)
        rate = isinstance(formula, ReportingRate)
        domain = "" if rate else _domain_of(indicator)
        guarded = [m.key for m in formula.measures if protected(m.key)]
        for area in query.areas:
            # A reporting rate is reported everywhere: it is the measure of silence.
            quiet = _NEVER_SILENT if rate else silent(domain, area)
            if exact is None or area in exact or not guarded:
                statuses = [_NOT_REPORTED if quiet[cell[0]] else _REPORTED for cell in cells]
            else:
                statuses = [
                    _NOT_REPORTED
                    if quiet[index]
                    else _SUPPRESSED
                    if any(
                        guard.is_hidden(key, span, indicator.min_count, area, dims)
                        for key in guarded
                    )
                    else _REPORTED
                    for index, span, _, _, dims, _ in cells
                ]
            name = regions.name_of(area)
            values += [
                {
                    "indicator": code,
                    "region_code": area,
                    "region_name": name,
                    "period": period,
                    "dimensions": labels,
                    "value": number(area, starts, dims) if status is _REPORTED else None,
                    "status": status,
                }
                for (_, _, period, starts, dims, labels), status in zip(
                    cells, statuses, strict=True
                )
            ]
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
        found.update(dims for (_, _, dims) in totals[measure.key])

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

Reader = Callable[[str, tuple[date, ...], Dims], Number]
"""A measure's value for an area, a period's months (first days) and a breakdown."""

Evaluator = Callable[[str, tuple[date, ...], Dims], Number | None]
"""An indicator's value for an area, a period's months (first days) and a breakdown."""

_REPORTED: Status = "reported"
_NOT_REPORTED: Status = "not_reported"
_SUPPRESSED: Status = "suppressed"


class _NeverSilent:
    """Any period: not silent (the reporting rates)."""

    def __getitem__(self, index: int) -> bool:
        return False


_NEVER_SILENT = _NeverSilent()


def _evaluator(
    formula: Formula, totals: Mapping[str, CubeTotals], reports: Reports, *, by: Sequence[str]
) -> Evaluator:
    """How to compute one indicator's value: from the reports (a reporting rate), one
    measure's totals read directly (most indicators), or the formula over its measures'."""
    if isinstance(formula, ReportingRate):
        on_time = formula.on_time

        def rate(area: str, months: tuple[date, ...], dims: Dims) -> Number | None:
            # by=domain: the breakdown is the domain; otherwise over all domains.
            return reports.rate(area, months, dims if by else DOMAINS, on_time=on_time)

        return rate
    readers = {m.key: _reader(totals[m.key], m.key in _STOCKS) for m in formula.measures}
    if isinstance(formula, Total):
        return readers[formula.measure.key]

    def value(area: str, months: tuple[date, ...], dims: Dims) -> Number | None:
        return formula.value(lambda measure: readers[measure.key](area, months, dims))

    return value


def _reader(cells: CubeTotals, stock: bool) -> Reader:
    """How to read one measure's totals: a flow summed over the period's months, a stock at
    its last month."""
    get = cells.get

    def read(area: str, months: tuple[date, ...], dims: Dims) -> Number:
        if stock or len(months) == 1:
            return get((area, months[-1], dims), 0)
        return sum(get((area, month, dims), 0) for month in months)

    return read


__all__ = ["Period", "compute_values", "list_indicators"]
