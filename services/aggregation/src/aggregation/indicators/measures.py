"""Base measures: additive quantities per regency and month, each computed by one SQL query.

An indicator's formula combines measures (see ``catalogue``). A measure answers for a set of
regencies (or all of them) and a date range with rows ``(regency, month, value)``; the service
sums those rows into provinces and the nation. New kinds of measure (stocks at month end,
counts linked across domains by ``person_ref``) implement the same ``Measure`` protocol.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from aggregation.indicators.areas import Number
from aggregation.indicators.periods import Period
from aggregation.projections.tables import job_seekers, placements, vacancies

MeasureRows = list[tuple[str, Period, Number]]


class Measure(Protocol):
    """An additive quantity per regency and month."""

    @property
    def key(self) -> str:
        """Unique name; a measure shared by several indicators is computed once per request."""
        ...

    async def by_regency_month(
        self,
        session: AsyncSession,
        *,
        regencies: Sequence[str] | None,
        start: date,
        end: date,
    ) -> MeasureRows:
        """Rows ``(regency, month, value)`` for months in ``[start, end)``; None = all regencies."""
        ...


# eq=False: measures are told apart by identity and ``key``; comparing tables builds SQL.
@dataclass(frozen=True, eq=False)
class MonthlyFlow:
    """Rows of ``table`` whose ``date_column`` falls in the month: counted, or ``summed`` summed."""

    key: str
    table: sa.Table
    date_column: str
    summed: str | None = None

    async def by_regency_month(
        self,
        session: AsyncSession,
        *,
        regencies: Sequence[str] | None,
        start: date,
        end: date,
    ) -> MeasureRows:
        """Group the rows in ``[start, end)`` by regency and month."""
        table = self.table
        day = table.c[self.date_column]
        month = sa.cast(sa.func.date_trunc("month", day), sa.Date).label("month")
        value = sa.func.count() if self.summed is None else sa.func.sum(table.c[self.summed])
        stmt = (
            sa.select(table.c.region_code, month, value)
            .where(day >= start, day < end)
            .group_by(table.c.region_code, month)
        )
        if regencies is not None:
            stmt = stmt.where(table.c.region_code.in_(regencies))
        result = await session.execute(stmt)
        return [(region, Period.of(first_day), total) for region, first_day, total in result]


JOB_SEEKERS_REGISTERED = MonthlyFlow("job_seekers.registered", job_seekers, "registered_at")
VACANCIES_POSTED = MonthlyFlow("vacancies.posted", vacancies, "posted_at")
POSITIONS_OFFERED = MonthlyFlow("vacancies.positions", vacancies, "posted_at", summed="positions")
PLACEMENTS_MADE = MonthlyFlow("placements.placed", placements, "placed_at")
