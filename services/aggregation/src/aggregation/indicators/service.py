"""Computing indicator values from the projections at read time."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from shared.regions import RegionRegistry
from sqlalchemy.ext.asyncio import AsyncSession

from aggregation.cube.measures import cube_measure
from aggregation.cube.read import read_totals
from aggregation.indicators.areas import Number, area_regencies
from aggregation.indicators.catalogue import CATALOGUE, by_code
from aggregation.indicators.measures import Measure
from aggregation.indicators.models import IndicatorPublic, IndicatorValue
from aggregation.indicators.periods import Period
from aggregation.indicators.query import ValuesQuery


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
        )
        for i in CATALOGUE
    ]


async def compute_values(
    session: AsyncSession,
    *,
    query: ValuesQuery,
    regions: RegionRegistry,
    reference: bool = False,
) -> list[IndicatorValue]:
    """One value per indicator, area and period of ``query`` (indicator-major order), read
    from the cube; with ``reference``, computed from the projections by the read-time SQL
    (``measures``: slow, and kept to check the cube against)."""
    indicators = [by_code()[code] for code in query.indicators]
    measures: dict[str, Measure] = {
        m.key: m for indicator in indicators for m in indicator.formula.measures
    }
    members = {area: area_regencies(area, regions) for area in query.areas}

    # One snapshot for all the measures, so a ratio's numerator and denominator (and the
    # indicators of one response) describe the same moment while events keep arriving.
    totals: dict[str, dict[tuple[str, Period], Number]] = {}
    async with session.begin():
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        for key, measure in measures.items():
            if reference:
                totals[key] = await measure.totals(session, areas=members, periods=query.periods)
            else:
                cells = await read_totals(
                    session, cube_measure(key), areas=members, periods=query.periods
                )
                totals[key] = {
                    (area, period): cells.get((area, period, ()), 0)
                    for area in members
                    for period in query.periods
                }

    values: list[IndicatorValue] = []
    for indicator in indicators:
        for area in query.areas:
            for period in query.periods:
                value = indicator.formula.value(_totals_at(totals, (area, period)))
                values.append(
                    IndicatorValue(
                        indicator=indicator.code, region_code=area, period=str(period), value=value
                    )
                )
    return values


def _totals_at(
    totals: Mapping[str, Mapping[tuple[str, Period], Number]], cell: tuple[str, Period]
) -> Callable[[Measure], Number]:
    """Each measure's total for one area and month."""
    return lambda measure: totals[measure.key][cell]
