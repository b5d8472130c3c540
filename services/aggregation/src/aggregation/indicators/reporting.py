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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from shared.db import driver_rows
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
    reporting: dict[tuple[str, date], set[str]] = field(default_factory=lambda: defaultdict(set))
    """(domain, month) -> the asked areas with a regency that sent or closed it."""
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
        ``areas`` (the nation, provinces, regencies: at most one row per area, domain and
        month, however many regencies report), and with ``rates`` the participating
        regencies' own reports."""
        found = cls(regions=regions, rules=rules)
        first, end = months[0].start, months[-1].end
        periods = reporting_periods.c
        asked = texts("domains", domains)
        reports = sa.union_all(
            sa.select(reported.c.domain, reported.c.region_code, reported.c.month).where(
                reported.c.month >= first,
                reported.c.month < end,
                reported.c.domain == sa.any_(asked),
            ),
            sa.select(periods.domain, periods.region_code, periods.month).where(
                periods.month >= first,
                periods.month < end,
                periods.domain == sa.any_(asked),
                periods.completed_at.is_not(None),
            ),
        ).cte("reports")
        r = reports.c
        province = sa.func.split_part(r.region_code, ".", 1)
        provinces = [a for a in areas if a in regions.provinces]
        regencies = [a for a in areas if a in regions.regencies]
        # Each level distinct in the database: the nation's answer is one row per domain and
        # month, not one per reporting regency (a union of one select is that select alone).
        levels = []
        if NATIONAL in areas:
            levels.append(sa.select(r.domain, r.month, sa.literal(NATIONAL)).distinct())
        if provinces:
            levels.append(
                sa.select(r.domain, r.month, province)
                .where(province == sa.any_(texts("provinces", provinces)))
                .distinct()
            )
        if regencies:
            levels.append(
                sa.select(r.domain, r.month, r.region_code)
                .where(r.region_code == sa.any_(texts("regencies", regencies)))
                .distinct()
            )
        if levels and domains:
            for domain, month, area in await driver_rows(session, sa.union(*levels)):
                found.reporting[(domain, month)].add(area)
        if rates:
            await found._load_participants(session, first=first, end=end)
        return found

    async def _load_participants(self, session: AsyncSession, *, first: date, end: date) -> None:
        participating = texts("participating", sorted(self.rules.participating))
        rows = await driver_rows(
            session,
            sa.select(reported.c.domain, reported.c.region_code, reported.c.month).where(
                reported.c.month >= first,
                reported.c.month < end,
                reported.c.region_code == sa.any_(participating),
            ),
        )
        for domain, region, month in rows:
            self.sent[(domain, month)].add(region)
        periods = reporting_periods.c
        closures = await driver_rows(
            session,
            sa.select(periods.domain, periods.region_code, periods.month, periods.completed_at)
            .where(periods.month >= first, periods.month < end)
            .where(periods.completed_at.is_not(None))
            .where(periods.region_code == sa.any_(participating)),
        )
        for domain, region, month, completed_at in closures:
            self.closed[(domain, month)].add(region)
            if _on_time(month, completed_at, self.rules.on_time_days):
                self.on_time[(domain, month)].add(region)

    def reported(self, domain: str, area: str, months: Iterable[date]) -> bool:
        """Did any regency of ``area`` (an asked area) report ``domain`` in one of the
        ``months`` (their first days: a period's)?"""
        return any(area in self.reporting.get((domain, month), ()) for month in months)

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


def _on_time(month: date, completed_at: datetime, days: int) -> bool:
    following = Period.of(month).end
    return completed_at.date() < following + timedelta(days=days)
