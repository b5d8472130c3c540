"""Base measures: quantities per reporting area and month, each computed by SQL at read time.

An indicator's formula combines measures (see ``catalogue``). Most measures are flows (how many
records, or the sum of a field, with a date in the month), computed per regency and summed into
provinces and the nation by ``areas.rollup``. A stock of distinct persons is not additive (one
person can be counted in two regencies), so ``MonthEndStock`` counts each area on its own.

Measures linked across domains are flows with a correlated ``EXISTS`` on ``person_ref``: they
are computed from the projections when asked, so an event that arrives late (a membership after
the placement it covers, a placement months after a training completion) changes the value of
the month it belongs to from then on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from aggregation.indicators.areas import Number, regency_filter, rollup
from aggregation.indicators.periods import Period
from aggregation.projections.tables import (
    accident_victims,
    accidents,
    agreements,
    claims,
    disputes,
    enrollments,
    inspection_findings,
    inspections,
    job_seekers,
    layoff_workers,
    layoffs,
    memberships,
    placements,
    program_beneficiaries,
    unions,
    vacancies,
)

MeasureRows = list[tuple[str, Period, Number]]
# The regencies making up each requested area; None for the nation (every record counts).
AreaMembers = Mapping[str, frozenset[str] | None]
Totals = dict[tuple[str, Period], Number]


class Measure(Protocol):
    """A quantity per reporting area and month."""

    @property
    def key(self) -> str:
        """Unique name; a measure shared by several indicators is computed once per request."""
        ...

    async def totals(
        self, session: AsyncSession, *, areas: AreaMembers, periods: Sequence[Period]
    ) -> Totals:
        """The value for every requested area and month; 0 where nothing was recorded."""
        ...


# eq=False: measures are told apart by identity and ``key``; comparing tables builds SQL.
@dataclass(frozen=True, eq=False)
class MonthlyFlow:
    """Rows of ``table`` whose ``date_column`` falls in the month, by the row's regency.

    The rows are counted, or their ``summed`` column summed; only rows meeting every ``where``
    condition count. With ``counted``, a child table of ``table``, the child rows of those rows
    are counted instead (an inspection's findings, an accident's victims): date and regency
    are still the parent's.
    """

    key: str
    table: sa.Table
    date_column: str
    summed: str | None = None
    where: tuple[sa.ColumnElement[bool], ...] = ()
    counted: sa.Table | None = None

    async def totals(
        self, session: AsyncSession, *, areas: AreaMembers, periods: Sequence[Period]
    ) -> Totals:
        """Regency rows of the months asked, summed into each area."""
        rows = await self.by_regency_month(
            session,
            regencies=regency_filter(areas),
            start=min(p.start for p in periods),
            end=max(p.end for p in periods),
        )
        return rollup(rows, areas, periods)

    async def by_regency_month(
        self,
        session: AsyncSession,
        *,
        regencies: Sequence[str] | None,
        start: date,
        end: date,
    ) -> MeasureRows:
        """Rows ``(regency, month, value)`` for months in ``[start, end)``; None = all regencies."""
        table = self.table
        day = table.c[self.date_column]
        month = sa.cast(sa.func.date_trunc("month", day), sa.Date).label("month")
        # Sums are cast back to bigint: PostgreSQL sums a bigint into a numeric.
        value = (
            sa.func.count()
            if self.summed is None
            else sa.cast(sa.func.sum(table.c[self.summed]), sa.BigInteger)
        )
        source = table if self.counted is None else table.join(self.counted)
        stmt = (
            sa.select(table.c.region_code, month, value)
            .select_from(source)
            .where(day >= start, day < end, *self.where)
            .group_by(table.c.region_code, month)
        )
        if regencies is not None:
            stmt = stmt.where(table.c.region_code.in_(regencies))
        result = await session.execute(stmt)
        return [(region, Period.of(first_day), total) for region, first_day, total in result]


@dataclass(frozen=True, eq=False)
class MonthEndStock:
    """Distinct ``distinct`` values of the rows of ``table`` covering the month's last day.

    A row covers the days ``start_column <= day < end_column`` (``end_column`` NULL: open).
    Each area counts the distinct values among its own regencies' rows, so a person with rows in
    two regencies counts once in each regency, once in a province holding both, and once in the
    nation: a province's value can be less than the sum of its regencies'.
    """

    key: str
    table: sa.Table
    start_column: str
    end_column: str
    distinct: str

    async def totals(
        self, session: AsyncSession, *, areas: AreaMembers, periods: Sequence[Period]
    ) -> Totals:
        """One count per area and month: nation in one query, the other areas in another."""
        table = self.table
        months = sa.values(
            sa.column("first_day", sa.Date), sa.column("last_day", sa.Date), name="months"
        ).data([(p.start, p.end - timedelta(days=1)) for p in periods])
        started, ended = table.c[self.start_column], table.c[self.end_column]
        covering = table.join(
            months,
            sa.and_(
                started <= months.c.last_day,
                sa.or_(ended.is_(None), ended > months.c.last_day),
            ),
        )
        persons = sa.func.count(sa.distinct(table.c[self.distinct]))
        totals: Totals = {(area, period): 0 for area in areas for period in periods}

        nation = [area for area, regencies in areas.items() if regencies is None]
        if nation:
            stmt = (
                sa.select(months.c.first_day, persons)
                .select_from(covering)
                .group_by(months.c.first_day)
            )
            for first_day, count in await session.execute(stmt):
                for area in nation:
                    totals[(area, Period.of(first_day))] = count

        pairs = [
            (area, regency)
            for area, regencies in areas.items()
            if regencies is not None
            for regency in sorted(regencies)
        ]
        if pairs:
            members = sa.values(
                sa.column("area", sa.Text), sa.column("regency", sa.Text), name="members"
            ).data(pairs)
            stmt = (
                sa.select(members.c.area, months.c.first_day, persons)
                .select_from(covering.join(members, members.c.regency == table.c.region_code))
                .group_by(members.c.area, months.c.first_day)
            )
            for area, first_day, count in await session.execute(stmt):
                totals[(area, Period.of(first_day))] = count
        return totals


@dataclass(frozen=True, eq=False)
class MonthEndSum:
    """The sum of ``summed`` over the rows of ``table`` in force on the month's last day, by
    the row's regency: ``start_column <= day``, and ``day <= end_column`` (inclusive) when
    there is an end column and the row has an end. Additive, so areas are summed from their
    regencies (``areas.rollup``)."""

    key: str
    table: sa.Table
    start_column: str
    summed: str
    end_column: str | None = None

    async def totals(
        self, session: AsyncSession, *, areas: AreaMembers, periods: Sequence[Period]
    ) -> Totals:
        """Regency sums at each month's last day, summed into each area."""
        table = self.table
        months = sa.values(
            sa.column("first_day", sa.Date), sa.column("last_day", sa.Date), name="months"
        ).data([(p.start, p.end - timedelta(days=1)) for p in periods])
        in_force = [table.c[self.start_column] <= months.c.last_day]
        if self.end_column is not None:
            end = table.c[self.end_column]
            in_force.append(sa.or_(end.is_(None), end >= months.c.last_day))
        stmt = (
            sa.select(
                table.c.region_code,
                months.c.first_day,
                sa.cast(sa.func.sum(table.c[self.summed]), sa.BigInteger),
            )
            .select_from(table.join(months, sa.and_(*in_force)))
            .group_by(table.c.region_code, months.c.first_day)
        )
        regencies = regency_filter(areas)
        if regencies is not None:
            stmt = stmt.where(table.c.region_code.in_(regencies))
        rows = [
            (region, Period.of(first_day), total)
            for region, first_day, total in await session.execute(stmt)
        ]
        return rollup(rows, areas, periods)


# Linked across domains by person_ref.

# A placed worker counts as covered when a membership covers at least one day of
# [placed_at, placed_at + 30 days].
COVER_WINDOW_DAYS = 30
# A graduate counts as placed when placed on a day of
# [completed_at, completed_at + 6 calendar months].
PLACEMENT_WINDOW_MONTHS = 6

placement_covered = sa.exists().where(
    memberships.c.person_ref == placements.c.person_ref,
    memberships.c.started_at <= placements.c.placed_at + sa.literal(COVER_WINDOW_DAYS),
    sa.or_(memberships.c.ended_at.is_(None), memberships.c.ended_at > placements.c.placed_at),
)

graduate_placed = sa.exists().where(
    placements.c.person_ref == enrollments.c.person_ref,
    placements.c.placed_at >= enrollments.c.completed_at,
    placements.c.placed_at
    <= sa.cast(
        enrollments.c.completed_at
        + sa.func.make_interval(0, PLACEMENT_WINDOW_MONTHS, type_=sa.Interval),
        sa.Date,
    ),
)

victim_has_jkk = sa.exists().where(
    memberships.c.person_ref == accident_victims.c.person_ref,
    memberships.c.programs.contains(["JKK"]),
    memberships.c.started_at <= accidents.c.occurred_at,
    sa.or_(memberships.c.ended_at.is_(None), memberships.c.ended_at > accidents.c.occurred_at),
)

# What happened next to a laid-off worker, from the layoff's effective date: registered as a
# job seeker within 3 calendar months, claimed JKP within 6, re-employed within 6 (a placement,
# or a membership started with another employer). Both ends of each window are inclusive.
LAYOFF_REGISTRATION_WINDOW_MONTHS = 3
LAYOFF_FOLLOW_UP_WINDOW_MONTHS = 6


def _within(day: sa.ColumnElement[object], start: sa.ColumnElement[object], months: int) -> Any:
    """``start <= day <= start + months`` calendar months."""
    end = sa.cast(start + sa.func.make_interval(0, months, type_=sa.Interval), sa.Date)
    return sa.and_(day >= start, day <= end)


worker_registered = sa.exists().where(
    job_seekers.c.person_ref == layoff_workers.c.person_ref,
    _within(job_seekers.c.registered_at, layoffs.c.effective_at, LAYOFF_REGISTRATION_WINDOW_MONTHS),
)
worker_claimed_jkp = sa.exists().where(
    claims.c.person_ref == layoff_workers.c.person_ref,
    claims.c.program == "JKP",
    _within(claims.c.claimed_at, layoffs.c.effective_at, LAYOFF_FOLLOW_UP_WINDOW_MONTHS),
)
worker_reemployed = sa.or_(
    sa.exists().where(
        placements.c.person_ref == layoff_workers.c.person_ref,
        _within(placements.c.placed_at, layoffs.c.effective_at, LAYOFF_FOLLOW_UP_WINDOW_MONTHS),
    ),
    sa.exists().where(
        memberships.c.person_ref == layoff_workers.c.person_ref,
        memberships.c.employer_nib != layoffs.c.employer_nib,
        _within(memberships.c.started_at, layoffs.c.effective_at, LAYOFF_FOLLOW_UP_WINDOW_MONTHS),
    ),
)
# A beneficiary of an employment program counts as a registered job seeker when registered
# (in any region) on or before the day they joined the program.
beneficiary_registered = sa.exists().where(
    job_seekers.c.person_ref == program_beneficiaries.c.person_ref,
    job_seekers.c.registered_at <= program_beneficiaries.c.joined_at,
)

_completed = enrollments.c.status == "completed"

# Job market
JOB_SEEKERS_REGISTERED = MonthlyFlow("job_seekers.registered", job_seekers, "registered_at")
VACANCIES_POSTED = MonthlyFlow("vacancies.posted", vacancies, "posted_at")
POSITIONS_OFFERED = MonthlyFlow("vacancies.positions", vacancies, "posted_at", summed="positions")
PLACEMENTS_MADE = MonthlyFlow("placements.placed", placements, "placed_at")
PLACEMENTS_COVERED = MonthlyFlow(
    "placements.placed.covered_within_30_days",
    placements,
    "placed_at",
    where=(placement_covered,),
)

# Training
ENROLLMENTS_MADE = MonthlyFlow("enrollments.enrolled", enrollments, "enrolled_at")
COMPLETIONS = MonthlyFlow("enrollments.completed", enrollments, "completed_at", where=(_completed,))
CERTIFICATIONS = MonthlyFlow(
    "enrollments.completed.certified",
    enrollments,
    "completed_at",
    where=(_completed, enrollments.c.certified.is_(True)),
)
GRADUATES_PLACED = MonthlyFlow(
    "enrollments.completed.placed_within_6_months",
    enrollments,
    "completed_at",
    where=(_completed, graduate_placed),
)

# Inspection
INSPECTIONS_CONDUCTED = MonthlyFlow("inspections.inspected", inspections, "inspected_at")
VIOLATIONS_FOUND = MonthlyFlow(
    "inspections.findings", inspections, "inspected_at", counted=inspection_findings
)
VIOLATIONS_RESOLVED = MonthlyFlow(
    "inspections.findings.resolved",
    inspections,
    "inspected_at",
    counted=inspection_findings,
    where=(inspection_findings.c.status == "resolved",),
)
ACCIDENTS_OCCURRED = MonthlyFlow("accidents.occurred", accidents, "occurred_at")
ACCIDENT_DEATHS = MonthlyFlow(
    "accidents.victims.death",
    accidents,
    "occurred_at",
    counted=accident_victims,
    where=(accidents.c.outcome == "death",),
)
VICTIMS_WITHOUT_JKK = MonthlyFlow(
    "accidents.victims.without_jkk",
    accidents,
    "occurred_at",
    counted=accident_victims,
    where=(~victim_has_jkk,),
)

# Social security
ACTIVE_MEMBERS = MonthEndStock(
    "memberships.active_persons", memberships, "started_at", "ended_at", distinct="person_ref"
)
MEMBERSHIPS_STARTED = MonthlyFlow("memberships.started", memberships, "started_at")
CLAIMS_MADE = MonthlyFlow("claims.claimed", claims, "claimed_at")
CLAIMS_AMOUNT_GRANTED = MonthlyFlow(
    "claims.amount_idr.approved_or_paid",
    claims,
    "claimed_at",
    summed="amount_idr",
    where=(claims.c.status.in_(("approved", "paid")),),
)

# Industrial relations
LAYOFFS_REPORTED = MonthlyFlow("layoffs.effective", layoffs, "effective_at")
WORKERS_LAID_OFF = MonthlyFlow("layoffs.workers", layoffs, "effective_at", counted=layoff_workers)
LAID_OFF_REGISTERED = MonthlyFlow(
    "layoffs.workers.registered_within_3_months",
    layoffs,
    "effective_at",
    counted=layoff_workers,
    where=(worker_registered,),
)
LAID_OFF_CLAIMED_JKP = MonthlyFlow(
    "layoffs.workers.jkp_claim_within_6_months",
    layoffs,
    "effective_at",
    counted=layoff_workers,
    where=(worker_claimed_jkp,),
)
LAID_OFF_REEMPLOYED = MonthlyFlow(
    "layoffs.workers.reemployed_within_6_months",
    layoffs,
    "effective_at",
    counted=layoff_workers,
    where=(worker_reemployed,),
)
DISPUTES_REGISTERED = MonthlyFlow("disputes.registered", disputes, "registered_at")
_settled = disputes.c.status.in_(("settled", "decided"))
DISPUTES_SETTLED = MonthlyFlow("disputes.settled", disputes, "settled_at", where=(_settled,))
DISPUTES_SETTLED_JOINT = MonthlyFlow(
    "disputes.settled.joint_agreement",
    disputes,
    "settled_at",
    where=(_settled, disputes.c.settlement == "joint_agreement"),
)
AGREEMENT_WORKERS = MonthEndSum(
    "agreements.workers_covered",
    agreements,
    "valid_from",
    summed="workers_covered",
    end_column="valid_until",
)
UNION_MEMBERS = MonthEndSum("unions.members", unions, "registered_at", summed="members")

# Employment-expansion programs
PROGRAM_BENEFICIARIES = MonthlyFlow(
    "program_beneficiaries.joined", program_beneficiaries, "joined_at"
)
BENEFICIARIES_REGISTERED = MonthlyFlow(
    "program_beneficiaries.joined.registered_job_seeker",
    program_beneficiaries,
    "joined_at",
    where=(beneficiary_registered,),
)
