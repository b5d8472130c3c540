"""Cross-domain links kept as columns of the projection rows, so each row's contribution to the
cube follows from the row alone.

- ``placements.covered_within_30_days``: a membership of the worker (same ``person_ref``, any
  program, any region) covers a day of ``[placed_at, placed_at + 30 days]``;
- ``enrollments.placed_within_6_months``: a placement of the person is dated from the
  completion date to 6 calendar months after it;
- ``accident_victims.has_jkk``: a membership of the victim including JKK covers the accident date;
- ``layoff_workers.registered_within_3_months``, ``.jkp_claim_within_6_months`` and
  ``.reemployed_within_6_months``: what happened to a laid-off worker after the layoff's
  effective date (a job-seeker registration, a JKP claim, a placement or a membership with
  another employer);
- ``program_beneficiaries.registered_job_seeker``: the beneficiary registered as a job seeker
  on or before joining the program.

The conditions are the read-time measures' own (``indicators.measures``), so the cube and the
reference computation cannot disagree on what a link means. ``LINKS`` says, for each, which
sources' rows it reads: a change of such a row (by its ``person_ref``) recomputes the links of
that person's rows (``cube.maintain``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncSession

from aggregation.indicators.measures import (
    beneficiary_registered,
    graduate_placed,
    placement_covered,
    victim_has_jkk,
    worker_claimed_jkp,
    worker_reemployed,
    worker_registered,
)
from aggregation.projections.tables import (
    accident_victims,
    accidents,
    claims,
    enrollments,
    job_seekers,
    layoff_workers,
    layoffs,
    memberships,
    placements,
    program_beneficiaries,
)


@dataclass(frozen=True)
class Link:
    """Link columns of one source's rows, and what they depend on."""

    source: str
    """The cube source whose rows carry the columns (``accidents``: on its victims)."""
    persons: sa.Table
    """The table whose ``person_ref`` names the linked person (a source or its child table)."""
    parent: str
    """The column of ``persons`` naming the source row (``id``, or ``accident_id``)."""
    follows: tuple[str, ...]
    """The sources whose rows the columns are computed from."""
    values: Callable[[], dict[str, Any]]
    """The new values of the link columns (correlated to ``persons``)."""
    joined: sa.Table | None = None
    """The source table, when ``persons`` is its child table (the conditions read both)."""

    def update(self, ids: list[Any] | None) -> sa.Update:
        """Recompute the columns of these source rows (None: of every row)."""
        stmt = sa.update(self.persons).values(**self.values())
        if self.joined is not None:
            stmt = stmt.where(self.joined.c.id == self.persons.c[self.parent])
        return stmt if ids is None else stmt.where(self.persons.c[self.parent].in_(ids))


LINKS: tuple[Link, ...] = (
    Link(
        placements.name,
        placements,
        "id",
        follows=(memberships.name,),
        values=lambda: {"covered_within_30_days": placement_covered.correlate(placements)},
    ),
    Link(
        enrollments.name,
        enrollments,
        "id",
        follows=(placements.name,),
        values=lambda: {"placed_within_6_months": graduate_placed.correlate(enrollments)},
    ),
    Link(
        accidents.name,
        accident_victims,
        "accident_id",
        follows=(memberships.name,),
        values=lambda: {"has_jkk": victim_has_jkk.correlate(accident_victims, accidents)},
        joined=accidents,
    ),
    Link(
        layoffs.name,
        layoff_workers,
        "layoff_id",
        follows=(job_seekers.name, claims.name, placements.name, memberships.name),
        values=lambda: {
            "registered_within_3_months": worker_registered.correlate(layoff_workers, layoffs),
            "jkp_claim_within_6_months": worker_claimed_jkp.correlate(layoff_workers, layoffs),
            "reemployed_within_6_months": _correlated(worker_reemployed),
        },
        joined=layoffs,
    ),
    Link(
        program_beneficiaries.name,
        program_beneficiaries,
        "id",
        follows=(job_seekers.name,),
        values=lambda: {
            "registered_job_seeker": beneficiary_registered.correlate(program_beneficiaries)
        },
    ),
)
"""Every link, by the source whose rows carry it."""

FOLLOWED: frozenset[str] = frozenset(source for link in LINKS for source in link.follows)
"""The sources some link reads."""


def _correlated(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    """An OR of EXISTS subqueries, each correlated to a layoff's worker and the layoff."""
    clauses = [
        clause.correlate(layoff_workers, layoffs) if isinstance(clause, sa.Exists) else clause
        for clause in getattr(condition, "clauses", [condition])
    ]
    return sa.or_(*clauses)


async def recompute(session: AsyncSession, ids: dict[str, Iterable[Any]]) -> None:
    """Recompute the links of these rows, by source (an accident's: its victims')."""
    for link in LINKS:
        wanted = sorted(set(ids.get(link.source, ())))
        if wanted:
            await session.execute(link.update(wanted))


async def recompute_all(session: AsyncSession) -> None:
    """Recompute every row's links."""
    for link in LINKS:
        await session.execute(link.update(None))
