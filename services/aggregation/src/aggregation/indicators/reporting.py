"""Reporting completeness: which regions reported a domain for a period, and the DHIS2-style
reporting rates.

A regency *reported* a domain for a month when it sent a record of that domain dated in the
month (``reported``) or closed the month (``reporting_periods`` with ``completed_at``). A value
of an area no regency of which reported the indicator's domain in any month of the period is
``not_reported``: the region is silent, which is not the same as zero.

``reporting_rate``: reports received over reports expected, where the expected reports are one
per participating regency of the area, month of the period and domain (all four domains, or
the one of ``by=domain``). ``reporting_rate_on_time``: the months closed within
``reporting_on_time_days`` (15 by default) after their last day, over the same expected reports.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from shared.db import DriverSelect, driver_rows
from shared.regions import NATIONAL, PILOT_REGIONS, RegionRegistry
from shared.settings import Settings
from sqlalchemy.ext.asyncio import AsyncSession

from aggregation.cube.cells import DOMAIN
from aggregation.cube.read import texts
from aggregation.indicators.periods import Period
from aggregation.projections.tables import reported, reporting_periods

DOMAINS: tuple[str, ...] = DOMAIN.values


@dataclass(frozen=True)
class ReportingRules:
    """Who is expected to report, and when a closure is on time."""

    participating: frozenset[str]
    on_time_days: int = 15

    @classmethod
    def from_settings(cls, settings: Settings) -> ReportingRules:
        """The rules the service is configured with (the pilot regions by default)."""
        codes = [c.strip() for c in settings.participating_regions.split(",") if c.strip()]
        return cls(
            participating=frozenset(codes or (r.code for r in PILOT_REGIONS)),
            on_time_days=settings.reporting_on_time_days,
        )


@dataclass
class Reports:
    """Who reported, per domain and month, over the months and areas of one request."""

    regions: RegionRegistry
    rules: ReportingRules
    reporting: dict[tuple[str, str], frozenset[date]] = field(default_factory=dict)
    """(domain, asked area) -> the months (first days) a regency of the area sent or closed."""
    sent: dict[tuple[str, date], set[str]] = field(default_factory=lambda: defaultdict(set))
    closed: dict[tuple[str, date], set[str]] = field(default_factory=lambda: defaultdict(set))
    on_time: dict[tuple[str, date], set[str]] = field(default_factory=lambda: defaultdict(set))
    """(domain, month) -> participating regencies that sent, closed, closed on time."""
    _expected_in: dict[str, frozenset[str]] = field(default_factory=dict)

    @classmethod
    async def load(
        cls,
        session: AsyncSession,
        *,
        months: Sequence[Period],
        areas: Sequence[str],
        domains: Sequence[str],
        rates: bool,
        regions: RegionRegistry,
        rules: ReportingRules,
    ) -> Reports:
        """The reports of ``domains`` for ``months``, summed up in the database to the asked
        ``areas`` (the nation, provinces, regencies: one row per area and domain, however
        many regencies report), and with ``rates`` the participating regencies' own reports."""
        found = cls(regions=regions, rules=rules)
        first, end = months[0].start, months[-1].end
        provinces = [a for a in areas if a in regions.provinces]
        regencies = [a for a in areas if a in regions.regencies]
        levels = (NATIONAL in areas, bool(provinces), bool(regencies))
        if any(levels) and domains:
            rows = await driver_rows(
                session,
                _reports(*levels),
                domains=list(domains),
                first=first,
                end=end,
                areas=([NATIONAL] if NATIONAL in areas else []) + provinces + regencies,
                provinces=provinces,
                regencies=regencies,
            )
            for domain, area, reported_months in rows:
                found.reporting[(domain, area)] = frozenset(reported_months)
        if rates:
            participating = sorted(rules.participating)
            for domain, region, month in await driver_rows(
                session, _SENT, first=first, end=end, participating=participating
            ):
                found.sent[(domain, month)].add(region)
            for domain, region, month, completed_at in await driver_rows(
                session, _CLOSED, first=first, end=end, participating=participating
            ):
                found.closed[(domain, month)].add(region)
                if _on_time(month, completed_at, rules.on_time_days):
                    found.on_time[(domain, month)].add(region)
        return found

    def silent(self, domain: str, area: str, periods: Sequence[Sequence[date]]) -> list[bool]:
        """For each period (its months' first days), whether no regency of ``area`` (an
        asked area) reported ``domain`` in any of its months."""
        months = self.reporting.get((domain, area), _NO_MONTHS)
        return [months.isdisjoint(period) for period in periods]

    def rate(
        self, area: str, months: Sequence[date], domains: Sequence[str], *, on_time: bool
    ) -> float | None:
        """Reports received (or closed on time) over reports expected, for the ``months``
        (first days: a period's); None when the area has no participating regency."""
        expected = self._expected(area)
        if not expected:
            return None
        done = self.on_time if on_time else self._received
        received = sum(
            len(expected & done.get((domain, month), _NONE))
            for domain in domains
            for month in months
        )
        return received / (len(expected) * len(months) * len(domains))

    def _expected(self, area: str) -> frozenset[str]:
        """The participating regencies of ``area``."""
        if area not in self._expected_in:
            if area == NATIONAL:
                found = self.rules.participating
            elif area in self.regions.provinces:
                found = frozenset(r for r in self.rules.participating if r.startswith(area + "."))
            else:
                found = self.rules.participating & {area}
            self._expected_in[area] = found
        return self._expected_in[area]

    @functools.cached_property
    def _received(self) -> dict[tuple[str, date], set[str]]:
        """(domain, month) -> participating regencies that sent or closed it."""
        return {
            key: self.sent.get(key, set()) | self.closed.get(key, set())
            for key in {*self.sent, *self.closed}
        }


_NONE: frozenset[str] = frozenset()
_NO_MONTHS: frozenset[date] = frozenset()


@functools.cache
def _reports(nation: bool, provinces: bool, regencies: bool) -> DriverSelect:
    """Per domain and asked area, the months a regency of it sent a record of the domain or
    closed the month: of the ``domains`` from ``first`` to before ``end``, for the ``areas``
    asked (the nation, the ``provinces``, the ``regencies``), gathered per area in the
    database: the nation's answer is one row per domain, not one per reporting regency and
    month. A month may come twice (sent and closed): the set made of them (``load``) drops
    the repeat."""
    first, end = sa.bindparam("first", type_=sa.Date), sa.bindparam("end", type_=sa.Date)
    domains = texts("domains")
    # The records: each marked for its regency, province and the nation as it was applied.
    levels = [
        sa.select(reported.c.domain, reported.c.region_code.label("area"), reported.c.month).where(
            reported.c.domain == sa.any_(domains),
            reported.c.region_code == sa.any_(texts("areas")),
            reported.c.month >= first,
            reported.c.month < end,
        )
    ]
    # The closed months, a regency's each: made distinct per province and for the nation
    # (hashed: no sort), the levels apart (their area codes differ).
    periods = reporting_periods.c
    closed = (
        sa.select(periods.domain, periods.region_code, periods.month)
        .where(
            periods.month >= first,
            periods.month < end,
            periods.domain == sa.any_(domains),
            periods.completed_at.is_not(None),
        )
        .cte("closed")
    )
    c = closed.c
    province = sa.func.split_part(c.region_code, ".", 1)
    if nation:
        levels.append(sa.select(c.domain, sa.literal(NATIONAL).label("area"), c.month).distinct())
    if provinces:
        levels.append(
            sa.select(c.domain, province.label("area"), c.month)
            .where(province == sa.any_(texts("provinces")))
            .distinct()
        )
    if regencies:
        levels.append(
            sa.select(c.domain, c.region_code.label("area"), c.month).where(
                c.region_code == sa.any_(texts("regencies"))
            )
        )
    reports = sa.union_all(*levels).subquery("reporting")
    r = reports.c
    return DriverSelect(
        sa.select(r.domain, r.area, sa.func.array_agg(r.month)).group_by(r.domain, r.area)
    )


_first, _end = sa.bindparam("first", type_=sa.Date), sa.bindparam("end", type_=sa.Date)
_SENT = DriverSelect(
    sa.select(reported.c.domain, reported.c.region_code, reported.c.month).where(
        reported.c.month >= _first,
        reported.c.month < _end,
        reported.c.region_code == sa.any_(texts("participating")),
    )
)
"""The participating regencies' records, per domain and month (``first`` to before ``end``)."""
_CLOSED = DriverSelect(
    sa.select(
        reporting_periods.c.domain,
        reporting_periods.c.region_code,
        reporting_periods.c.month,
        reporting_periods.c.completed_at,
    ).where(
        reporting_periods.c.month >= _first,
        reporting_periods.c.month < _end,
        reporting_periods.c.completed_at.is_not(None),
        reporting_periods.c.region_code == sa.any_(texts("participating")),
    )
)
"""The participating regencies' closed months, with when they were closed."""


def _on_time(month: date, completed_at: datetime, days: int) -> bool:
    following = Period.of(month).end
    return completed_at.date() < following + timedelta(days=days)
